"""The fake X API v2 (`fake.FakeX`): auth, rate limits, credits, policy and the read endpoints."""
