"""The store port: one Protocol per aggregate, and `Store`, the bundle a job is handed.

Each method is one unit of work: it opens and commits its own transaction, translates driver
errors into `StoreError` inside (procrastinate's `wrap_exceptions`), and takes and returns
frozen domain records, never a database row. The events that record a change are passed to the
method that makes it and commit with it. Two implementations: `xbot.store.sql` (SQLite and
PostgreSQL) and `xbot.store.memory` (unit tests); `tests/conformance` runs one suite on all three.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Protocol

from xbot.domain.audit import NewEvent, StoredEvent
from xbot.domain.job_runs import (
    FinishedRun,
    JobRun,
    JobRunStatus,
    LastRun,
    StalledRun,
    WorkerIdentity,
)


class EventStore(Protocol):
    """The audit log, `system_events`: append only."""

    def append(self, event: NewEvent) -> int:
        """Append one event and return its id."""
        ...

    def recent(
        self, *, event_type: str | None = None, account_id: int | None = None, limit: int = 100
    ) -> list[StoredEvent]:
        """Return the newest events, newest first, optionally of one type or account."""
        ...


class JobRunStore(Protocol):
    """The runner's runs: created per slot, claimed under a lease fenced by `attempts`.

    Leases are compared on the store's clock (the database's on PostgreSQL, DESIGN §7).
    """

    def open_slot(self, job: str, account_id: int, slot: int, now: datetime) -> bool:
        """Skip pending runs of older slots and create this slot's run; True when created."""
        ...

    def claim(self, owner: str, jobs: Sequence[str], lease: timedelta) -> JobRun | None:
        """Claim the oldest pending run (or one whose lease expired) and bump its fence."""
        ...

    def extend_lease(self, run: JobRun, lease: timedelta) -> bool:
        """Extend the lease while still held; False means another worker took it."""
        ...

    def finish(
        self, run: JobRun, status: JobRunStatus, summary: dict[str, object], error: str | None
    ) -> bool:
        """Record the outcome while the lease is held; False means it was lost."""
        ...

    def release(self, run: JobRun) -> bool:
        """Give a claimed run back so another worker takes it at once (clean shutdown)."""
        ...

    def recent_outcomes(self, job: str, account_id: int, limit: int = 10) -> list[FinishedRun]:
        """Return the newest finished (done or failed) runs of one job and account."""
        ...

    def last_by_job(self) -> list[LastRun]:
        """Return each job's newest finished run."""
        ...

    def stalled(self, now: datetime) -> list[StalledRun]:
        """Return up to 20 runs still running whose lease expired before `now`."""
        ...


class WorkerStore(Protocol):
    """The `workers` table: each worker's identity and heartbeat (CONVENTIONS 3.10)."""

    def register(
        self, worker: WorkerIdentity, now: datetime, events: Sequence[NewEvent] = ()
    ) -> None:
        """Write (or replace) the worker's row at boot, with the events that record it."""
        ...

    def beat(self, worker_id: str, now: datetime, events: Sequence[NewEvent] = ()) -> None:
        """Record that the worker is alive, with any events written alongside."""
        ...

    def mark_stopped(self, worker_id: str, now: datetime, events: Sequence[NewEvent] = ()) -> None:
        """Record a clean stop, with the events that record it."""
        ...

    def booted_shas(self, prefix: str) -> list[str]:
        """Return the distinct SHAs (lowercase) workers booted with that start with `prefix`."""
        ...


class StatusStore(Protocol):
    """Read-only counts the watchdog and /ready report."""

    def queue_size(self, now: datetime) -> int:
        """Count queued candidates not expired at `now`."""
        ...

    def permits_by_status(self) -> dict[str, int]:
        """Count permits per status."""
        ...


class Store(Protocol):
    """Everything a job may read or write, one attribute per aggregate."""

    @property
    def events(self) -> EventStore:
        """The audit log."""
        ...

    @property
    def job_runs(self) -> JobRunStore:
        """The runner's runs."""
        ...

    @property
    def workers(self) -> WorkerStore:
        """Workers and their heartbeats."""
        ...

    @property
    def status(self) -> StatusStore:
        """Counts for reports."""
        ...

    def now(self) -> datetime:
        """Return the shared clock: the database's on PostgreSQL, else this process's."""
        ...
