"""What every fake platform shares; it knows no platform.

- `clock.SimClock`: fake time (real, accelerated, or frozen and moved with `advance()`).
- `world.build_world(seed)`: users, bot accounts and stable secrets from one seed.
- `traffic.Traffic`: posts that appear over fake time (mentions, quotes, threads, languages,
  links, automated authors), written to any `traffic.PostBoard`.
- `faults`: per-endpoint fault injection (latency, status, reset, accept-then-timeout, malformed).
- `request_log`: every request a fake received, so tests can count what was really sent.
- `admin.build_fake_app(routes, backend=, parts=, responder=)`: a fake's routes plus the
  `/_sim/` admin API, fault injection and the request log, for any `admin.SimBackend`.
- `scripting.ScriptedFake`: what tests script on any fake (post as anyone, ghosts, faults, servers).
- `transport.ASGIBridgeTransport(app)`: in-process httpx2 transport honouring read timeouts.
- `server.SimServer(app)`: the same app under uvicorn on 127.0.0.1 in a thread.
- `unicode`: the well-formedness checks every fake applies to text it is sent.
"""
