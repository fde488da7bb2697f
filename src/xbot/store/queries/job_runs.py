"""The job runner's state: one run per (job, account, slot) under a fenced lease (DESIGN §7)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, bindparam, case, func, or_, select, text, tuple_, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection, Row

from xbot.store.queries.common import insert_ignoring_conflicts, is_postgres
from xbot.store.tables import job_runs
from xbot.store.types import JsonData, UtcDateTime

#: the columns a claim returns, as the port's JobRun needs them
_CLAIMED = "id, job, account_id, slot, owner, attempts, lease_until, started_at"
#: PostgreSQL: the oldest claimable run of the `first` jobs, else of the others (first opened,
#: first run), locked, others skipped; never one whose (job, account) has another run in
#: flight under a live lease (a worker runs several at once: xbot.jobs.runner_pool)
_NEXT_CLAIMABLE = """
    SELECT id FROM job_runs AS c
    WHERE job = ANY(:jobs) AND id <> :skip_id
      AND (status = 'pending' OR (status = 'running' AND lease_until < clock_timestamp()))
      AND (job, account_id) NOT IN (
          SELECT busy.job, busy.account_id FROM job_runs AS busy
          WHERE busy.status = 'running' AND busy.lease_until >= clock_timestamp() {finished})
    ORDER BY job = ANY(:first) DESC, created_at, id LIMIT 1 FOR UPDATE OF c SKIP LOCKED
"""
_CLAIM = f"""
    UPDATE job_runs SET status = 'running', owner = :owner, attempts = attempts + 1,
           lease_until = clock_timestamp() + :lease, started_at = clock_timestamp()
    WHERE id = ({_NEXT_CLAIMABLE})
"""
#: PostgreSQL: one round trip that claims a run (clock_timestamp(): the shared clock)
CLAIM_NOW = f"{_CLAIM.format(finished='')} RETURNING {_CLAIMED}"
#: PostgreSQL: finish the run held under the fence and claim the next one, in one statement
FINISH_AND_CLAIM_NOW = f"""
    WITH finished AS (
        UPDATE job_runs SET status = :status, finished_at = clock_timestamp(),
               summary = :summary, error = :error
        WHERE id = :run_id AND owner = :fence_owner AND attempts = :fence
          AND status = 'running'
        RETURNING id
    ), claimed AS (
        {_CLAIM.format(finished="AND busy.id NOT IN (SELECT id FROM finished)")}
        RETURNING {_CLAIMED})
    SELECT (SELECT count(*) FROM finished) AS finished, claimed.*
    FROM (SELECT 1) AS one LEFT JOIN claimed ON true
