"""Read-only counts the watchdog and /ready report."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.engine import Connection

from xbot.domain.candidates import CandidateStatus
from xbot.domain.permits import PermitStatus
from xbot.store.tables import (
    ghost_tweets,
    post_attempts,
    reply_candidate_queue,
    reply_decisions,
)


def accounts_with_pending_permits(connection: Connection) -> set[int]:
    """Return the accounts that have a PENDING permit (the post job's work)."""
    rows = connection.execute(
        select(post_attempts.c.account_id)
        .where(post_attempts.c.status == PermitStatus.PENDING.value)
        .distinct()
    )
    return {int(row.account_id) for row in rows}


def accounts_with_queued_candidates(connection: Connection, now: datetime) -> set[int]:
    """Return the accounts with a queued, unexpired candidate (the schedule job's work)."""
    rows = connection.execute(
        select(reply_candidate_queue.c.account_id)
        .where(
            reply_candidate_queue.c.status == CandidateStatus.QUEUED.value,
            reply_candidate_queue.c.expires_at > now,
        )
        .distinct()
    )
    return {int(row.account_id) for row in rows}


def queue_size(connection: Connection, now: datetime) -> int:
    """Count queued, unexpired candidates."""
    return int(
        connection.execute(
            select(func.count())
            .select_from(reply_candidate_queue)
            .where(
                reply_candidate_queue.c.status == CandidateStatus.QUEUED.value,
                reply_candidate_queue.c.expires_at > now,
            )
        ).scalar_one()
    )


def permits_by_status(connection: Connection) -> dict[str, int]:
    """Count permits per status."""
    rows = connection.execute(
        select(post_attempts.c.status, func.count()).group_by(post_attempts.c.status)
    )
    return {str(status): int(count) for status, count in rows}


def pipeline_counts(connection: Connection) -> dict[str, int]:
    """Count each stage of the pipeline, for progress displays."""
    queue = reply_candidate_queue.c
    permits = post_attempts.c

    def count(table: Any, *conditions: Any) -> int:
        statement = select(func.count()).select_from(table).where(*conditions)
        return int(connection.execute(statement).scalar_one())

    return {
        "fetched": count(reply_candidate_queue),
        "queued": count(reply_candidate_queue, queue.status == CandidateStatus.QUEUED.value),
        "permits": count(post_attempts),
        "posted": count(post_attempts, permits.status == PermitStatus.USED.value),
        "reconciled": count(post_attempts, permits.reconciled.is_(True)),
        "unknown": count(post_attempts, permits.status == PermitStatus.UNKNOWN.value),
        "posting": count(post_attempts, permits.status == PermitStatus.POSTING.value),
        "in review": count(post_attempts, permits.status == PermitStatus.AWAITING_REVIEW.value),
        "ghosts": count(ghost_tweets),
    }


def reply_latencies(connection: Connection, limit: int = 10_000) -> list[float]:
    """Return, for the newest published replies, seconds from the mention to the reply."""
    queue = reply_candidate_queue.c
    permits = post_attempts.c
    statement = (
        select(queue.posted_at, permits.used_at)
        .select_from(
            post_attempts.join(
                reply_decisions, reply_decisions.c.decision_id == permits.decision_id
            ).join(reply_candidate_queue, queue.id == reply_decisions.c.candidate_id)
        )
        .where(
            permits.status == PermitStatus.USED.value,
            permits.used_at.is_not(None),
            queue.posted_at.is_not(None),
        )
        .order_by(permits.used_at.desc())
        .limit(limit)
    )
    return [
        (used_at - posted_at).total_seconds()
        for posted_at, used_at in connection.execute(statement)
    ]
