"""The inspection commands: `xbot certify`, `xbot trace` and `xbot ghosts list|ack`."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer

from xbot.cli_support import fail, operate
from xbot.domain.errors import XbotError


def certify(  # noqa: PLR0913 - one keyword per documented option
    *,
    expect_sha: Annotated[
        str | None,
        typer.Option(help="The SHA that should run (default: the active deployment)."),
    ] = None,
    account: Annotated[
        str | None,
        typer.Option(
            help="Certify one account: platform:handle, or a unique handle (default: all)."
        ),
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
    from xbot.certify.command import CertifyRequest
    from xbot.cli_certify import run_certify

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
    raise SystemExit(run_certify(request))


def trace(
    identifier: Annotated[
        str, typer.Argument(help="A candidate id or post id, decision id, permit id or posted id.")
    ],
    as_json: Annotated[bool, typer.Option("--json", help="Print the chain as JSON.")] = False,
) -> None:
    """Print candidate -> score -> decision -> permit transitions -> post -> read-back."""
    from rich.console import Console

    from xbot import operations
    from xbot.views import print_trace, trace_data

    found = operate(lambda engine: operations.trace(engine, identifier))
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


def ghosts_list(
    include_acknowledged: Annotated[
        bool, typer.Option("--all", help="Include acknowledged ghosts.")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the ghosts as JSON.")] = False,
) -> None:
    """List ghosts, newest first: unacknowledged ones unless --all."""
    from rich.console import Console

    from xbot import operations
    from xbot.views import ghosts_table

    rows = operate(
        lambda engine: operations.list_ghosts(engine, include_acknowledged=include_acknowledged)
    )
    if as_json:
        sys.stdout.write(json.dumps(rows, indent=2, default=str) + "\n")
        return
    if not rows:
        sys.stdout.write("no ghosts\n" if include_acknowledged else "no unacknowledged ghosts\n")
        return
    Console(highlight=False).print(ghosts_table(rows))


def ghosts_ack(
    identifier: Annotated[str, typer.Argument(help="The ghost's id (or its post id).")],
    by: Annotated[str, typer.Option("--by", help="Who vouches for the post.")],
) -> None:
    """Acknowledge a ghost (e.g. a person's manual post): certification stops counting it."""
    from xbot import operations

    actor = operations.Actor(name=by)
    ghost = operate(lambda engine: operations.acknowledge_ghost(engine, actor, identifier))
    if ghost is None:
        fail(XbotError(f"no ghost {identifier!r}: see `xbot ghosts list --all`"))
    who = ghost.acknowledged_by
    sys.stdout.write(f"ghost {ghost.ghost_id} (post {ghost.post_id}) acknowledged by {who}\n")
