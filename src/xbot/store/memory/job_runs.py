"""The runner's runs and the workers' rows in memory, with the SQL store's fencing rules."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

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
from xbot.store.memory.events import append_to
from xbot.store.memory.tables import RunRow, Tables, WorkerRow

_FINISHED = (JobRunStatus.DONE, JobRunStatus.FAILED)


class MemoryJobRuns:
    """`JobRunStore` in memory."""

    def __init__(self, tables: Tables) -> None:
        self.tables = tables

    def open_slot(self, job: str, account_id: int, slot: int, now: datetime) -> bool:
        """Skip pending runs of older slots and create this slot's run; True when created."""
        with self.tables.transaction() as tables:
            mine = [row for row in tables.job_runs.values()
                    if (row.job, row.account_id) == (job, account_id)]  # fmt: skip
            for row in mine:
                if row.slot < slot and row.status is JobRunStatus.PENDING:
                    row.status, row.error = JobRunStatus.SKIPPED, "superseded by a newer slot"
            if any(row.slot == slot for row in mine):
                return False
            run_id = tables.next_id()
            tables.job_runs[run_id] = RunRow(
                job_run_id=run_id, job=job, account_id=account_id, slot=slot, created_at=now
            )
            return True

    def open_slots(self, openings: Sequence[SlotOpening], now: datetime) -> int:
        """Open many slots: older pending runs skipped, missed ones recorded as skipped."""
        created = 0
        for item in sorted(openings, key=lambda item: item.missed, reverse=True):
            if not item.missed:
                created += self.open_slot(item.job, item.account_id, item.slot, now)
                continue
            with self.tables.transaction() as tables:
                exists = any((row.job, row.account_id, row.slot) == (item.job, item.account_id,
                             item.slot) for row in tables.job_runs.values())  # fmt: skip
                if not exists:
                    run_id = tables.next_id()
                    tables.job_runs[run_id] = RunRow(
                        job_run_id=run_id, job=item.job, account_id=item.account_id,
                        slot=item.slot, created_at=now, status=JobRunStatus.SKIPPED,
                        error="the slot closed before a worker could open it",
                    )  # fmt: skip
        return created

    def recently_failed(self, since: datetime) -> set[tuple[str, int]]:
        """Return the (job, account) pairs with a run that failed at or after `since`."""
        with self.tables.transaction() as tables:
            return {
                (row.job, row.account_id)
                for row in tables.job_runs.values()
                if row.status is JobRunStatus.FAILED
                and row.finished_at is not None
                and row.finished_at >= since
            }

    def claim(
        self, owner: str, jobs: Sequence[str], lease: timedelta, *, first: Sequence[str] = ()
    ) -> JobRun | None:
        """Claim the first opened pending run (or one whose lease expired) and bump its fence."""
        with self.tables.transaction() as tables:
            now = tables.clock()
            rows = tables.job_runs.values()
            # one run of a (job, account) in flight at a time, as the SQL claim
            busy = {(row.job, row.account_id) for row in rows if _in_flight(row, now)}
            claimable = [row for row in rows if row.job in jobs and _claimable(row, now)
                         and (row.job, row.account_id) not in busy]  # fmt: skip
            if not claimable:
                return None
            # the `first` jobs' runs before the others, each oldest first, as the SQL claim
            row = min(claimable, key=lambda row: (row.job not in first, row.created_at,
                                                  row.job_run_id))  # fmt: skip
            row.status, row.owner, row.attempts = JobRunStatus.RUNNING, owner, row.attempts + 1
            row.lease_until, row.started_at = now + lease, now
            return JobRun(
                job_run_id=row.job_run_id, job=row.job, account_id=row.account_id, slot=row.slot,
                owner=owner, attempts=row.attempts, lease_until=row.lease_until, claimed_at=now,
            )  # fmt: skip

    def extend_lease(self, run: JobRun, lease: timedelta) -> bool:
        """Extend the lease while still held; False means another worker took it."""
        with self.tables.transaction() as tables:
            row = _held(tables, run)
            if row is not None:
                row.lease_until = tables.clock() + lease
            return row is not None

    def finish(
        self, run: JobRun, status: JobRunStatus, summary: dict[str, object], error: str | None
    ) -> bool:
        """Record the outcome while the lease is held; False means it was lost."""
        with self.tables.transaction() as tables:
            row = _held(tables, run)
            if row is not None:
                row.status, row.finished_at = status, tables.clock()
                row.summary, row.error = dict(summary), error
            return row is not None

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
        """Finish, then claim the next run for the same owner."""
        finished = self.finish(run, status, summary, error)
        return finished, self.claim(run.owner, jobs, lease, first=first)

    def release(self, run: JobRun) -> bool:
        """Give a claimed run back so another worker takes it at once (clean shutdown)."""
        with self.tables.transaction() as tables:
            row = _held(tables, run)
            if row is not None:
                row.status, row.owner, row.lease_until = JobRunStatus.PENDING, None, None
            return row is not None

    def recent_outcomes(self, job: str, account_id: int, limit: int = 10) -> list[FinishedRun]:
        """Return the newest finished (done or failed) runs of one job and account."""
        with self.tables.transaction() as tables:
            rows = [
                row
                for row in tables.job_runs.values()
                if (row.job, row.account_id) == (job, account_id) and row.status in _FINISHED
            ]
        rows.sort(key=_finished_at, reverse=True)
        return [FinishedRun(status=row.status, finished_at=row.finished_at, error=row.error)
                for row in rows[:limit]]  # fmt: skip

    def last_by_job(self) -> list[LastRun]:
        """Return each job's newest finished run."""
        newest: dict[str, RunRow] = {}
        with self.tables.transaction() as tables:
            for row in tables.job_runs.values():
                if row.finished_at is not None and (
                    row.job not in newest or _finished_at(row) > _finished_at(newest[row.job])
                ):
                    newest[row.job] = row
        return [
            LastRun(job=job, status=row.status, finished_at=row.finished_at, error=row.error)
            for job, row in sorted(newest.items())
        ]

    def stalled(self, now: datetime) -> list[StalledRun]:
        """Return up to 20 runs still running whose lease expired before `now`."""
        with self.tables.transaction() as tables:
            rows = [row for row in tables.job_runs.values()
                    if row.status is JobRunStatus.RUNNING and row.lease_until is not None
                    and row.lease_until < now]  # fmt: skip
        rows.sort(key=lambda row: row.lease_until or now)
        return [
            StalledRun(
                job_run_id=row.job_run_id,
                job=row.job,
                account_id=row.account_id,
                owner=row.owner,
                lease_until=row.lease_until,
            )
            for row in rows[:20]
        ]