"""

_CLAIM_NOW = text(CLAIM_NOW).columns(lease_until=UtcDateTime, started_at=UtcDateTime)
_FINISH_AND_CLAIM_NOW = (
    text(FINISH_AND_CLAIM_NOW)
    .bindparams(bindparam("summary", type_=JsonData))
    .columns(lease_until=UtcDateTime, started_at=UtcDateTime)
)


def create_run(connection: Connection, job: str, account_id: int, slot: int, now: datetime) -> bool:
    """Create the run for this slot unless it exists; return True when this call created it."""
    created = insert_ignoring_conflicts(
        connection,
        job_runs,
        {"job": job, "account_id": account_id, "slot": slot, "created_at": now},
        "id",
    )
    return created is not None


#: why a slot that opened and closed unseen is recorded as skipped
MISSED = "the slot closed before a worker could open it"
#: why an older pending run is skipped when a newer slot of its job and account opens
SUPERSEDED = "superseded by a newer slot"


def create_runs(connection: Connection, rows: Sequence[Mapping[str, Any]]) -> int:
    """Insert many runs (job, account_id, slot, created_at, status, error), existing ones left.

    Returns how many pending runs it created.
    """
    dialect_insert = postgresql.insert if is_postgres(connection) else sqlite.insert
    statement = dialect_insert(job_runs).on_conflict_do_nothing().returning(job_runs.c.status)
    result = connection.execute(statement, list(rows))
    return sum(status == "pending" for status in result.scalars())


def skip_superseded_many(connection: Connection, slots: Sequence[tuple[str, int, int]]) -> None:
    """`skip_superseded_runs` for many (job, account_id, slot), in one round trip where it can."""
    statement = (
        update(job_runs)
        .where(
            job_runs.c.job == bindparam("b_job"),
            job_runs.c.account_id == bindparam("b_account"),
            job_runs.c.slot < bindparam("b_slot"),
            job_runs.c.status == "pending",
        )
        .values(status="skipped", error=SUPERSEDED)
    )
    parameters = [
        {"b_job": job, "b_account": account, "b_slot": slot} for job, account, slot in slots
    ]
    connection.execute(statement, parameters)


def recently_failed(connection: Connection, since: datetime) -> set[tuple[str, int]]:
    """Return the (job, account_id) pairs with a run that failed at or after `since`."""
    rows = connection.execute(
        select(job_runs.c.job, job_runs.c.account_id)
        .where(job_runs.c.status == "failed", job_runs.c.finished_at >= since)
        .distinct()
    )
    return {(row.job, row.account_id) for row in rows}


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
        .values(status="skipped", error=SUPERSEDED)
    )
    return result.rowcount


def claim_run(  # noqa: PLR0913 - the claim's terms
    connection: Connection,
    owner: str,
    jobs: Sequence[str],
    now: datetime,
    lease: timedelta,
    *,
    first: Sequence[str] = (),
) -> Row[Any] | None:
    """Claim one pending run, or one whose lease expired, and bump its fence (attempts)."""
    busy = job_runs.alias("busy")
    # the few running rows, read once per statement (not per candidate row, nor per pair's past)
    in_flight = select(busy.c.job, busy.c.account_id).where(
        busy.c.status == "running", busy.c.lease_until >= now
    )
    claimable = and_(
        job_runs.c.job.in_(jobs),
        or_(
            job_runs.c.status == "pending",
            and_(job_runs.c.status == "running", job_runs.c.lease_until < now),
        ),
        # one run of a (job, account) in flight at a time
        tuple_(job_runs.c.job, job_runs.c.account_id).not_in(in_flight),
    )
    candidate = (
        select(job_runs.c.id)
        .where(claimable)
        .order_by(
            case((job_runs.c.job.in_(first), 0), else_=1), job_runs.c.created_at, job_runs.c.id
        )
    )
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


def claim_run_now(
    connection: Connection,
    owner: str,
    jobs: Sequence[str],
    lease: timedelta,
    first: Sequence[str] = (),
) -> Row[Any] | None:
    """PostgreSQL: claim one run on the database's clock in one statement (no clock read)."""
    parameters = {
        "owner": owner, "jobs": list(jobs), "lease": lease, "skip_id": 0, "first": list(first),
    }  # fmt: skip
    return connection.execute(_CLAIM_NOW, parameters).first()


def finish_and_claim_now(  # noqa: PLR0913 - the fence, the outcome and the next claim's terms
    connection: Connection,
    run_id: int,
    fence_owner: str,
    fence: int,
    *,
    status: str,
    summary: Mapping[str, Any],
    error: str | None,
    jobs: Sequence[str],
    lease: timedelta,
    first: Sequence[str] = (),
) -> Row[Any]:
    """PostgreSQL: record the outcome under the fence and claim the next run, one statement.

    The row has `finished` (1, or 0 when the lease was lost) and the claimed run's columns,
    all NULL when nothing was claimable.
    """
    parameters = {
        "run_id": run_id, "fence_owner": fence_owner, "fence": fence, "status": status,
        "summary": dict(summary), "error": error, "owner": fence_owner, "jobs": list(jobs),
        "lease": lease, "skip_id": run_id, "first": list(first),
    }  # fmt: skip
    return connection.execute(_FINISH_AND_CLAIM_NOW, parameters).one()


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
