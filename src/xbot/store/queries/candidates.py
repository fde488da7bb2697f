"""The candidate queue (`reply_candidate_queue`): what fetch found and the scheduler may answer."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.engine import Connection, Row

from xbot.domain.candidates import CandidateStatus
from xbot.store.queries.common import insert_ignoring_conflicts
from xbot.store.tables import accounts, reply_candidate_queue, reply_decisions

queue = reply_candidate_queue


def fetch_watermark(connection: Connection, account_id: int) -> str | None:
    """Return where the last fetch stopped for this account."""
    return connection.execute(
        select(accounts.c.fetch_watermark).where(accounts.c.id == account_id)
    ).scalar()


def store_watermark(connection: Connection, account_id: int, watermark: str | None) -> None:
    """Remember where this fetch stopped (unchanged when the platform gave none)."""
    if watermark:
        connection.execute(
            update(accounts).where(accounts.c.id == account_id).values(fetch_watermark=watermark)
        )


def known_post_ids(connection: Connection, account_id: int, post_ids: Iterable[str]) -> set[str]:
    """Return which of these platform post ids are already in the queue (in any status)."""
    wanted = list(post_ids)
    if not wanted:
        return set()
    rows = connection.execute(
        select(queue.c.candidate_post_id).where(
            queue.c.account_id == account_id, queue.c.candidate_post_id.in_(wanted)
        )
    )
    return {row.candidate_post_id for row in rows}


def replied_conversations(connection: Connection, account_id: int) -> set[str]:
    """Return the conversations (threads) this account already decided to answer."""
    rows = connection.execute(
        select(queue.c.conversation_id)
        .join(reply_decisions, reply_decisions.c.candidate_id == queue.c.id)
        .where(queue.c.account_id == account_id, queue.c.conversation_id.is_not(None))
        .distinct()
    )
    return {row.conversation_id for row in rows}


def insert_candidate(connection: Connection, values: Mapping[str, Any]) -> int | None:
    """Insert one candidate unless its post is already queued; return its id when inserted."""
    row = insert_ignoring_conflicts(connection, queue, values, "id")
    return int(row.id) if row is not None else None


def expire_stale(
    connection: Connection, account_id: int, now: datetime, reason: str = "expired"
) -> list[int]:
    """Expire queued candidates past their expiry with this skip reason; return their ids."""
    rows = connection.execute(
        update(queue)
        .where(
            queue.c.account_id == account_id,
            queue.c.status == CandidateStatus.QUEUED.value,
            queue.c.expires_at <= now,
        )
        .values(status=CandidateStatus.EXPIRED.value, skip_reason=reason[:64])
        .returning(queue.c.id)
    )
    return sorted(int(row.id) for row in rows)


def keep_queued_until(connection: Connection, account_id: int, until: datetime) -> int:
    """Move the expiry of queued candidates that would lapse before `until` to `until`."""
    result = connection.execute(
        update(queue)
        .where(
            queue.c.account_id == account_id,
            queue.c.status == CandidateStatus.QUEUED.value,
            queue.c.expires_at < until,
        )
        .values(expires_at=until)
    )
    return result.rowcount


def trim_queue(connection: Connection, account_id: int, keep: int) -> int:
    """Expire the lowest-scored queued candidates beyond `keep`; return how many."""
    keepers = (
        select(queue.c.id)
        .where(queue.c.account_id == account_id, queue.c.status == CandidateStatus.QUEUED.value)
        .order_by(queue.c.score.desc(), queue.c.id.desc())
        .limit(keep)
    )
    result = connection.execute(
        update(queue)
        .where(
            queue.c.account_id == account_id,
            queue.c.status == CandidateStatus.QUEUED.value,
            queue.c.id.not_in(keepers.scalar_subquery()),
        )
        .values(status=CandidateStatus.EXPIRED.value, skip_reason="queue_full")
    )
    return result.rowcount


def queued_candidates(connection: Connection, account_id: int, now: datetime) -> list[Row[Any]]:
    """Return queued, unexpired candidates, best score first."""
    return list(
        connection.execute(
            select(queue)
            .where(
                queue.c.account_id == account_id,
                queue.c.status == CandidateStatus.QUEUED.value,
                queue.c.expires_at > now,
            )
            .order_by(queue.c.score.desc(), queue.c.id)
        )
    )


def skip_candidate(connection: Connection, candidate_id: int, reason: str) -> None:
    """Mark one queued candidate skipped with a reason."""
    connection.execute(
        update(queue)
        .where(queue.c.id == candidate_id, queue.c.status == CandidateStatus.QUEUED.value)
        .values(status=CandidateStatus.SKIPPED.value, skip_reason=reason[:64])
    )


def select_candidate(connection: Connection, candidate_id: int) -> bool:
    """Move one candidate from queued to selected; False if someone else got there first."""
    result = connection.execute(
        update(queue)
        .where(queue.c.id == candidate_id, queue.c.status == CandidateStatus.QUEUED.value)
        .values(status=CandidateStatus.SELECTED.value)
    )
    return result.rowcount == 1