def _claimable(row: RunRow, now: datetime) -> bool:
    if row.status is JobRunStatus.PENDING:
        return True
    expired = row.lease_until is not None and row.lease_until < now
    return row.status is JobRunStatus.RUNNING and expired


def _in_flight(row: RunRow, now: datetime) -> bool:
    live = row.lease_until is not None and row.lease_until >= now
    return row.status is JobRunStatus.RUNNING and live


def _held(tables: Tables, run: JobRun) -> RunRow | None:
    row = tables.job_runs.get(run.job_run_id)
    if row is None or row.status is not JobRunStatus.RUNNING:
        return None
    return row if (row.owner, row.attempts) == (run.owner, run.attempts) else None


def _finished_at(row: RunRow) -> datetime:
    assert row.finished_at is not None  # noqa: S101 - only finished rows are sorted
    return row.finished_at


class MemoryWorkers:
    """`WorkerStore` in memory."""

    def __init__(self, tables: Tables) -> None:
        self.tables = tables

    def register(
        self, worker: WorkerIdentity, now: datetime, events: Sequence[NewEvent] = ()
    ) -> None:
        """Write (or replace) the worker's row at boot, with the events that record it."""
        with self.tables.transaction() as tables:
            tables.workers[worker.worker_id] = WorkerRow(
                worker_id=worker.worker_id, role=worker.role, git_sha=worker.git_sha,
                sha_source=worker.sha_source, host=worker.host, pid=worker.pid, booted_at=now,
                heartbeat_at=now,
            )  # fmt: skip
            for event in events:
                append_to(tables, event)

    def beat(self, worker_id: str, now: datetime, events: Sequence[NewEvent] = ()) -> None:
        """Record that the worker is alive, with any events written alongside."""
        with self.tables.transaction() as tables:
            if worker_id in tables.workers:
                tables.workers[worker_id].heartbeat_at = now
            for event in events:
                append_to(tables, event)

    def mark_stopped(self, worker_id: str, now: datetime, events: Sequence[NewEvent] = ()) -> None:
        """Record a clean stop, with the events that record it."""
        with self.tables.transaction() as tables:
            row = tables.workers.get(worker_id)
            if row is not None:
                row.heartbeat_at = row.stopped_at = now
            for event in events:
                append_to(tables, event)

    def booted_shas(self, prefix: str) -> list[str]:
        """Return the distinct SHAs (lowercase) workers booted with that start with `prefix`."""
        with self.tables.transaction() as tables:
            shas = {row.git_sha.lower() for row in tables.workers.values()}
        return sorted(sha for sha in shas if sha.startswith(prefix.lower()))
