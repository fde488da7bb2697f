"""The job runner's records: one run per (job, account, slot) under a fenced lease (DESIGN §7)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


class JobRunStatus(StrEnum):
    """Where one run of a job stands (`job_runs.status`)."""

    #: created for its slot, waiting for a worker
    PENDING = "pending"
    #: claimed under a lease; `attempts` is its fence
    RUNNING = "running"
    #: the job returned a summary
    DONE = "done"
    #: the job raised
    FAILED = "failed"
    #: a newer slot of the same job and account superseded it before any worker ran it
    SKIPPED = "skipped"


@dataclass(frozen=True, kw_only=True, slots=True)
class WorkerIdentity:
    """Who runs: the worker's id, role and the git SHA it was built from."""

    worker_id: str
    role: str
    git_sha: str
    sha_source: str
    host: str
    pid: int


@dataclass(frozen=True, kw_only=True, slots=True)
class JobRun:
    """One claimed run: the fence for later writes is (job_run_id, owner, attempts)."""

    job_run_id: int
    job: str
    #: 0 for jobs that are not per account
    account_id: int
    slot: int
    owner: str
    attempts: int
    lease_until: datetime
    #: the store's clock when it was claimed: the run's `now`
    claimed_at: datetime


@dataclass(frozen=True, kw_only=True, slots=True)
class SlotOpening:
    """A slot to record: its run to claim, or (missed) a slot that closed before it was opened."""

    job: str
    account_id: int
    slot: int
    #: the slot opened and closed while no worker could open it: recorded as skipped
    missed: bool = False


@dataclass(frozen=True, kw_only=True, slots=True)
class FinishedRun:
    """The outcome of one finished run, for back-off and failure counts."""

    status: JobRunStatus
    finished_at: datetime | None
    error: str | None


@dataclass(frozen=True, kw_only=True, slots=True)
class StalledRun:
    """A run still marked running whose lease expired: its worker stopped beating."""

    job_run_id: int
    job: str
    account_id: int
    owner: str | None
    lease_until: datetime | None

    def as_data(self) -> dict[str, object]:
        """Return the run as the watchdog reports it."""
        lease = self.lease_until.isoformat() if self.lease_until else None
        return {"job_run_id": self.job_run_id, "job": self.job, "account_id": self.account_id,
                "owner": self.owner, "lease_until": lease}  # fmt: skip


@dataclass(frozen=True, kw_only=True, slots=True)
class LastRun:
    """A job's newest finished run."""

    job: str
    status: JobRunStatus
    finished_at: datetime | None
    error: str | None

    def as_data(self) -> dict[str, object]:
        """Return the outcome as the watchdog reports it."""
        finished = self.finished_at.isoformat() if self.finished_at else None
        return {"last_status": self.status.value, "last_finished_at": finished,
                "last_error": self.error}  # fmt: skip
