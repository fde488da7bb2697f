"""The ghost scan's reads and records: permits, `ghost_tweets`, `ghost_scans` and its lease."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import and_, exists, or_, select, update
from sqlalchemy.engine import Connection, Row

from xbot.domain.permits import PermitReply, PermitStatus
from xbot.domain.posts import Post
from xbot.store.queries.common import insert_ignoring_conflicts
from xbot.store.queries.permits import select_replies
from xbot.store.tables import (
    accounts,
    ghost_scans,
    ghost_tweets,
    leases,
    post_attempts,
    reply_decisions,
)


def open_replies(connection: Connection, account_id: int) -> list[PermitReply]:
    """Return permits whose post may be on the account unrecorded: POSTING, UNKNOWN, retried."""
    retried = and_(
        post_attempts.c.status == PermitStatus.PENDING.value, post_attempts.c.attempts > 0
    )
    in_doubt = post_attempts.c.status.in_([PermitStatus.POSTING.value, PermitStatus.UNKNOWN.value])
    return select_replies(
        connection, post_attempts.c.account_id == account_id, or_(in_doubt, retried)
    )


def used_post_ids(connection: Connection, account_id: int, post_ids: Iterable[str]) -> set[str]:
    """Return which of these post ids a USED permit of the account holds."""
    wanted = list(post_ids)
    if not wanted:
        return set()
    rows = connection.execute(
        select(post_attempts.c.actual_tweet_id).where(
            post_attempts.c.account_id == account_id,
            post_attempts.c.status == PermitStatus.USED.value,
            post_attempts.c.actual_tweet_id.in_(wanted),
        )
    )
    return {str(value) for (value,) in rows}


def ghost_answered_targets(
    connection: Connection, account_id: int, target_ids: Iterable[str]
) -> dict[str, str]:
    """Return {target id: ghost post id} for the targets a ghost reply of the account answers.

    Any ghost counts, acknowledged or not, except xbot's own post (one a USED permit holds).
    """
    wanted = list(target_ids)
    if not wanted:
        return {}
    ours = exists().where(
        post_attempts.c.account_id == account_id,
        post_attempts.c.status == PermitStatus.USED.value,
        post_attempts.c.actual_tweet_id == ghost_tweets.c.tweet_id,
    )
    rows = connection.execute(
        select(ghost_tweets.c.in_reply_to, ghost_tweets.c.tweet_id)
        .where(
            ghost_tweets.c.account_id == account_id,
            ghost_tweets.c.in_reply_to.in_(wanted),
            ~ours,
        )
        .order_by(ghost_tweets.c.id.desc())
    )
    return {str(row.in_reply_to): str(row.tweet_id) for row in rows}


def recent_decision_texts(connection: Connection, account_id: int, since: datetime) -> list[str]:
    """Return the reply texts the account decided on since `since`."""
    rows = connection.execute(
        select(reply_decisions.c.reply_text).where(
            reply_decisions.c.account_id == account_id, reply_decisions.c.created_at >= since
        )
    )
    return [str(value) for (value,) in rows]


def ghost_watermark(connection: Connection, account_id: int) -> tuple[str | None, datetime]:
    """Return the newest own post id a scan has settled (None at first) and the account's start."""
    row = connection.execute(
        select(accounts.c.ghost_watermark, accounts.c.created_at).where(accounts.c.id == account_id)
    ).one()
    return row.ghost_watermark, row.created_at


def set_ghost_watermark(connection: Connection, account_id: int, watermark: str | None) -> None:
    """Store the scan's watermark on the account."""
    connection.execute(
        update(accounts).where(accounts.c.id == account_id).values(ghost_watermark=watermark)
    )


def _scan_lease_name(account_id: int) -> str:
    return f"ghost_scan:{account_id}"


