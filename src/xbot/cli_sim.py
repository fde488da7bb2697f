"""The commands that run the fake platforms: `xbot sim serve` and `xbot demo`."""

from __future__ import annotations

import json
import sys
from typing import Annotated

import typer

from xbot.cli_support import EXIT_DATABASE, fail
from xbot.domain.errors import XbotError


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
    from xbot.sim.stack import ServeOptions, SimStack, StopSignals, describe_text

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


def demo(  # noqa: PLR0913, PLR0917 - one parameter per documented option
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
    full: Annotated[
        bool,
        typer.Option("--full", help="Print the whole certification report, SQL and rows included."),
    ] = False,
    review: Annotated[
        bool,
        typer.Option(
            "--review", help="The first bot's replies wait for review; one is approved for you."
        ),
    ] = False,
) -> None:
    """Run the whole system offline against a fake platform, then certify it.

    The terminal gets the summary and one trace; the full report goes to a file it names.
    """
    from rich.console import Console

    from xbot.demo import DemoOptions, run_demo
    from xbot.demo_fakes import FAKES
    from xbot.logging import configure

    if platform not in FAKES:
        fail(XbotError(f"--platform {platform!r} is unknown: use one of {', '.join(FAKES)}"))
    configure("warning", "auto")
    options = DemoOptions(seconds=seconds, platform=platform, database_url=database_url,
                          keep=keep, seed=seed, full=full, review=review)  # fmt: skip
    try:
        code = run_demo(options, Console(highlight=False))
    except XbotError as exc:
        fail(exc, code=EXIT_DATABASE)
    raise SystemExit(code)
