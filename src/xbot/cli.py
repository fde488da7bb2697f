"""The command line and the only composition root (CONVENTIONS §2).

Heavy modules are imported inside the commands, so `xbot worker` can answer /health first.
"""

from __future__ import annotations

import json
import sys
from typing import TYPE_CHECKING, Annotated, NoReturn

import typer

from xbot.domain.errors import XbotError

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from xbot.config import Settings

app = typer.Typer(
    name="xbot",
    help="Auditable reply bots: every post proven, none twice, ghosts found.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
config_app = typer.Typer(help="Show the configuration.", no_args_is_help=True)
app.add_typer(config_app, name="config")


def fail(error: BaseException, code: int = 1) -> NoReturn:
    """Print one line naming the problem and its causes, oldest first, and exit."""
    message = str(error)
    causes: list[str] = []
    cause = error.__cause__
    while cause is not None and len(causes) < 3:
        lines = str(cause).strip().splitlines()
        if lines and lines[0] not in message and not any(lines[0] in seen for seen in causes):
            causes.append(lines[0])
        cause = cause.__cause__
    detail = "".join(f" (caused by: {text})" for text in reversed(causes))
    sys.stderr.write(f"error: {message}{detail}\n")
    raise SystemExit(code)


def settings() -> Settings:
    """Load the settings once for this command, or exit 1 with one line."""
    from xbot.config import load_settings
    from xbot.logging import configure

    try:
        loaded = load_settings()
    except XbotError as exc:
        fail(exc)
    configure(loaded.log_level, loaded.log_format)
    return loaded


def engine_for(loaded: Settings) -> Engine:
    """Return the engine for the configured database."""
    from xbot.store.engine import make_engine

    return make_engine(loaded.database_url)


@config_app.command("show")
def config_show() -> None:
    """Print the effective configuration with every secret redacted."""
    from xbot.config import redacted

    sys.stdout.write(json.dumps(redacted(settings()), indent=2) + "\n")


@app.command()
def migrate() -> None:
    """Bring the database schema to the newest revision (XBOT_DATABASE_URL)."""
    from xbot.store.migrate import current_revision, head_revision, upgrade

    loaded = settings()
    engine = engine_for(loaded)
    try:
        before = current_revision(engine)
        upgrade(engine)
    except XbotError as exc:
        fail(exc, code=3)
    sys.stdout.write(f"schema at {head_revision()} (was {before or 'empty'})\n")


@app.callback()
def root(
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Show debug logs.")] = False,
) -> None:
    """Auditable reply bots."""
    del verbose


def main() -> None:
    """Run the CLI; any XbotError ends in one clean line and exit 1."""
    try:
        app()
    except XbotError as exc:
        fail(exc)
