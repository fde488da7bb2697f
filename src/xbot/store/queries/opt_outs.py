"""`opt_outs`: who asked not to be answered, per platform (issue 15)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.engine import Connection

from xbot.domain.opt_outs import NewOptOut
from xbot.store.queries.common import insert_ignoring_conflicts
from xbot.store.tables import opt_outs

__all__ = ["NewOptOut", "add_opt_out", "find_opt_outs", "list_opt_outs", "opted_out_authors"]


def add_opt_out(connection: Connection, opt_out: NewOptOut, *, now: datetime) -> bool:
    """Record an opt-out; return False when the author had opted out already."""
    row = {
        "platform": opt_out.platform,
        "author_id": opt_out.author_id,
        "author_handle": opt_out.author_handle,
        "how": opt_out.how,
        "detail": opt_out.detail,
        "account_id": opt_out.account_id,
        "created_by": opt_out.created_by,
        "created_at": now,
        "post_id": opt_out.post_id,
    }
    return insert_ignoring_conflicts(connection, opt_outs, row, "id") is not None


def remove_opt_out(connection: Connection, platform: str, author: str) -> list[dict[str, Any]]:
    """Delete the opt-out of an author id or handle on one platform; return the removed rows."""
    rows = find_opt_outs(connection, platform, author)
    if rows:
        connection.execute(delete(opt_outs).where(opt_outs.c.id.in_([row["id"] for row in rows])))
    return rows


def find_opt_outs(connection: Connection, platform: str, author: str) -> list[dict[str, Any]]:
    """Return the opt-outs whose author id or handle (without "@", any case) is `author`."""
    name = author.strip().removeprefix("@")
    rows = connection.execute(
        select(opt_outs).where(
            opt_outs.c.platform == platform,
            (opt_outs.c.author_id == name) | (func.lower(opt_outs.c.author_handle) == name.lower()),
        )
    ).mappings()
    return [dict(row) for row in rows]


def list_opt_outs(connection: Connection, platform: str | None = None) -> list[dict[str, Any]]:
    """Return every opt-out (of one platform), newest first."""
    statement = select(opt_outs).order_by(opt_outs.c.created_at.desc(), opt_outs.c.id.desc())
    if platform is not None:
        statement = statement.where(opt_outs.c.platform == platform)
    return [dict(row) for row in connection.execute(statement).mappings()]


def opted_out_authors(connection: Connection, platform: str, author_ids: Iterable[str]) -> set[str]:
    """Return which of these author ids opted out on the platform."""
    wanted = sorted(set(author_ids))
    if not wanted:
        return set()
    rows = connection.execute(
        select(opt_outs.c.author_id).where(
            opt_outs.c.platform == platform, opt_outs.c.author_id.in_(wanted)
        )
    )
    return {str(value) for (value,) in rows}
