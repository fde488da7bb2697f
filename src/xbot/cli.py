"""The command line: parse the arguments, call the composition root or an operation, print.

`wiring.build_service` builds a serving process; `operations` holds the operator actions.
Heavy modules are imported inside the commands, so `xbot worker` can answer /health first.
"""

from __future__ import annotations

import json
import sys
from typing import Annotated

import typer

from xbot import (
    cli_accounts,
    cli_config,
    cli_init,
    cli_inspect,
    cli_labels,
    cli_optouts,
    cli_review,
    cli_secrets,
    cli_sim,
    cli_status,
)
from xbot.cli_support import (
    EXIT_DATABASE,
    announce_health,
    engine_for,
    fail,
    failed_runs,
    operate,
    settings,
)
from xbot.domain.errors import XbotError

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
secrets_app = typer.Typer(
    help="The key that encrypts saved platform sessions (XBOT_SECRET_KEY).", no_args_is_help=True
)
app.add_typer(secrets_app, name="secrets")
app.add_typer(cli_accounts.accounts_app, name="accounts")
sim_app = typer.Typer(help="Fake platforms on loopback, for tests and demos.", no_args_is_help=True)
app.add_typer(sim_app, name="sim")
app.add_typer(cli_optouts.optouts_app, name="optouts")
app.add_typer(cli_review.review_app, name="review")


@config_app.command("show")
def config_show() -> None:
    """Print the effective configuration with every secret redacted.

    `credential_variables` says whether each variable named as holding a credential is set.
    """
    from xbot.config import credential_variables, redacted

    loaded = settings()
    shown = {**redacted(loaded), "credential_variables": credential_variables(loaded)}
    sys.stdout.write(json.dumps(shown, indent=2) + "\n")


@app.command()
def migrate() -> None:
    """Bring the database schema to the newest revision (XBOT_DATABASE_URL)."""
    from xbot import operations

    loaded = settings()
    engine = engine_for(loaded)
    try:
        done = operations.migrate(engine, loaded.secret_key)
    except XbotError as exc:
        fail(exc, code=EXIT_DATABASE)
    finally:
        engine.dispose()
    sys.stdout.write(f"schema at {done.after} (was {done.before or 'empty'})\n")


def serve(role: str, *, once: bool = False) -> None:
    """Boot a serving process (health is already listening) and run it until stopped."""
    from xbot.domain.errors import DatabaseUnreachable
    from xbot.redact import redact_data
    from xbot.wiring import build_service, serve_console

    loaded = settings()
    # XBOT_ROLE=web always wins (a web process must never post); `run` takes XBOT_ROLE as given.
    if loaded.role == "web" or role == "all":
        role = loaded.role
    service = build_service(loaded, role)
    announce_health()  # once the configuration (settings, SHA) is known to be good
    try:
        if not once:  # mounted before /ready answers 200, so "ready" includes the console
            service.before_ready = lambda: serve_console(service)
            # a SIGTERM right after /ready turns 200 must still stop cleanly
            service.install_signal_handlers()
        service.boot()
        if once:
            outcomes = redact_data(service.run_once())
            sys.stdout.write(json.dumps(outcomes, default=str) + "\n")
            failed = failed_runs(outcomes)
            if failed:
                fail(XbotError(failed))
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
    """Serve /health, /ready and the console (with XBOT_ADMIN_TOKEN); never runs jobs or posts."""
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
    from xbot import operations

    operate(lambda engine: operations.pause(engine, operations.Actor(name=by), drain=drain))
    sys.stdout.write(
        f"kill switch ON (posting stopped{', pending permits drain' if drain else ''})\n"
    )


@app.command()
def resume(
    by: Annotated[str, typer.Option("--by", help="Who released the switch.")] = "operator",
) -> None:
    """Turn the kill switch off."""
    from xbot import operations

    operate(lambda engine: operations.resume(engine, operations.Actor(name=by)))
    sys.stdout.write("kill switch OFF\n")


@deploy_app.command("mark")
def deploy_mark(
    sha: Annotated[str, typer.Option("--sha", help="The git SHA that should be live.")],
    note: Annotated[str | None, typer.Option("--note", help="Free text for the record.")] = None,
    by: Annotated[str, typer.Option("--by", help="Who declares it (e.g. the CI job).")] = "cli",
) -> None:
    """Declare the active deployment; workers on another SHA stop posting (the fence).

    A unique prefix is stored as the full SHA a worker booted with (or `git rev-parse` gives in
    a checkout); otherwise the prefix is stored, and the fence compares by prefix.
    """
    from xbot import operations

    actor = operations.Actor(name=by)
    declared = operate(lambda engine: operations.mark_deployment(engine, actor, sha, note=note))
    given = sha.strip()
    resolved = f" (from {given} via {declared.source})" if declared.source != "given" else ""
    sys.stdout.write(f"active deployment: {declared.sha}{resolved}\n")


# commands whose bodies live in cli_inspect and cli_sim, registered here in the order --help shows
app.command()(cli_inspect.certify)
app.command()(cli_inspect.trace)
app.command()(cli_status.status)
ghosts_app.command("list")(cli_inspect.ghosts_list)
ghosts_app.command("ack")(cli_inspect.ghosts_ack)
secrets_app.command("generate-key")(cli_secrets.generate_key)
secrets_app.command("rotate")(cli_secrets.rotate)
sim_app.command("serve")(cli_sim.sim_serve)
app.command()(cli_sim.demo)
app.command()(cli_review.mode)
config_app.command("docs")(cli_config.config_docs)
app.command()(cli_init.init)
config_app.command("check")(cli_accounts.config_check)
cli_accounts.accounts_app.command("check")(cli_labels.accounts_check)


def _print_version(wanted: bool) -> None:
    if wanted:
        from xbot.cli_support import version_line

        sys.stdout.write(version_line() + "\n")
        raise typer.Exit


@app.callback()
def root(
    version: Annotated[
        bool,
        typer.Option(
            "--version", is_eager=True, callback=_print_version, help="Print the version and exit."
        ),
    ] = False,
) -> None:
    """Auditable reply bots: every post proven, none twice, ghosts found."""
    del version


def main() -> None:
    """Run the CLI; any XbotError ends in one clean line and exit 1."""
    try:
        app()
    except XbotError as exc:
        fail(exc)
