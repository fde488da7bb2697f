"""The command line and the only composition root (CONVENTIONS §2).

Heavy modules are imported inside the commands, so `xbot worker` can answer /health first.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
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
deploy_app = typer.Typer(help="Declare which git SHA should be live.", no_args_is_help=True)
app.add_typer(deploy_app, name="deploy")
ghosts_app = typer.Typer(help="Posts that no permit explains.", no_args_is_help=True)
app.add_typer(ghosts_app, name="ghosts")
sim_app = typer.Typer(help="Fake platforms on loopback, for tests and demos.", no_args_is_help=True)
app.add_typer(sim_app, name="sim")

EXIT_DATABASE = 3


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
        fail(exc, code=EXIT_DATABASE)
    finally:
        engine.dispose()
    sys.stdout.write(f"schema at {head_revision()} (was {before or 'empty'})\n")


def serve(role: str, *, once: bool = False) -> None:
    """Boot a serving process (health is already listening) and run it until stopped."""
    from xbot.domain.errors import DatabaseUnreachable
    from xbot.jobs.registry import job_specs
    from xbot.serve import Service
    from xbot.wiring import PlatformCache, generator_factory

    loaded = settings()
    # XBOT_ROLE=web always wins (a web process must never post); `run` takes XBOT_ROLE as given.
    if loaded.role == "web" or role == "all":
        role = loaded.role
    service = Service(loaded, role=role, specs=job_specs(loaded))
    if role != "web":
        service.platform_for = PlatformCache(loaded, service.engine)
        service.generator_for = generator_factory(loaded)
    try:
        service.boot()
        if once:
            sys.stdout.write(json.dumps(service.run_once(), default=str) + "\n")
            return
        code = service.serve_forever()
    except DatabaseUnreachable as exc:
        fail(exc, code=EXIT_DATABASE)
    except XbotError as exc:
        fail(exc)
    raise SystemExit(code)


@app.command()
def worker() -> None:
    """Run the job worker: /health at once on XBOT_HOST:PORT, then jobs (the role that posts)."""
    serve("worker")


@app.command()
def web() -> None:
    """Serve /health and /ready only; never runs jobs or posts."""
    serve("web")


@app.command()
def run(
    once: Annotated[bool, typer.Option("--once", help="Run every due job once and exit.")] = False,
) -> None:
    """Run worker and web in one process (XBOT_ROLE=all), on the embedded SQLite by default."""
    serve("all", once=once)


@app.command()
def pause(
    drain: Annotated[
        bool, typer.Option("--drain", help="Also expire pending permits instead of keeping them.")
    ] = False,
    by: Annotated[str, typer.Option("--by", help="Who pulled the switch.")] = "operator",
) -> None:
    """Turn the kill switch on: every worker stops claiming permits within one poll."""
    _set_kill_switch(on=True, drain=drain, by=by)


@app.command()
def resume(
    by: Annotated[str, typer.Option("--by", help="Who released the switch.")] = "operator",
) -> None:
    """Turn the kill switch off."""
    _set_kill_switch(on=False, drain=False, by=by)


def _set_kill_switch(*, on: bool, drain: bool, by: str) -> None:
    from xbot.store.engine import translated_errors
    from xbot.store.migrate import verify_schema
    from xbot.store.queries import controls
    from xbot.store.queries.common import database_now
    from xbot.store.queries.events import append_event

    engine = engine_for(settings())
    try:
        verify_schema(engine)
        with translated_errors(), engine.begin() as connection:
            now = database_now(connection)
            value = {"on": on, "drain": drain}
            controls.set_control(connection, controls.KILL_SWITCH, value, now=now, updated_by=by)
            event = "kill_switch_on" if on else "kill_switch_off"
            append_event(
                connection,
                event,
                {**value, "by": by},
                now=now,
                component="cli",
                severity="warning" if on else "info",
            )
    except XbotError as exc:
        fail(exc, code=EXIT_DATABASE)
    finally:
        engine.dispose()
    state = "ON (posting stopped" + (", pending permits drain)" if drain else ")") if on else "OFF"
    sys.stdout.write(f"kill switch {state}\n")


@deploy_app.command("mark")
def deploy_mark(
    sha: Annotated[str, typer.Option("--sha", help="The git SHA that should be live.")],
    note: Annotated[str | None, typer.Option("--note", help="Free text for the record.")] = None,
    by: Annotated[str, typer.Option("--by", help="Who declares it (e.g. the CI job).")] = "cli",
) -> None:
    """Declare the active deployment; workers on another SHA stop posting (the fence)."""
    from xbot.store.engine import translated_errors
    from xbot.store.migrate import verify_schema
    from xbot.store.queries import deployments
    from xbot.store.queries.common import database_now
    from xbot.store.queries.events import append_event

    sha = sha.strip()
    if not 7 <= len(sha) <= 64 or not all(char in "0123456789abcdefABCDEF" for char in sha):
        hint = "give 7 to 64 hex digits, e.g. `git rev-parse HEAD`"
        fail(XbotError(f"--sha {sha!r} is not a git SHA: {hint}"))
    engine = engine_for(settings())
    try:
        verify_schema(engine)
        with translated_errors(), engine.begin() as connection:
            now = database_now(connection)
            deployments.mark_deployment(connection, sha, now=now, declared_by=by, note=note)
            append_event(
                connection,
                "deployment_marked",
                {"sha": sha, "by": by, "note": note},
                now=now,
                component="cli",
            )
    except XbotError as exc:
        fail(exc, code=EXIT_DATABASE)
    finally:
        engine.dispose()
    sys.stdout.write(f"active deployment: {sha}\n")


@app.command()
def certify(  # noqa: PLR0913 - one keyword per documented option
    *,
    expect_sha: Annotated[
        str | None,
        typer.Option(help="The SHA that should run (default: the active deployment)."),
    ] = None,
    account: Annotated[
        str | None, typer.Option(help="Certify one account, by handle (default: all).")
    ] = None,
    since: Annotated[
        str | None,
        typer.Option(help="Start of 'since deploy': ISO time or a duration ago, e.g. 2h."),
    ] = None,
    window: Annotated[
        str | None,
        typer.Option(help="One lookback for every check (default: from XBOT_JOBS__* cadences)."),
    ] = None,
    wait: Annotated[
        str | None,
        typer.Option(help="Re-check every 10 s until operational or DURATION (e.g. 10m) passes."),
    ] = None,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write the report to FILE.")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
    wait_interval: Annotated[float, typer.Option(hidden=True, min=0.0)] = 10.0,
) -> None:
    """Prove production works: checks A-H as SQL, a verdict, the blocker and next actions.

    Exit codes: 0 operational, 1 not operational, 2 inconclusive, 3 could not run.
    """
    from xbot.certify.command import CertifyRequest, certify_command
    from xbot.config import load_settings

    request = CertifyRequest(
        expect_sha=expect_sha,
        account=account,
        since=since,
        window=window,
        wait=wait,
        output=output,
        as_json=as_json,
        wait_interval=wait_interval,
    )
    try:
        loaded = load_settings()
        code = certify_command(engine_for(loaded), loaded, request, out=sys.stdout, err=sys.stderr)
    except XbotError as exc:
        fail(exc, code=EXIT_DATABASE)
    raise SystemExit(code)


@app.command()
def trace(
    identifier: Annotated[
        str, typer.Argument(help="A candidate id or post id, decision id, permit id or posted id.")
    ],
    as_json: Annotated[bool, typer.Option("--json", help="Print the chain as JSON.")] = False,
) -> None:
    """Print candidate -> score -> decision -> permit transitions -> post -> read-back."""
    from rich.console import Console

    from xbot.store.engine import translated_errors
    from xbot.store.queries.trace import find_trace
    from xbot.views import print_trace, trace_data

    engine = engine_for(settings())
    try:
        with translated_errors(), engine.connect() as connection:
            found = find_trace(connection, identifier)
    except XbotError as exc:
        fail(exc, code=EXIT_DATABASE)
    finally:
        engine.dispose()
    if found is None:
        fail(
            XbotError(
                f"nothing recorded for {identifier!r}: give a candidate, decision, "
                "permit or post id"
            )
        )
    if as_json:
        sys.stdout.write(json.dumps(trace_data(found), indent=2) + "\n")
        return
    print_trace(found, Console(highlight=False))


@ghosts_app.command("list")
def ghosts_list(
    include_acknowledged: Annotated[
        bool, typer.Option("--all", help="Include acknowledged ghosts.")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the ghosts as JSON.")] = False,
) -> None:
    """List ghosts, newest first: unacknowledged ones unless --all."""
    from rich.console import Console

    from xbot.store.engine import translated_errors
    from xbot.store.queries.ghosts import list_ghosts
    from xbot.views import ghosts_table

    engine = engine_for(settings())
    try:
        with translated_errors(), engine.connect() as connection:
            rows = list_ghosts(connection, include_acknowledged=include_acknowledged)
    except XbotError as exc:
        fail(exc, code=EXIT_DATABASE)
    finally:
        engine.dispose()
    if as_json:
        sys.stdout.write(json.dumps(rows, indent=2, default=str) + "\n")
        return
    if not rows:
        sys.stdout.write("no ghosts\n" if include_acknowledged else "no unacknowledged ghosts\n")
        return
    Console(highlight=False).print(ghosts_table(rows))


@ghosts_app.command("ack")
def ghosts_ack(
    identifier: Annotated[str, typer.Argument(help="The ghost's id (or its post id).")],
    by: Annotated[str, typer.Option("--by", help="Who vouches for the post.")],
) -> None:
    """Acknowledge a ghost (e.g. a person's manual post): certification stops counting it."""
    from xbot.store.engine import translated_errors
    from xbot.store.queries.common import database_now
    from xbot.store.queries.events import append_event
    from xbot.store.queries.ghosts import acknowledge_ghost

    engine = engine_for(settings())
    try:
        with translated_errors(), engine.begin() as connection:
            now = database_now(connection)
            row = acknowledge_ghost(connection, identifier, by, now)
            if row is not None:
                data = {"ghost_id": row.id, "post_id": row.tweet_id, "by": by}
                append_event(
                    connection,
                    "ghost_acknowledged",
                    data,
                    now=now,
                    component="cli",
                    account_id=row.account_id,
                )
    except XbotError as exc:
        fail(exc, code=EXIT_DATABASE)
    finally:
        engine.dispose()
    if row is None:
        fail(XbotError(f"no ghost {identifier!r}: see `xbot ghosts list --all`"))
    who = row.acknowledged_by
    sys.stdout.write(f"ghost {row.id} (post {row.tweet_id}) acknowledged by {who}\n")


@sim_app.command("serve")
def sim_serve(  # noqa: PLR0913 - one keyword per documented option
    *,
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[
        int,
        typer.Option(
            help="Port of the fake X; the next fakes take the next ports. 0 picks free ports.",
            min=0,
            max=65535,
        ),
    ] = 0,
    seed: Annotated[int, typer.Option(help="Seed of the simulated world.")] = 0,
    speed: Annotated[float, typer.Option(help="Fake seconds per real second.", min=0.0)] = 1.0,
    traffic: Annotated[
        float, typer.Option(help="Generated posts per fake minute, per platform.", min=0.0)
    ] = 1.0,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print one JSON object on the first line of stdout.")
    ] = False,
) -> None:
    """Run the fake platforms on loopback; print their URLs, bot accounts and credentials."""
    from xbot.sim.serve import ServeOptions, SimStack, StopSignals, describe_text

    options = ServeOptions(host=host, port=port, seed=seed, speed=speed, traffic_per_minute=traffic)
    signals = StopSignals()
    try:
        stack = SimStack(options=options).start()
    except XbotError as exc:
        fail(exc)
    try:
        description = stack.describe()
        text = json.dumps(description) + "\n" if as_json else describe_text(description)
        sys.stdout.write(text)
        sys.stdout.flush()
        signals.wait()
    finally:
        stack.stop()


