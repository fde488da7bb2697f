"""The in-memory twin's tables: plain records under one lock, like one small database."""

from __future__ import annotations

import itertools
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from xbot.domain.audit import StoredEvent
from xbot.domain.job_runs import JobRunStatus


def system_clock() -> datetime:
    """Return this process's clock, aware UTC."""
    return datetime.now(UTC)


@dataclass(kw_only=True, slots=True)
class RunRow:
    """One `job_runs` row."""

    job_run_id: int
    job: str
    account_id: int
    slot: int
    created_at: datetime
    status: JobRunStatus = JobRunStatus.PENDING
    owner: str | None = None
    attempts: int = 0
    lease_until: datetime | None = None
    started_at: datetime | None = None
    finished_at: datetime | None = None
    summary: dict[str, Any] | None = None
    error: str | None = None


@dataclass(kw_only=True, slots=True)
class WorkerRow:
    """One `workers` row."""

    worker_id: str
    role: str
    git_sha: str
    sha_source: str
    host: str
    pid: int
    booted_at: datetime
    heartbeat_at: datetime
    stopped_at: datetime | None = None


@dataclass(kw_only=True)
class Tables:
    """Every table the twin keeps; `transaction()` serialises writers like one database."""

    clock: Callable[[], datetime] = system_clock
    events: list[StoredEvent] = field(default_factory=list)
    job_runs: dict[int, RunRow] = field(default_factory=dict)
    workers: dict[str, WorkerRow] = field(default_factory=dict)
    #: permit statuses and (status, expires_at) of candidates, for the counts in reports
    permit_statuses: dict[int, str] = field(default_factory=dict)
    candidate_queue: dict[int, tuple[str, datetime]] = field(default_factory=dict)
    _lock: threading.RLock = field(default_factory=threading.RLock)
    _ids: Iterator[int] = field(default_factory=lambda: itertools.count(1))

    def next_id(self) -> int:
        """Return a fresh id, like an identity column."""
        return next(self._ids)

    @contextmanager
    def transaction(self) -> Iterator[Tables]:
        """Hold the lock for one unit of work."""
        with self._lock:
            yield self
