"""The in-memory twin's tables: plain records under one lock, like one small database."""

from __future__ import annotations

import itertools
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from xbot.domain.account_state import AccountRecord, PlatformFault, Switch
from xbot.domain.audit import StoredEvent
from xbot.domain.candidates import CandidateStatus, NewCandidate
from xbot.domain.cost import Charge, CostStop
from xbot.domain.decisions import NewDecision
from xbot.domain.ghosts import GhostRecord, GhostScan
from xbot.domain.intake import StreamState
from xbot.domain.job_runs import JobRunStatus
from xbot.domain.opt_outs import NewOptOut
from xbot.domain.permits import Permit
from xbot.domain.readiness import Deployment


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


@dataclass(kw_only=True, slots=True)
class CandidateRow:
    """One `reply_candidate_queue` row: what fetch found, and where it stands now."""

    candidate_id: int
    found: NewCandidate
    status: CandidateStatus
    expires_at: datetime | None
    skip_reason: str | None


@dataclass(frozen=True, kw_only=True, slots=True)
class DecisionRow:
    """One `reply_decisions` row."""

    decision_id: str
    decision: NewDecision
    created_at: datetime


@dataclass(kw_only=True, slots=True)
class IntakeRow:
    """One `intake_streams` row."""

    cursor: str | None = None
    owner: str | None = None
    lease_until: datetime | None = None
    fence: int = 0
    state: StreamState = StreamState.STOPPED
    detail: str | None = None
    connected_since: datetime | None = None
    last_event_at: datetime | None = None
    lag_seconds: float | None = None
    events: int = 0
    admitted: int = 0
    duplicates: int = 0
    connects: int = 0
    backfilled: int = 0


@dataclass(frozen=True, kw_only=True, slots=True)
class Lease:
    """One `leases` row: who holds it, until when, and its fence."""

    owner: str | None = None
    fence: int = 0
    until: datetime | None = None


@dataclass(kw_only=True)
class Tables:
    """Every table the twin keeps; `transaction()` serialises writers like one database."""

    clock: Callable[[], datetime] = system_clock
    events: list[StoredEvent] = field(default_factory=list)
    job_runs: dict[int, RunRow] = field(default_factory=dict)
    workers: dict[str, WorkerRow] = field(default_factory=dict)
    accounts: dict[int, AccountRecord] = field(default_factory=dict)
    enabled: set[int] = field(default_factory=set)
    faults: dict[int, PlatformFault] = field(default_factory=dict)
    kill_switch: Switch = field(default_factory=Switch)
    deployments: list[Deployment] = field(default_factory=list)
    ghosts: dict[int, GhostRecord] = field(default_factory=dict)
    ghost_scans: list[GhostScan] = field(default_factory=list)
    ghost_watermarks: dict[int, str | None] = field(default_factory=dict)
    leases: dict[str, Lease] = field(default_factory=dict)
    opt_outs: dict[tuple[str, str], tuple[NewOptOut, datetime]] = field(default_factory=dict)
    candidates: dict[int, CandidateRow] = field(default_factory=dict)
    fetch_watermarks: dict[int, str] = field(default_factory=dict)
    decisions: dict[str, DecisionRow] = field(default_factory=dict)
    permits: dict[str, Permit] = field(default_factory=dict)
    #: `platform_usage`: (account id, UTC day, charge), one per charge recorded
    charges: list[tuple[int, date, Charge]] = field(default_factory=list)
    #: `post_attempts.reserved_micro_usd`: the price each permit's latest claim reserved
    reserved: dict[str, int] = field(default_factory=dict)
    #: the cost stops a platform's refusal to be paid set, by account id
    cost_stops: dict[int, CostStop] = field(default_factory=dict)
    #: `intake_streams`: (account id, stream) -> its row
    intake: dict[tuple[int, str], IntakeRow] = field(default_factory=dict)
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
