"""The runner's runs and the workers' rows through the port, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.engine import Row

from xbot.domain.audit import NewEvent
from xbot.domain.job_runs import (
    FinishedRun,
    JobRun,
    JobRunStatus,
    LastRun,
    SlotOpening,
    StalledRun,
    WorkerIdentity,
)
from xbot.store.queries import job_runs, workers
from xbot.store.queries.common import database_now
from xbot.store.queries.events import insert_event
from xbot.store.sql.transactions import Transactions


class SqlJobRuns:
    """`JobRunStore` on `job_runs`; leases are compared on the database's clock."""

    def __init__(self, transactions: Transactions) -> None:
        self.transactions = transactions

    def open_slot(self, job: str, account_id: int, slot: int, now: datetime) -> bool:
        """Skip pending runs of older slots and create this slot's run; True when created."""
        with self.transactions.begin() as connection:
            job_runs.skip_superseded_runs(connection, job, account_id, slot)
            return job_runs.create_run(connection, job, account_id, slot, now)

    def open_slots(self, openings: Sequence[SlotOpening], now: datetime) -> int:
        """Open many slots in one transaction: older pending runs skipped, missed ones recorded."""
        if not openings:
            return 0
        # older pending runs are skipped in one order in every worker (no lock cycles); the
        # new runs are inserted in the caller's order, which is the order they are claimed in
        ordered = sorted(openings, key=lambda item: (item.job, item.account_id, item.slot))
        newest = {(item.job, item.account_id): item.slot for item in ordered if not item.missed}
        rows = [
            {"job": item.job, "account_id": item.account_id, "slot": item.slot,
             "created_at": now, "status": "skipped" if item.missed else "pending",
             "error": job_runs.MISSED if item.missed else None}
            for item in openings
        ]  # fmt: skip
        with self.transactions.begin() as connection:
            if newest:
                job_runs.skip_superseded_many(
                    connection, [(job, account, slot) for (job, account), slot in newest.items()]
                )
            return job_runs.create_runs(connection, rows)

    def recently_failed(self, since: datetime) -> set[tuple[str, int]]:
        """Return the (job, account) pairs with a run that failed at or after `since`."""
        with self.transactions.read() as connection:
            return job_runs.recently_failed(connection, since)

    def claim(
        self, owner: str, jobs: Sequence[str], lease: timedelta, *, first: Sequence[str] = ()
    ) -> JobRun | None:
        """Claim the first opened pending (or lease-expired) run, `first` jobs' ahead; fence it."""
        if self.transactions.postgres:
            with self.transactions.single() as connection:
                return _claimed(job_runs.claim_run_now(connection, owner, jobs, lease, first=first))
        with self.transactions.begin() as connection:
            now = database_now(connection)
            return _claimed(
                job_runs.claim_run(connection, owner, list(jobs), now, lease, first=first)
            )

    def extend_lease(self, run: JobRun, lease: timedelta) -> bool:
        """Extend the lease while still held; False means another worker took it."""
        with self.transactions.single() as connection:
            until = database_now(connection) + lease
            return job_runs.extend_lease(connection, run.job_run_id, run.owner, run.attempts, until)

    def finish(
        self, run: JobRun, status: JobRunStatus, summary: dict[str, object], error: str | None
    ) -> bool:
        """Record the outcome while the lease is held; False means it was lost."""
        with self.transactions.single() as connection:
            return job_runs.finish_run(
                connection, run.job_run_id, run.owner, run.attempts, now=database_now(connection),
                status=status.value, summary=summary, error=error,
            )  # fmt: skip

    def finish_and_claim(  # noqa: PLR0913 - the outcome of one run, then the next claim's terms
        self,
        run: JobRun,
        status: JobRunStatus,
        summary: dict[str, object],
        error: str | None,
        *,
        jobs: Sequence[str],
        lease: timedelta,
        first: Sequence[str] = (),
    ) -> tuple[bool, JobRun | None]:
        """Finish and claim the next run: one statement on PostgreSQL, one transaction else."""
        if not self.transactions.postgres:
            with self.transactions.begin() as connection:
                now = database_now(connection)
                finished = job_runs.finish_run(
                    connection, run.job_run_id, run.owner, run.attempts, now=now,
                    status=status.value, summary=summary, error=error,
                )  # fmt: skip
                row = job_runs.claim_run(connection, run.owner, list(jobs), now, lease, first=first)
            return finished, _claimed(row)
        with self.transactions.single() as connection:
            row = job_runs.finish_and_claim_now(
                connection, run.job_run_id, run.owner, run.attempts, status=status.value,
                summary=summary, error=error, jobs=jobs, lease=lease, first=first,
            )  # fmt: skip
        return row.finished == 1, _claimed(row) if row.id is not None else None

    def release(self, run: JobRun) -> bool:
        """Give a claimed run back so another worker takes it at once (clean shutdown)."""
        with self.transactions.begin() as connection:
            return job_runs.release_run(connection, run.job_run_id, run.owner, run.attempts)

    def recent_outcomes(self, job: str, account_id: int, limit: int = 10) -> list[FinishedRun]:
        """Return the newest finished (done or failed) runs of one job and account."""
        with self.transactions.read() as connection:
            rows = job_runs.recent_outcomes(connection, job, account_id, limit)
        return [
            FinishedRun(
                status=JobRunStatus(row.status), finished_at=row.finished_at, error=row.error
            )
            for row in rows
        ]

    def last_by_job(self) -> list[LastRun]:
        """Return each job's newest finished run."""
        with self.transactions.read() as connection:
            rows = job_runs.last_runs(connection)
        return [
            LastRun(
                job=row.job,
                status=JobRunStatus(row.status),
                finished_at=row.finished_at,
                error=row.error,
            )
            for row in rows
        ]

    def stalled(self, now: datetime) -> list[StalledRun]:
        """Return up to 20 runs still running whose lease expired before `now`."""
        with self.transactions.read() as connection:
            rows = job_runs.stalled_runs(connection, now)
        return [
            StalledRun(
                job_run_id=row.id,
                job=row.job,
                account_id=row.account_id,
                owner=row.owner,
                lease_until=row.lease_until,
            )
            for row in rows
        ]


