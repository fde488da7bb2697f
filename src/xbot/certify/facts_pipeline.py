"""The facts of checks C to F (fetch, queue, scheduler and permit, trace chain)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from datetime import datetime

from xbot.certify.model import JobRuns
from xbot.certify.rows import Row, count, moment_or_text, required_moment, text


@dataclass(frozen=True, kw_only=True, slots=True)
class FetchFacts:
    """C: the fetch runs in the window, the last failure's reason and the streams' health."""

    runs: JobRuns = field(default_factory=JobRuns)
    #: read only when the window's runs failed and none completed
    failure_reason: str | None = None
    #: the streams' health in a few words (None: no account streams)
    streams: str | None = None

    @property
    def failures_read(self) -> bool:
        """Return True when C read the last failures (runs failed and none completed)."""
        return bool(self.runs.failed and not self.runs.completed)

    def as_data(self) -> dict[str, object]:
        """Return the facts as the report's JSON keeps them."""
        runs = self.runs
        data: dict[str, object] = {
            "started": runs.started,
            "completed": runs.completed,
            "failed": runs.failed,
            "last_started_at": runs.last_started_at,
            "last_completed_at": runs.last_completed_at,
            "found_new": runs.found_new,
            "queued": runs.queued,
        }
        if self.failures_read:
            data["failure_reason"] = self.failure_reason
        if self.streams is not None:
            data["streams"] = self.streams
        return data


@dataclass(frozen=True, kw_only=True, slots=True)
class QueueFacts:
    """D: the queued, unexpired candidates; when none, what the window's candidates became."""

    queued_unexpired: int = 0
    newest_queued_at: datetime | None = None
    #: candidates of the window by "status (skip reason)"; None while some are queued
    recent: Mapping[str, int] | None = None
    #: of them, taken by the scheduler
    taken: int = 0
    #: of them, taken or skipped with a reason that proves the queue works
    settled: int = 0

    def as_data(self) -> dict[str, object]:
        """Return the facts as the report's JSON keeps them."""
        data: dict[str, object] = {
            "queued_unexpired": self.queued_unexpired,
            "newest_queued_at": self.newest_queued_at,
        }
        if self.recent is not None:
            data |= {"recent": dict(self.recent), "taken": self.taken, "settled": self.settled}
        return data


@dataclass(frozen=True, kw_only=True, slots=True)
class AcceptedPermit:
    """The newest permit since deploy that was not refused (E's `accepted_permit` row)."""

    permit_id: str
    decision_id: str
    status: str
    created_at: datetime
    not_before: datetime | str | None = None

    @classmethod
    def from_row(cls, row: Row) -> AcceptedPermit:
        """Read the `accepted_permit` row."""
        return cls(
            permit_id=str(row["permit_id"]),
            decision_id=str(row["decision_id"]),
            status=str(row["status"]),
            created_at=required_moment(row, "created_at"),
            not_before=moment_or_text(row, "not_before"),
        )


@dataclass(frozen=True, kw_only=True, slots=True)
class SchedulerFacts:
    """E: the scheduler runs in the window and the newest permit that was not refused."""

    runs: JobRuns = field(default_factory=JobRuns)
    #: where E looked for permits from (xbot.certify.context.evidence_since)
    since: datetime
    permit: AcceptedPermit | None = None
    #: every permit since `since` by status; read only when none was accepted
    permits_by_status: Mapping[str, int] | None = None

    def as_data(self) -> dict[str, object]:
        """Return the facts as the report's JSON keeps them."""
        runs = self.runs
        data: dict[str, object] = {
            "started": runs.started,
            "completed": runs.completed,
            "failed": runs.failed,
            "attempts_created": runs.attempts_created,
            "last_started_at": runs.last_started_at,
            "last_completed_at": runs.last_completed_at,
            "since": self.since,
            "permit": asdict(self.permit) if self.permit else None,
        }
        if self.permits_by_status is not None:
            data["permits_by_status"] = dict(self.permits_by_status)
        return data


@dataclass(frozen=True, kw_only=True, slots=True)
class TraceChain:
    """A USED permit with its posted id, decision and candidate (F's `trace_chain` row)."""

    decision_id: str
    permit_id: str
    posted_id: str
    used_at: datetime
    claimed_sha: str | None
    candidate_id: int
    candidate_post_id: str
    target_post_id: str

    @classmethod
    def from_row(cls, row: Row) -> TraceChain:
        """Read the `trace_chain` row."""
        return cls(
            decision_id=str(row["decision_id"]),
            permit_id=str(row["permit_id"]),
            posted_id=str(row["posted_id"]),
            used_at=required_moment(row, "used_at"),
            claimed_sha=text(row, "claimed_sha"),
            candidate_id=count(row, "candidate_id"),
            candidate_post_id=str(row["candidate_post_id"]),
            target_post_id=str(row["target_post_id"]),
        )


@dataclass(frozen=True, kw_only=True, slots=True)
class TraceChainFacts:
    """F: the newest posted permit's chain since `since`, and E's accepted permit."""

    chain: TraceChain | None = None
    #: the permit E accepted (its id), to follow when nothing was posted
    permit: str | None = None
    since: datetime

    def as_data(self) -> dict[str, object]:
        """Return the facts as the report's JSON keeps them."""
        chain = asdict(self.chain) if self.chain else None
        return {"chain": chain, "permit": self.permit, "since": self.since}
