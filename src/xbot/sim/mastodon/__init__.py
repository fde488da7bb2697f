"""The fake Mastodon (`fake.FakeMastodon`): mastodon-mock plus faults, rate limits and a world."""