def acquire_scan_lease(
    connection: Connection, account_id: int, owner: str, now: datetime, lease_until: datetime
) -> int | None:
    """Take the account's scan lease unless another live owner holds it; return its fence."""
    name = _scan_lease_name(account_id)
    insert_ignoring_conflicts(connection, leases, {"name": name, "fence": 0})
    return connection.execute(
        update(leases)
        .where(
            leases.c.name == name,
            or_(
                leases.c.owner.is_(None),
                leases.c.lease_until.is_(None),
                leases.c.lease_until <= now,
            ),
        )
        .values(owner=owner, fence=leases.c.fence + 1, lease_until=lease_until)
        .returning(leases.c.fence)
    ).scalar()


def release_scan_lease(connection: Connection, account_id: int, owner: str, fence: int) -> bool:
    """Give the scan lease back; False when it was no longer ours."""
    result = connection.execute(
        update(leases)
        .where(
            leases.c.name == _scan_lease_name(account_id),
            leases.c.owner == owner,
            leases.c.fence == fence,
        )
        .values(owner=None, lease_until=None)
    )
    return result.rowcount == 1


def insert_ghost(
    connection: Connection, account_id: int, post: Post, classification: str, now: datetime
) -> int | None:
    """Record a ghost once; return its id, or None when it was already recorded."""
    row = insert_ignoring_conflicts(
        connection,
        ghost_tweets,
        {
            "account_id": account_id,
            "tweet_id": post.post_id,
            "text": post.text,
            "in_reply_to": post.in_reply_to_post_id,
            "posted_at": post.created_at,
            "detected_at": now,
            "classification": classification,
        },
        "id",
    )
    return int(row.id) if row is not None else None


def record_ghost_scan(  # noqa: PLR0913 - one column per keyword
    connection: Connection,
    *,
    account_id: int,
    scanned: int,
    ghosts: int,
    watermark: str | None,
    worker_id: str,
    now: datetime,
) -> None:
    """Record that a scan ran, so "no ghosts" means "looked, found none"."""
    connection.execute(
        ghost_scans.insert().values(
            account_id=account_id,
            scanned=scanned,
            ghosts=ghosts,
            watermark=watermark,
            worker_id=worker_id,
            created_at=now,
        )
    )


_WITH_ACCOUNT = select(ghost_tweets, accounts.c.handle, accounts.c.platform).select_from(
    ghost_tweets.join(accounts, accounts.c.id == ghost_tweets.c.account_id)
)


def ghost_with_account(connection: Connection, ghost_id: int) -> dict[str, Any]:
    """Return one ghost with its account's handle and platform."""
    query = _WITH_ACCOUNT.where(ghost_tweets.c.id == ghost_id)
    return dict(connection.execute(query).mappings().one())


def list_ghosts(
    connection: Connection, *, include_acknowledged: bool = False
) -> list[dict[str, Any]]:
    """Return ghosts, newest first, with the account's handle."""
    query = _WITH_ACCOUNT.order_by(ghost_tweets.c.detected_at.desc(), ghost_tweets.c.id.desc())
    if not include_acknowledged:
        query = query.where(ghost_tweets.c.acknowledged_at.is_(None))
    return [dict(row) for row in connection.execute(query).mappings()]


def acknowledge_ghost(
    connection: Connection, identifier: str, by: str, now: datetime
) -> Row[Any] | None:
    """Acknowledge a ghost by its row id or its post id; return the row, None when unknown."""
    match = ghost_tweets.c.tweet_id == identifier
    if identifier.isdigit() and len(identifier) < 12:
        match = or_(ghost_tweets.c.id == int(identifier), match)
    row = connection.execute(select(ghost_tweets).where(match).order_by(ghost_tweets.c.id)).first()
    if row is None:
        return None
    if row.acknowledged_at is None:
        connection.execute(
            update(ghost_tweets)
            .where(ghost_tweets.c.id == row.id)
            .values(acknowledged_at=now, acknowledged_by=by)
        )
    return connection.execute(select(ghost_tweets).where(ghost_tweets.c.id == row.id)).first()
