"""What /metrics reads from the database at scrape time: counts per account, job and state.

Each query groups by the narrow key an index covers (account_id, status, …); the account's
`platform:handle` name is joined in Python from one read of `accounts`, so a million permits
cost one index scan, not a join per row.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import and_, func, or_, select
from sqlalchemy.engine import Connection

from xbot.domain.candidates import CandidateStatus
from xbot.domain.permits import PermitStatus
from xbot.store.tables import (
    accounts,
    ghost_tweets,
    job_runs,
    post_attempts,
    reply_candidate_queue,
    workers,
)


def account_names(connection: Connection) -> dict[int, tuple[str, str]]:
    """Return account id -> (platform, "platform:handle")."""
    rows = connection.execute(select(accounts.c.id, accounts.c.platform, accounts.c.handle))
    return {int(row.id): (row.platform, f"{row.platform}:{row.handle}") for row in rows}


def posts_by_account(connection: Connection) -> dict[int, int]:
    """Count USED permits (published posts) per account."""
    permits = post_attempts.c
    statement = (
        select(permits.account_id, func.count())
        .where(permits.status == PermitStatus.USED.value)
        .group_by(permits.account_id)
    )
    return {int(account): int(count) for account, count in connection.execute(statement)}


def permits_by_account_and_state(connection: Connection) -> dict[tuple[int, str], int]:
    """Count permits per (account, status)."""
    permits = post_attempts.c
    statement = select(permits.account_id, permits.status, func.count()).group_by(
        permits.account_id, permits.status
    )
    rows = connection.execute(statement)
    return {(int(account), str(status)): int(count) for account, status, count in rows}


def skipped_by_account_and_reason(connection: Connection) -> dict[tuple[int, str], int]:
    """Count skipped candidates per (account, skip reason)."""
    queue = reply_candidate_queue.c
    statement = (
        select(queue.account_id, queue.skip_reason, func.count())
        .where(queue.status == CandidateStatus.SKIPPED.value)
        .group_by(queue.account_id, queue.skip_reason)
    )
    rows = connection.execute(statement)
    return {(int(account), str(reason or "unknown")): int(count) for account, reason, count in rows}


def queue_depth_by_account(connection: Connection, now: datetime) -> dict[int, int]:
    """Count queued, unexpired candidates per account."""
    queue = reply_candidate_queue.c
    statement = (
        select(queue.account_id, func.count())
        .where(
            queue.status == CandidateStatus.QUEUED.value,
            or_(queue.expires_at.is_(None), queue.expires_at > now),
        )
        .group_by(queue.account_id)
    )
    return {int(account): int(count) for account, count in connection.execute(statement)}


def overdue_permits(
    connection: Connection, now: datetime, lease: timedelta
) -> dict[tuple[int, str], int]:
    """Count permits in doubt for too long, per (account, status).

    POSTING past its lease (the holder vanished) and UNKNOWN for longer than one lease since
    it became UNKNOWN (reconcile should have settled it by then).
    """
    permits = post_attempts.c
    statement = (
        select(permits.account_id, permits.status, func.count())
        .where(
            or_(
                and_(permits.status == PermitStatus.POSTING.value, permits.lease_until < now),
                and_(
                    permits.status == PermitStatus.UNKNOWN.value,
                    func.coalesce(permits.updated_at, permits.created_at) < now - lease,
                ),
            )
        )
        .group_by(permits.account_id, permits.status)
    )
    rows = connection.execute(statement)
    return {(int(account), str(status)): int(count) for account, status, count in rows}


def job_failures(connection: Connection) -> dict[str, int]:
    """Count failed job runs per job."""
    runs = job_runs.c
    statement = select(runs.job, func.count()).where(runs.status == "failed").group_by(runs.job)
    return {str(job): int(count) for job, count in connection.execute(statement)}


def unacknowledged_ghosts(connection: Connection) -> int:
    """Count ghosts nobody has acknowledged."""
    statement = (
        select(func.count())
        .select_from(ghost_tweets)
        .where(ghost_tweets.c.acknowledged_at.is_(None))
    )
    return int(connection.execute(statement).scalar_one())


def live_workers(connection: Connection, since: datetime) -> dict[str, int]:
    """Count running workers per role whose heartbeat is newer than `since`."""
    statement = (
        select(workers.c.role, func.count())
        .where(workers.c.stopped_at.is_(None), workers.c.heartbeat_at >= since)
        .group_by(workers.c.role)
    )
    return {str(role): int(count) for role, count in connection.execute(statement)}


def newest_heartbeat(connection: Connection) -> datetime | None:
    """Return the newest heartbeat of any worker that may post (role worker or all)."""
    statement = select(func.max(workers.c.heartbeat_at)).where(
        workers.c.role.in_(("worker", "all"))
    )
    moment: datetime | None = connection.execute(statement).scalar_one()
    return moment