def _claimed(row: Row[Any] | None) -> JobRun | None:
    if row is None:
        return None
    return JobRun(
        job_run_id=row.id, job=row.job, account_id=row.account_id, slot=row.slot,
        owner=row.owner, attempts=row.attempts, lease_until=row.lease_until,
        claimed_at=row.started_at,
    )  # fmt: skip


class SqlWorkers:
    """`WorkerStore` on `workers`."""

    def __init__(self, transactions: Transactions) -> None:
        self.transactions = transactions

    def register(
        self, worker: WorkerIdentity, now: datetime, events: Sequence[NewEvent] = ()
    ) -> None:
        """Write (or replace) the worker's row at boot, with the events that record it."""
        with self.transactions.begin() as connection:
            workers.register_worker(
                connection, worker_id=worker.worker_id, role=worker.role, git_sha=worker.git_sha,
                sha_source=worker.sha_source, host=worker.host, pid=worker.pid, now=now,
            )  # fmt: skip
            for event in events:
                insert_event(connection, event)

    def beat(self, worker_id: str, now: datetime, events: Sequence[NewEvent] = ()) -> None:
        """Record that the worker is alive, with any events written alongside."""
        with self.transactions.begin() as connection:
            workers.beat(connection, worker_id, now)
            for event in events:
                insert_event(connection, event)

    def mark_stopped(self, worker_id: str, now: datetime, events: Sequence[NewEvent] = ()) -> None:
        """Record a clean stop, with the events that record it."""
        with self.transactions.begin() as connection:
            workers.mark_stopped(connection, worker_id, now)
            for event in events:
                insert_event(connection, event)

    def booted_shas(self, prefix: str) -> list[str]:
        """Return the distinct SHAs (lowercase) workers booted with that start with `prefix`."""
        with self.transactions.read() as connection:
            return workers.booted_shas(connection, prefix)
