"""Fake platforms that speak the real wire protocols, for tests, `xbot sim serve` and the demo.

Production code never imports this package (import-linter enforces it); only tests and cli.py do.

The core, shared by every fake:

- `clock.SimClock`: fake time (real, accelerated, or frozen and moved with `advance()`).
- `world.build_world(seed)`: users, bot accounts and stable secrets from one seed.
- `traffic.Traffic`: posts that appear over fake time (mentions, quotes, threads, languages,
  links, automated authors), written to any `traffic.PostBoard`.
- `faults`: per-endpoint fault injection (latency, status, reset, accept-then-timeout, malformed).
- `request_log`: every request a fake received, so tests can count what was really sent.
- `admin.build_fake_app(routes, backend=, parts=, responder=)`: a fake's routes plus the
  `/_sim/` admin API, fault injection and the request log, for any `admin.SimBackend`.
- `transport.ASGIBridgeTransport(app)`: in-process httpx2 transport honouring read timeouts.
- `server.SimServer(app)`: the same app under uvicorn on 127.0.0.1 in a thread.

Fakes: `x_fake.FakeX` (X API v2), `bluesky_fake.FakeBluesky` (PDS and AppView over XRPC).
`serve.SimStack` runs them all on loopback with one world and clock (`xbot sim serve`, the demo).
See each module's docstring for its API.
"""
