"""The job runner's state: one run per (job, account, slot) under a fenced lease (DESIGN §7)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.engine import Connection, Row

from xbot.store.queries.common import insert_ignoring_conflicts, is_postgres
from xbot.store.tables import job_runs


def create_run(connection: Connection, job: str, account_id: int, slot: int, now: datetime) -> bool:
    """Create the run for this slot unless it exists; return True when this call created it."""
    created = insert_ignoring_conflicts(
        connection,
        job_runs,
        {"job": job, "account_id": account_id, "slot": slot, "created_at": now},
        "id",
    )
    return created is not None


def skip_superseded_runs(connection: Connection, job: str, account_id: int, slot: int) -> int:
    """Skip pending runs of older slots: a late worker runs the current slot, not a backlog."""
    result = connection.execute(
        update(job_runs)
        .where(
            job_runs.c.job == job,
            job_runs.c.account_id == account_id,
            job_runs.c.slot < slot,
            job_runs.c.status == "pending",
        )
        .values(status="skipped", error="superseded by a newer slot")
    )
    return result.rowcount


def claim_run(
    connection: Connection, owner: str, jobs: Sequence[str], now: datetime, lease: timedelta
) -> Row[Any] | None:
    """Claim one pending run, or one whose lease expired, and bump its fence (attempts)."""
    claimable = and_(
        job_runs.c.job.in_(jobs),
        or_(
            job_runs.c.status == "pending",
            and_(job_runs.c.status == "running", job_runs.c.lease_until < now),
        ),
    )
    candidate = select(job_runs.c.id).where(claimable).order_by(job_runs.c.slot, job_runs.c.id)
    if is_postgres(connection):
        candidate = candidate.with_for_update(skip_locked=True)
    statement = (
        update(job_runs)
        .where(job_runs.c.id == candidate.limit(1).scalar_subquery())
        .values(
            status="running",
            owner=owner,
            attempts=job_runs.c.attempts + 1,
            lease_until=now + lease,
            started_at=now,
        )
        .returning(*job_runs.c)
    )
    return connection.execute(statement).first()


def extend_lease(
    connection: Connection, run_id: int, owner: str, fence: int, lease_until: datetime
) -> bool:
    """Heartbeat: extend the lease only while we still hold it; False means it was lost."""
    result = connection.execute(
        update(job_runs)
        .where(_held(run_id, owner, fence), job_runs.c.status == "running")
        .values(lease_until=lease_until)
    )
    return result.rowcount == 1


def finish_run(  # noqa: PLR0913 - the fence needs run, owner and attempts together
    connection: Connection,
    run_id: int,
    owner: str,
    fence: int,
    *,
    now: datetime,
    status: str,
    summary: Mapping[str, Any] | None = None,
    error: str | None = None,
) -> bool:
    """Record the outcome only while we still hold the lease; False means it was lost."""
    result = connection.execute(
        update(job_runs)
        .where(_held(run_id, owner, fence), job_runs.c.status == "running")
        .values(status=status, finished_at=now, summary=dict(summary or {}), error=error)
    )
    return result.rowcount == 1


def release_run(connection: Connection, run_id: int, owner: str, fence: int) -> bool:
    """Give a claimed run back so another worker can take it at once (clean shutdown)."""
    result = connection.execute(
        update(job_runs)
        .where(_held(run_id, owner, fence), job_runs.c.status == "running")
        .values(status="pending", owner=None, lease_until=None)
    )
    return result.rowcount == 1


def recent_outcomes(
    connection: Connection, job: str, account_id: int, limit: int = 10
) -> list[Row[Any]]:
    """Return the latest finished runs of one job for one account, newest first."""
    return list(
        connection.execute(
            select(job_runs.c.status, job_runs.c.finished_at, job_runs.c.error)
            .where(
                job_runs.c.job == job,
                job_runs.c.account_id == account_id,
                job_runs.c.status.in_(("done", "failed")),
            )
            .order_by(job_runs.c.finished_at.desc())
            .limit(limit)
        )
    )


def last_runs(connection: Connection) -> list[Row[Any]]:
    """Return, per job, its newest finished run's job, status, finished_at and error."""
    newest = (
        select(job_runs.c.job, func.max(job_runs.c.finished_at).label("finished_at"))
        .where(job_runs.c.finished_at.is_not(None))
        .group_by(job_runs.c.job)
        .subquery()
    )
    return list(
        connection.execute(
            select(job_runs.c.job, job_runs.c.status, job_runs.c.finished_at, job_runs.c.error)
            .join(
                newest,
                and_(
                    newest.c.job == job_runs.c.job, newest.c.finished_at == job_runs.c.finished_at
                ),
            )
            .order_by(job_runs.c.job)
        )
    )


def stalled_runs(connection: Connection, now: datetime) -> list[Row[Any]]:
    """Return runs still marked running whose lease expired: their worker stopped beating."""
    return list(
        connection.execute(
            select(job_runs.c.id, job_runs.c.job, job_runs.c.account_id, job_runs.c.owner,
                   job_runs.c.lease_until)
            .where(job_runs.c.status == "running", job_runs.c.lease_until < now)
            .order_by(job_runs.c.lease_until)
            .limit(20)
        )
    )  # fmt: skip


def _held(run_id: int, owner: str, fence: int) -> Any:
    return and_(job_runs.c.id == run_id, job_runs.c.owner == owner, job_runs.c.attempts == fence)
