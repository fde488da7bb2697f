"""`xbot review list|show|approve|edit|reject` and `xbot mode`: the person in the loop."""

from __future__ import annotations

import json
import sys
from typing import Annotated, Any

import typer

from xbot.cli_support import operate, settings

review_app = typer.Typer(
    help="Replies waiting for a person: approve, edit or reject the exact text.",
    no_args_is_help=True,
)

PermitArgument = Annotated[str, typer.Argument(help="The permit id (see `xbot review list`).")]
ByOption = Annotated[str, typer.Option("--by", help="Who reviews (recorded in the event).")]


@review_app.command("list")
def review_list(
    as_json: Annotated[bool, typer.Option("--json", help="Print the queue as JSON.")] = False,
) -> None:
    """List the permits waiting for review, oldest first."""
    from xbot import operations_review

    rows = operate(operations_review.list_reviews)
    if as_json:
        sys.stdout.write(json.dumps(rows, indent=2) + "\n")
        return
    if not rows:
        sys.stdout.write("nothing waits for review\n")
        return
    for row in rows:
        sys.stdout.write(
            f"{row['permit_id']}  {row['account']}  until {row['review_deadline']}  "
            f"to @{row['in_reply_to']['author']}: {_one_line(row['text'])}\n"
        )


@review_app.command("show")
def review_show(
    permit_id: PermitArgument,
    as_json: Annotated[bool, typer.Option("--json", help="Print it as JSON.")] = False,
) -> None:
    """Show one permit's exact text, its hash and what it answers."""
    from xbot import operations_review

    row = operate(lambda engine: operations_review.show_review(engine, permit_id))
    if as_json:
        sys.stdout.write(json.dumps(row, indent=2) + "\n")
        return
    sys.stdout.write(_describe(row))


@review_app.command("approve")
def review_approve(
    permit_id: PermitArgument,
    by: ByOption,
    sha256: Annotated[
        str | None,
        typer.Option(
            "--sha256", help="The text hash you reviewed (from `show`); refused if stale."
        ),
    ] = None,
) -> None:
    """Approve the exact text: the permit may be claimed; the approval records its hash."""
    from xbot import operations_review
    from xbot.operations import Actor

    actor = Actor(name=by)
    done = operate(lambda engine: operations_review.approve(engine, actor, permit_id, sha256))
    sys.stdout.write(
        f"approved {permit_id} by {by}: sha256 {done.permit.approved_sha256} (PENDING)\n"
    )


@review_app.command("edit")
def review_edit(
    permit_id: PermitArgument,
    by: ByOption,
    text: Annotated[str, typer.Option("--text", help="The new reply text (guarded again).")],
) -> None:
    """Replace the text and approve the new text in the same act."""
    from xbot import operations_review
    from xbot.operations import Actor

    loaded, actor = settings(), Actor(name=by)
    done = operate(lambda engine: operations_review.edit(engine, loaded, actor, permit_id, text))
    sys.stdout.write(
        f"edited and approved {permit_id} by {by}: sha256 {done.permit.approved_sha256}\n"
    )


@review_app.command("reject")
def review_reject(
    permit_id: PermitArgument,
    by: ByOption,
    reason: Annotated[str, typer.Option("--reason", help="Why it must not be posted.")],
) -> None:
    """Reject the reply: the permit is FAILED (review_rejected) and never posted."""
    from xbot import operations_review
    from xbot.operations import Actor

    actor = Actor(name=by)
    operate(lambda engine: operations_review.reject(engine, actor, permit_id, reason))
    sys.stdout.write(f"rejected {permit_id} by {by}: {reason}\n")


def mode(
    account: Annotated[str, typer.Argument(help="platform:handle (or a unique handle).")],
    new_mode: Annotated[str, typer.Argument(metavar="live|shadow", help="The mode to switch to.")],
    by: ByOption = "operator",
) -> None:
    """Switch an account between live and shadow (no platform write) while workers run."""
    from xbot import operations_review
    from xbot.domain.errors import ConfigError
    from xbot.operations import Actor

    if new_mode not in {"live", "shadow"}:
        from xbot.cli_support import fail

        fail(ConfigError(f"mode {new_mode!r} is not live or shadow"))
    actor = Actor(name=by)
    before = operate(lambda engine: operations_review.set_mode(engine, actor, account, new_mode))
    sys.stdout.write(f"{account}: {before} -> {new_mode} (takes effect at the next claim)\n")


def _one_line(text: str) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= 80 else flat[:77] + "..."


def _describe(row: dict[str, Any]) -> str:
    target = row["in_reply_to"]
    lines = [
        f"permit   {row['permit_id']} ({row['status']}) on {row['account']}",
        f"answers  @{target['author']} post {target['post_id']}: {_one_line(target['text'])}",
        f"text     {row['text']}",
        f"sha256   {row['text_sha256']}",
        f"deadline {row['review_deadline']}",
    ]
    if row["approved_sha256"]:
        lines.append(
            f"approved {row['approved_sha256']} by {row['approved_by']} at {row['approved_at']}"
        )
    if row["failure_reason"]:
        lines.append(f"reason   {row['failure_reason']}")
    return "\n".join(lines) + "\n"
