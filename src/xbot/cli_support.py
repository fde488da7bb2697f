"""What every command shares: one settings load, the engine, and the one-line failure."""

from __future__ import annotations

import sys
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, NoReturn, TypeVar

from xbot.domain.errors import ConfigError, ReviewError, XbotError

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from xbot.config import Settings

#: the exit code of a command that could not reach or use its database
EXIT_DATABASE = 3

Result = TypeVar("Result")


def fail(error: BaseException, code: int = 1) -> NoReturn:
    """Print one line naming the problem and its causes, oldest first, and exit."""
    from xbot.redact import redact_text

    message = str(error)
    causes: list[str] = []
    cause = error.__cause__
    while cause is not None and len(causes) < 3:
        lines = str(cause).strip().splitlines()
        if lines and lines[0] not in message and not any(lines[0] in seen for seen in causes):
            causes.append(lines[0])
        cause = cause.__cause__
    detail = "".join(f" (caused by: {text})" for text in reversed(causes))
    sys.stderr.write(redact_text(f"error: {message}{detail}") + "\n")
    raise SystemExit(code)


def settings() -> Settings:
    """Load the settings once for this command, or exit 1 with one line."""
    from xbot.config import load_settings
    from xbot.logging import configure

    try:
        loaded = load_settings()
    except XbotError as exc:
        fail(exc)
    configure(loaded.log_level, loaded.log_format, loaded.secret_values())
    return loaded


def engine_for(loaded: Settings) -> Engine:
    """Return the engine for the configured database."""
    from xbot.store.engine import make_engine

    return make_engine(loaded.database_url)


def operate(action: Callable[[Engine], Result]) -> Result:
    """Run one operation on the configured database: exit 1 on bad input, 3 when the store fails."""
    engine = engine_for(settings())
    try:
        return action(engine)
    except (ConfigError, ReviewError) as exc:
        fail(exc)
    except XbotError as exc:
        fail(exc, code=EXIT_DATABASE)
    finally:
        engine.dispose()


def announce_health() -> None:
    """Say where /health listens; after the settings load, so a bad value stays one line."""
    import structlog

    from xbot.logging import json_lines
    from xbot.web.health import current

    server = current()
    if server is None:
        return
    host, port = server.address
    line = f"[HEALTH] listening on {host}:{port}"
    if json_lines():  # a log collector parsing JSON lines must not trip over this one
        structlog.get_logger("xbot.health").info(line, host=host, port=port)
        return
    sys.stderr.write(line + "\n")
    sys.stderr.flush()


def failed_runs(outcomes: Sequence[Mapping[str, Any]]) -> str:
    """Return one line naming the failed runs of `xbot run --once`, or "" when none failed."""
    failed = [outcome for outcome in outcomes if outcome.get("status") == "failed"]
    if not failed:
        return ""
    first = failed[0]
    where = f" for {first['account']}" if first.get("account") else ""
    more = f" ({len(failed) - 1} more failed)" if len(failed) > 1 else ""
    return f"job {first['job']}{where} failed: {first['error']}{more}"


def version_line() -> str:
    """Return `xbot VERSION (git SHA, from SOURCE)`: the installed version and the running SHA."""
    from importlib.metadata import PackageNotFoundError, version

    from xbot import __version__
    from xbot.provenance import running_sha

    try:
        installed = version("xbot")
    except PackageNotFoundError:  # run from a source tree that was never installed
        installed = __version__
    found = running_sha()
    return f"xbot {installed} (git {found.git_sha[:12]}, from {found.sha_source})"
