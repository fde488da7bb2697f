"""`xbot status`: the console's Overview in the terminal (verdict, accounts, queue, last posts)."""

from __future__ import annotations

import json
import sys
import time
from typing import TYPE_CHECKING, Annotated, Any

import typer

from xbot.cli_support import EXIT_DATABASE, engine_for, fail, settings
from xbot.domain.errors import XbotError

if TYPE_CHECKING:
    from rich.console import Group


def status(
    as_json: Annotated[bool, typer.Option("--json", help="Print the overview as JSON.")] = False,
    watch: Annotated[bool, typer.Option("--watch", help="Refresh until Ctrl-C.")] = False,
    interval: Annotated[
        float, typer.Option(help="Seconds between refreshes with --watch.", min=0.5)
    ] = 5.0,
) -> None:
    """Show whether each account posts and why not, the verdict, the queue and the last posts."""
    from xbot.console_service import ConsoleService

    loaded = settings()
    engine = engine_for(loaded)
    service = ConsoleService(engine, loaded)
    try:
        if as_json:
            sys.stdout.write(json.dumps(service.overview(), indent=2) + "\n")
        elif watch:
            _watch(service.overview, interval)
        else:
            from rich.console import Console

            Console(highlight=False).print(render(service.overview()))
    except XbotError as exc:
        fail(exc, code=EXIT_DATABASE)
    finally:
        engine.dispose()


def _watch(read: Any, interval: float) -> None:
    from rich.console import Console
    from rich.live import Live

    console = Console(highlight=False)
    try:  # Ctrl-C ends the watch cleanly, even during the first read
        with Live(render(read()), console=console, refresh_per_second=1, screen=False) as live:
            while True:
                time.sleep(interval)
                live.update(render(read()))
    except KeyboardInterrupt:
        return


def render(overview: dict[str, Any]) -> Group:
    """Return the overview as rich renderables."""
    from rich.console import Group
    from rich.table import Table
    from rich.text import Text

    verdict = overview["verdict"]
    colour = {"OPERATIONAL": "green", "INCONCLUSIVE": "yellow"}.get(verdict, "red")
    parts: list[Any] = [Text.assemble(("verdict ", "bold"), (verdict, f"bold {colour}"))]
    blocker = overview.get("blocker")
    if blocker:
        parts.append(
            Text(f"blocker  {blocker['key']}) {blocker['title']}: {blocker['explanation']}")
        )
    switch = overview["kill_switch"]
    parts.append(
        Text(
            f"running SHA {overview['running_sha'] or 'unknown'} · declared "
            f"{overview['declared_sha'] or 'none'} · kill switch "
            + (
                f"ON by {switch['by']}" + (" (draining)" if switch["drain"] else "")
                if switch["on"]
                else "off"
            )
            + f" · {overview['queue']} queued"
        )
    )
    accounts = Table("account", "state", "why", "since / until", "posts today", title="accounts")
    for row in overview["accounts"]:
        when = f"until {row['until']}" if row.get("until") else (row.get("since") or "")
        accounts.add_row(
            row["account"], row["state"], row.get("reason") or "", str(when)[:19],
            f"{row['posts_today']} / {row['per_day']}",
        )  # fmt: skip
    parts.append(accounts)
    posts = Table("posted", "account", "reply", "post", title="last posts")
    for row in overview["last_posts"]:
        posts.add_row(str(row["used_at"] or "")[:19], row["account"] or "-",
                      str(row["reply_text"])[:60], row["actual_tweet_id"] or "-")  # fmt: skip
    parts.append(posts)
    return Group(*parts)
