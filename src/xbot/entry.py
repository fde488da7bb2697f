"""The `xbot` console script: bind the health port first for serving commands, then run the CLI.

Reading PORT and XBOT_HOST here, before pydantic loads, is the one deliberate exception to
"only config.py reads the environment": a platform's health check must get an answer at once
(DESIGN §2), and Settings validates the same two values a moment later.
"""

from __future__ import annotations

import errno
import os
import sys

SERVING_COMMANDS = frozenset({"worker", "run", "web"})


def _listen_address() -> tuple[str, int] | None:
    host = os.environ.get("XBOT_HOST", "0.0.0.0")  # noqa: TID251, S104 - see module docstring
    raw_port = os.environ.get("PORT") or os.environ.get("XBOT_PORT") or "8080"  # noqa: TID251
    try:
        return host, int(raw_port)
    except ValueError:
        return None  # Settings will report the bad value in its own words


def _start_health() -> None:
    address = _listen_address()
    if address is None:
        return
    from xbot.web.health import HealthServer, set_current

    host, port = address
    try:
        server = HealthServer(host, port).start()
    except OSError as exc:
        if exc.errno == errno.EADDRINUSE:
            sys.stderr.write(
                f"error: port {port} on {host} is already in use. "
                "Stop the other process or set PORT to a free port.\n"
            )
            raise SystemExit(1) from None
        sys.stderr.write(
            f"error: cannot listen on {host}:{port}: {exc.strerror}. Set PORT/XBOT_HOST.\n"
        )
        raise SystemExit(1) from None
    set_current(server)
    bound_host, bound_port = server.address
    sys.stderr.write(f"[HEALTH] listening on {bound_host}:{bound_port}\n")
    sys.stderr.flush()


def main() -> None:
    """Entry point of the `xbot` command."""
    if len(sys.argv) > 1 and sys.argv[1] in SERVING_COMMANDS and "--help" not in sys.argv:
        _start_health()
    from xbot.cli import main as cli_main

    cli_main()