@app.command()
def demo(
    seconds: Annotated[
        float, typer.Option("--seconds", min=5, help="How long the worker runs.")
    ] = 60,
    platform: Annotated[
        str, typer.Option("--platform", help="Which fake platform: x, bluesky or mastodon.")
    ] = "x",
    database_url: Annotated[
        str | None,
        typer.Option(
            "--database-url", help="Use this database instead of a temporary SQLite file."
        ),
    ] = None,
    keep: Annotated[
        bool, typer.Option("--keep", help="Keep the database and print how to inspect it.")
    ] = False,
    seed: Annotated[int, typer.Option("--seed", help="Seed of the simulated world.")] = 7,
) -> None:
    """Run the whole system offline against a fake platform, then certify it."""
    from rich.console import Console

    from xbot.demo import DemoOptions, run_demo
    from xbot.demo_fakes import FAKES
    from xbot.logging import configure

    if platform not in FAKES:
        fail(XbotError(f"--platform {platform!r} is unknown: use one of {', '.join(FAKES)}"))
    configure("warning", "auto")
    options = DemoOptions(seconds=seconds, platform=platform, database_url=database_url,
                          keep=keep, seed=seed)  # fmt: skip
    try:
        code = run_demo(options, Console(highlight=False))
    except XbotError as exc:
        fail(exc, code=EXIT_DATABASE)
    raise SystemExit(code)


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
