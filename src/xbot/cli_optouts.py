"""`xbot optouts list|add|remove`: authors who asked not to be answered (issue 15)."""

from __future__ import annotations

import json
import sys
from typing import Annotated

import typer

from xbot.cli_support import fail, operate
from xbot.domain.errors import XbotError

optouts_app = typer.Typer(
    help="Authors who said stop: no account of that platform replies to them again.",
    no_args_is_help=True,
)

Platform = Annotated[str, typer.Argument(help="x, bluesky or mastodon.")]


@optouts_app.command("list")
def optouts_list(
    platform: Annotated[
        str | None, typer.Option("--platform", help="Only this platform (x, bluesky, mastodon).")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the opt-outs as JSON.")] = False,
) -> None:
    """List opt-outs, newest first: platform, author, how (stop_word, block, operator), when."""
    from xbot import operations_optouts

    rows = operate(lambda engine: operations_optouts.list_opt_outs(engine, platform))
    if as_json:
        sys.stdout.write(json.dumps(rows, indent=2, default=str) + "\n")
        return
    if not rows:
        sys.stdout.write("no opt-outs\n")
        return
    for row in rows:
        handle = f" @{row['author_handle']}" if row["author_handle"] else ""
        when = f"{row['created_at']:%Y-%m-%d %H:%M:%S} UTC"
        sys.stdout.write(
            f"{row['platform']}\t{row['author_id']}{handle}\t{row['how']}\t{when}"
            f"\t{row['detail'] or ''}\n"
        )


@optouts_app.command("add")
def optouts_add(
    platform: Platform,
    author_id: Annotated[str, typer.Argument(help="The author's platform id (X user id, DID, …).")],
    handle: Annotated[str | None, typer.Option("--handle", help="The author's handle.")] = None,
    by: Annotated[str, typer.Option("--by", help="Who opts the author out.")] = "operator",
) -> None:
    """Opt an author out: every account of that platform skips them (`opted_out`)."""
    from xbot import operations, operations_optouts

    actor = operations.Actor(name=by)
    added = operate(
        lambda engine: operations_optouts.add_opt_out(
            engine, actor, platform, author_id, handle=handle
        )
    )
    state = "opted out" if added else "had opted out already"
    sys.stdout.write(f"{platform}:{author_id} {state}\n")


@optouts_app.command("remove")
def optouts_remove(
    platform: Platform,
    author: Annotated[str, typer.Argument(help="The author's platform id or handle.")],
    by: Annotated[str, typer.Option("--by", help="Who removes the opt-out.")] = "operator",
) -> None:
    """Remove an author's opt-out: accounts may answer them again."""
    from xbot import operations, operations_optouts

    actor = operations.Actor(name=by)
    removed = operate(
        lambda engine: operations_optouts.remove_opt_out(engine, actor, platform, author)
    )
    if not removed:
        fail(XbotError(f"{author!r} has not opted out on {platform}: see `xbot optouts list`"))
    sys.stdout.write(f"{platform}:{removed[0]['author_id']} may be answered again\n")
