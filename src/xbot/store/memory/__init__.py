"""The store port in memory: the twin job unit tests run on (procrastinate's InMemoryConnector).

It keeps the SQL store's rules (fences, slots, leases on the store's clock) and nothing else:
`tests/conformance` runs the same suite on it, on SQLite and on PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from xbot.domain.candidates import CandidateStatus
from xbot.domain.permits import PermitStatus
from xbot.store.memory.accounts import MemoryAccounts
from xbot.store.memory.candidates import MemoryCandidates
from xbot.store.memory.decisions import MemoryDecisions
from xbot.store.memory.events import MemoryEvents
from xbot.store.memory.ghosts import MemoryGhosts
from xbot.store.memory.intake import MemoryIntake
from xbot.store.memory.job_runs import MemoryJobRuns, MemoryWorkers
from xbot.store.memory.opt_outs import MemoryOptOuts
from xbot.store.memory.permits import MemoryPermits
from xbot.store.memory.tables import Tables, system_clock
from xbot.store.memory.usage import MemoryUsage


class MemoryStatus:
    """`StatusStore` over the twin's tables."""

    def __init__(self, tables: Tables) -> None:
        self.tables = tables

    def queue_size(self, now: datetime) -> int:
        """Count queued candidates not expired at `now`."""
        with self.tables.transaction() as tables:
            return sum(
                1
                for row in tables.candidates.values()
                if row.status is CandidateStatus.QUEUED
                and row.expires_at is not None
                and row.expires_at > now
            )

    def permits_by_status(self) -> dict[str, int]:
        """Count permits per status."""
        counts: dict[str, int] = {}
        with self.tables.transaction() as tables:
            for permit in tables.permits.values():
                counts[permit.status.value] = counts.get(permit.status.value, 0) + 1
        return counts

    def accounts_with_queued_candidates(self, now: datetime) -> set[int]:
        """Return the accounts with a queued candidate not expired at `now`."""
        with self.tables.transaction() as tables:
            return {
                row.found.account_id
                for row in tables.candidates.values()
                if row.status is CandidateStatus.QUEUED
                and row.expires_at is not None
                and row.expires_at > now
            }

    def accounts_with_pending_permits(self) -> set[int]:
        """Return the accounts that have a PENDING permit (the post job's work)."""
        with self.tables.transaction() as tables:
            return {
                permit.account_id
                for permit in tables.permits.values()
                if permit.status is PermitStatus.PENDING
            }


class MemoryStore:
    """`xbot.domain.stores.Store` in memory; `clock` is its shared clock (settable in tests)."""

    def __init__(self, clock: Callable[[], datetime] = system_clock) -> None:
        self.tables = Tables(clock=clock)
        self.events = MemoryEvents(self.tables)
        self.job_runs = MemoryJobRuns(self.tables)
        self.workers = MemoryWorkers(self.tables)
        self.accounts = MemoryAccounts(self.tables)
        self.candidates = MemoryCandidates(self.tables)
        self.decisions = MemoryDecisions(self.tables)
        self.permits = MemoryPermits(self.tables)
        self.opt_outs = MemoryOptOuts(self.tables)
        self.ghosts = MemoryGhosts(self.tables)
        self.usage = MemoryUsage(self.tables)
        self.intake = MemoryIntake(self.tables)
        self.status = MemoryStatus(self.tables)

    def now(self) -> datetime:
        """Return the store's clock."""
        return self.tables.clock()


__all__ = ["MemoryStore"]
