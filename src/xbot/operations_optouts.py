"""Operator actions on opt-outs: list, add, remove; each change is an event naming who acted."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine

from xbot.domain.errors import ConfigError
from xbot.domain.opt_outs import OptOutHow
from xbot.domain.policy import PlatformName
from xbot.events import EventType
from xbot.operations import Actor
from xbot.store.engine import translated_errors
from xbot.store.migrate import verify_schema
from xbot.store.queries import opt_outs
from xbot.store.queries.common import database_now
from xbot.store.queries.events import append_event
from xbot.store.queries.opt_outs import NewOptOut


def platform_name(platform: str) -> str:
    """Return a known platform name, or raise ConfigError listing them."""
    try:
        return PlatformName(platform.strip().lower()).value
    except ValueError:
        known = ", ".join(name.value for name in PlatformName)
        raise ConfigError(f"unknown platform {platform!r}: use one of {known}") from None


def list_opt_outs(engine: Engine, platform: str | None = None) -> list[dict[str, Any]]:
    """Return every opt-out (of one platform), newest first."""
    wanted = platform_name(platform) if platform else None
    with translated_errors(), engine.connect() as connection:
        return opt_outs.list_opt_outs(connection, wanted)


def add_opt_out(
    engine: Engine, actor: Actor, platform: str, author_id: str, *, handle: str | None = None
) -> bool:
    """Opt an author out on a platform; return False when they had opted out already."""
    name = platform_name(platform)
    author = author_id.strip().removeprefix("@")
    if not author:
        raise ConfigError("give the author's platform id (or handle) to opt out")
    verify_schema(engine)
    opt_out = NewOptOut(
        platform=name, author_id=author, author_handle=handle or author,
        how=OptOutHow.OPERATOR.value, detail=f"added by {actor.name}", created_by=actor.name,
    )  # fmt: skip
    with translated_errors(), engine.begin() as connection:
        now = database_now(connection)
        added = opt_outs.add_opt_out(connection, opt_out, now=now)
        if added:
            data = {"platform": name, "author_id": author, "author_handle": opt_out.author_handle,
                    "how": opt_out.how, "by": actor.name}  # fmt: skip
            append_event(connection, EventType.OPT_OUT_RECORDED, data, now=now,
                         component=actor.via)  # fmt: skip
    return added


def remove_opt_out(
    engine: Engine, actor: Actor, platform: str, author: str
) -> list[dict[str, Any]]:
    """Remove an author's opt-out (by id or handle); return the removed rows (empty: none)."""
    name = platform_name(platform)
    verify_schema(engine)
    with translated_errors(), engine.begin() as connection:
        now = database_now(connection)
        removed = opt_outs.remove_opt_out(connection, name, author)
        for row in removed:
            data = {key: row[key] for key in ("author_id", "author_handle", "how")}
            append_event(connection, EventType.OPT_OUT_REMOVED,
                         {"platform": name, **data, "by": actor.name}, now=now,
                         component=actor.via, severity="warning")  # fmt: skip
    return removed
