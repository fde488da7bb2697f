"""The fake Bluesky (`fake.FakeBluesky`): PDS and AppView over XRPC, and a PLC directory."""
