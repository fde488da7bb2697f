"""Fake platforms that speak the real wire protocols, for tests, `xbot sim serve` and the demo.

Production code never imports this package (import-linter enforces it); only tests and cli.py do.

`core/`: what every fake shares (clock, world, traffic, faults, request log, the admin API,
transport, server); it imports no platform.

One package per platform, mirroring `xbot.platforms`, independent of each other:
`x/` (`x.fake.FakeX`, X API v2), `bluesky/` (`bluesky.fake.FakeBluesky`, PDS and AppView over
XRPC), `mastodon/` (mastodon-mock plus what it lacks), `openai/` (a chat endpoint, honest or
hostile). Each fake's routes see it through a narrow backend Protocol (`x.backend.XBackend`,
`bluesky.backend.BlueskyBackend`).
`stack.SimStack` runs them all on loopback with one world and clock (`xbot sim serve`, the demo).
See each module's docstring for its API.
"""
