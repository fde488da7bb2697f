"""Permits waiting for review, and the writes a review action makes (issue 14)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.engine import Connection, Row

from xbot.domain.errors import ReviewError
from xbot.domain.permits import Permit, PermitReply, PermitStatus
from xbot.store.queries.permits import REPLY_COLUMNS, REPLY_SOURCE, select_replies
from xbot.store.tables import accounts, post_attempts, reply_candidate_queue, reply_decisions


def awaiting_review(connection: Connection, account_id: int | None = None) -> list[dict[str, Any]]:
    """Return the permits waiting for review, oldest first, with text, target and account."""
    conditions = [post_attempts.c.status == PermitStatus.AWAITING_REVIEW.value]
    if account_id is not None:
        conditions.append(post_attempts.c.account_id == account_id)
    return _review_rows(connection, *conditions)


def review_row(connection: Connection, permit_id: str) -> dict[str, Any] | None:
    """Return one permit with its text, target and account, whatever its status."""
    rows = _review_rows(connection, post_attempts.c.permit_id == permit_id)
    return rows[0] if rows else None


def _review_rows(connection: Connection, *conditions: Any) -> list[dict[str, Any]]:
    statement = (
        select(
            *REPLY_COLUMNS,
            reply_decisions.c.generator,
            reply_candidate_queue.c.text.label("target_text"),
            accounts.c.platform,
            accounts.c.handle,
        )
        .select_from(REPLY_SOURCE.join(accounts, accounts.c.id == post_attempts.c.account_id))
        .where(*conditions)
        .order_by(post_attempts.c.created_at, post_attempts.c.permit_id)
    )
    return [dict(row) for row in connection.execute(statement).mappings()]


def past_review_deadline(connection: Connection, account_id: int, now: datetime) -> list[Permit]:
    """Return the account's AWAITING_REVIEW permits whose review deadline has passed."""
    return [
        reply.permit
        for reply in select_replies(
            connection,
            post_attempts.c.account_id == account_id,
            post_attempts.c.status == PermitStatus.AWAITING_REVIEW.value,
            post_attempts.c.review_deadline <= now,
        )
    ]


def replace_text(connection: Connection, reply: PermitReply, text: str) -> None:
    """Replace the decision's text (an edit); the caller's fenced permit write makes it one act."""
    connection.execute(
        update(reply_decisions)
        .where(reply_decisions.c.decision_id == reply.permit.decision_id)
        .values(reply_text=text)
    )


def account_row(connection: Connection, account_id: int) -> Row[Any]:
    """Return the account's row (platform, handle, settings)."""
    return connection.execute(select(accounts).where(accounts.c.id == account_id)).one()


def account_by_key(connection: Connection, key: str) -> Row[Any]:
    """Return the account named `platform:handle`, or by a handle only one platform has.

    Raises ReviewError naming the accounts there are when none or several match.
    """
    platform, _, handle = key.rpartition(":")
    statement = select(accounts).where(accounts.c.handle == handle.removeprefix("@"))
    if platform:
        statement = statement.where(accounts.c.platform == platform)
    rows = list(connection.execute(statement))
    if len(rows) == 1:
        return rows[0]
    known = ", ".join(
        f"{row.platform}:{row.handle}" for row in connection.execute(select(accounts))
    )
    problem = "matches several accounts" if rows else "is no account"
    raise ReviewError(f"{key!r} {problem}: give platform:handle, one of {known or 'none'}")
