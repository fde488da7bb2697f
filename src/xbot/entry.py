"""The `xbot` console script: bind the health port first for serving commands, then run the CLI.

Reading PORT and XBOT_HOST here (and `host`/`port` from xbot.toml with the stdlib's tomllib),
before pydantic loads, is the one deliberate exception to "only config.py reads the
environment": a platform's health check must get an answer at once (DESIGN §2), and Settings
validates the same values a moment later. Anything odd here is left for Settings to report.

`xbot certify` skips the Typer app when its command line is plain (xbot.cli_certify): a CI gate
runs it as a process and should not pay for the whole CLI.
"""

from __future__ import annotations

import errno
import os
import sys
from typing import Any, NamedTuple

SERVING_COMMANDS = frozenset({"worker", "run", "web"})
DEFAULT_HOST = "0.0.0.0"  # noqa: S104 - a worker must be reachable by the platform's health check
DEFAULT_PORT = 8080
#: the characters Settings allows in `host`; anything else is left for Settings to report
HOST_CHARACTERS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.:%[]-")


class _Address(NamedTuple):  # not a dataclass: `dataclasses` would cost /health ~15 ms
    host: str
    port: int
    #: what the operator changes to move the listener: variables or the file
    fix: str


def _listen_address() -> _Address | None:
    """Return where /health listens as Settings will see it: variables first, then xbot.toml."""
    environ = os.environ  # noqa: TID251 - see module docstring
    path = environ.get("XBOT_CONFIG") or "xbot.toml"
    file = _file_address(path)
    host = environ.get("XBOT_HOST") or file.get("host", DEFAULT_HOST)
    port = environ.get("PORT") or environ.get("XBOT_PORT") or file.get("port", DEFAULT_PORT)
    if not isinstance(host, str) or not 0 < len(host) <= 253 or set(host) - HOST_CHARACTERS:
        return None
    if isinstance(port, bool) or not isinstance(port, int | str):
        return None
    try:
        number = int(port)
    except ValueError:
        return None
    fix = f"'host'/'port' in {path}" if file else "PORT/XBOT_HOST"
    return _Address(host, number, fix) if 0 <= number <= 65535 else None


def _file_address(path: str) -> dict[str, Any]:
    """Return `host` and `port` as set in xbot.toml; nothing when it is absent or unreadable."""
    try:
        with open(path, "rb") as file:  # noqa: PTH123 - pathlib costs import time here
            import tomllib  # only when there is a file: it costs ~10 ms

            data = tomllib.load(file)
    except (OSError, ValueError):
        return {}
    found = {"host": data["host"]} if "host" in data else {}
    for key in ("PORT", "XBOT_PORT", "port"):  # Settings' alias order
        if key in data:
            return {**found, "port": data[key]}
    return found


def _start_health() -> None:
    address = _listen_address()
    if address is None:
        return
    from xbot.web.health import HealthServer, set_current

    host, port = address.host, address.port
    try:
        server = HealthServer(host, port).start()
    except OSError as exc:
        if exc.errno == errno.EADDRINUSE:
            sys.stderr.write(
                f"error: port {port} on {host} is already in use. "
                f"Stop the other process or set {address.fix} to a free port.\n"
            )
            raise SystemExit(1) from None
        sys.stderr.write(
            f"error: cannot listen on {host}:{port}: {exc.strerror}. Set {address.fix}.\n"
        )
        raise SystemExit(1) from None
    set_current(server)  # the CLI announces it once the settings are good (cli_support)


def main() -> None:
    """Entry point of the `xbot` command."""
    if len(sys.argv) > 1 and sys.argv[1] in SERVING_COMMANDS and "--help" not in sys.argv:
        _start_health()
    if len(sys.argv) > 1 and sys.argv[1] == "certify":
        _certify(sys.argv[2:])  # returns only when Typer should read the command line
    from xbot.cli import main as cli_main

    cli_main()


def _certify(args: list[str]) -> None:
    """Run `xbot certify` without building the CLI (see cli_certify), as click would end it."""
    from xbot.cli_certify import fast_certify

    try:
        code = fast_certify(args)
    except KeyboardInterrupt:  # click's standalone mode: a blank line, "Aborted!", exit 1
        sys.stderr.write("\nAborted!\n")
        raise SystemExit(1) from None
    if code is not None:
        raise SystemExit(code)
