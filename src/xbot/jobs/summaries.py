"""What each job's run returns: small frozen summaries; the runner stores their `as_data()`.

The JSON keeps the keys it had as a plain dict: certify sums `new` and `queued` from the
fetch's completed events, and operators read the rest in `job_runs.summary`. `PermitCreated`
is what the scheduler records about each permit it made (its event's data).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from enum import StrEnum


@dataclass(frozen=True, kw_only=True, slots=True)
class FetchSummary:
    """What one fetch did; certify sums `new` and `queued` from its completed events."""

    fetched: int  #: posts the platform returned
    new: int  #: of them, posts not seen before
    evaluated: int  #: new posts run through the filters
    queued: int  #: candidates queued
    skipped: Mapping[str, int]  #: new posts not queued, by reason
    trimmed: int  #: queued candidates dropped to keep the queue at max_queue
    watermark: str | None  #: where the next fetch starts
    #: why the fetch read nothing: a cost cap or X's refusal to be paid (xbot.jobs.costs)
    cost_cap: str | None = None
    #: why the fetch did not poll: a connected stream delivers (xbot.jobs.fetch.gap_filler_rest)
    streaming: str | None = None

    def as_data(self) -> dict[str, object]:
        """Return the summary as the JSON the runner stores."""
        data = {**asdict(self), "skipped": dict(self.skipped)}
        for optional in ("cost_cap", "streaming"):
            if data[optional] is None:
                del data[optional]
        return data

    def backfill_data(self) -> dict[str, object]:
        """Return what a stream's backfill reports (`intake_stream_backfilled`): its counts."""
        data: dict[str, object] = {"fetched": self.fetched, "new": self.new, "queued": self.queued}
        if self.cost_cap is not None:
            data["cost_cap"] = self.cost_cap
        return data


@dataclass(frozen=True, kw_only=True, slots=True)
class ScheduleSummary:
    """What one scheduler pass did."""

    expired: int  #: queued candidates past their age limit
    queued: int  #: candidates queued when the pass began
    kept_for_hold: int  #: candidates kept through the account's quiet hours
    permits_created: int
    permit_ids: Sequence[str]
    skipped: Mapping[str, int]  #: candidates decided against, by reason
    waiting: int  #: candidates left queued for a later pass
    budget: str | None  #: why the budget refused at the end of the pass, or None
    review_expired: int = 0  #: permits whose review deadline passed unreviewed

    def as_data(self) -> dict[str, object]:
        """Return the summary as the JSON the runner stores."""
        data = asdict(self)
        return data | {"permit_ids": list(self.permit_ids), "skipped": dict(self.skipped)}


@dataclass(frozen=True, kw_only=True, slots=True)
class PermitCreated:
    """A permit the scheduler made and what it answers (`reply_v2_attempt_created`'s data)."""

    decision_id: str
    permit_id: str
    candidate_id: int
    target_post_id: str
    generator: str
    #: a person must approve it first (its status is AWAITING_REVIEW)
    awaiting_review: bool = False

    def as_data(self) -> dict[str, object]:
        """Return the event's JSON; `status` only for a permit that awaits review."""
        data: dict[str, object] = {
            "decision_id": self.decision_id,
            "permit_id": self.permit_id,
            "candidate_id": self.candidate_id,
            "target_post_id": self.target_post_id,
            "generator": self.generator,
        }
        if self.awaiting_review:
            data["status"] = "AWAITING_REVIEW"
        return data


@dataclass(frozen=True, kw_only=True, slots=True)
class SchedulePolicyBlocked:
    """A pass the platform's policy stopped before any decision (`blocked_by` says which)."""

    expired: int
    queued: int
    kept_for_hold: int
    blocked_by: str
    permits_created: int = 0

    def as_data(self) -> dict[str, object]:
        """Return the summary as the JSON the runner stores."""
        return asdict(self)


@dataclass(frozen=True, kw_only=True, slots=True)
class Recorded:
    """How a claimed permit's run ended: its new status, or why it could not be recorded."""

    #: the permit's status after the outcome, "forbidden" (a bug) or "lease_lost"
    status: str
    #: why the transition was forbidden
    reason: str | None = None


@dataclass(frozen=True, kw_only=True, slots=True)
class PostSummary:
    """What one post run did: permits expired, then at most one claimed and how it ended."""

    expired: int
    claimed: int = 0
    #: why the claim was refused (a ClaimRefusalReason), when it was
    blocked: str | None = None
    #: the claimed permit
    permit_id: str | None = None
    #: the claimed permit's status after the run (xbot.jobs.summaries.Recorded)
    status: str | None = None
    reason: str | None = None

    @classmethod
    def posted(cls, *, expired: int, permit_id: str, recorded: Recorded) -> PostSummary:
        """Return the summary of a run that claimed `permit_id` and recorded its outcome."""
        return cls(
            expired=expired,
            claimed=1,
            permit_id=permit_id,
            status=recorded.status,
            reason=recorded.reason,
        )

    def as_data(self) -> dict[str, object]:
        """Return the summary as the JSON the runner stores (keys without a value left out)."""
        data = {
            "expired": self.expired,
            "claimed": self.claimed,
            "blocked": self.blocked,
            "permit_id": self.permit_id,
            "status": self.status,
            "reason": self.reason,
        }
        return {key: value for key, value in data.items() if value is not None}


@dataclass(frozen=True, kw_only=True, slots=True)
class ScanSummary:
    """What one scan found; also the data of `ghost_scan_completed`."""

    scanned: int  #: own posts read
    ghosts: int  #: new ghosts recorded
    reconciled: int  #: permits in doubt whose post the scan found
    watermark: str | None  #: where the next scan starts
    previous_watermark: str | None  #: where this scan started
    truncated: bool  #: a full page was read: the next scan reads on

    def as_data(self) -> dict[str, object]:
        """Return the summary as the JSON the runner stores."""
        return asdict(self)


@dataclass(frozen=True, kw_only=True, slots=True)
class ScanSkipped:
    """The scan did not run: another worker holds the account's scan lease."""

    skipped: str = "another worker is scanning this account"

    def as_data(self) -> dict[str, object]:
        """Return the summary as the JSON the runner stores."""
        return asdict(self)


@dataclass(frozen=True, kw_only=True, slots=True)
class ProbeSummary:
    """The slot the probe ran in (-1 outside the runner)."""

    slot: int

    def as_data(self) -> dict[str, object]:
        """Return the summary as the JSON the runner stores."""
        return asdict(self)


class Resolution(StrEnum):
    """What reconcile did with one UNKNOWN permit."""

    RECONCILED = "reconciled"  #: read-back found its post: USED
    REQUEUED = "requeued"  #: read-back did not find it after the grace: PENDING again
    FAILED = "failed"  #: not found and out of attempts: FAILED
    WAITING = "waiting"  #: not found, but still within the platform's visibility grace
    READ_BACK_TOO_SHORT = "read_back_too_short"  #: the read-back did not reach back far enough
    TAKEN_OVER = "taken_over"  #: another worker took the permit meanwhile
    NOT_RECONCILABLE = "not_reconcilable"  #: found, but the permit may no longer become USED


@dataclass(frozen=True, kw_only=True, slots=True)
class ReconcileSummary:
    """What one reconcile run did: leases lapsed, then each UNKNOWN permit's resolution."""

    lease_expired: int = 0  #: POSTING permits whose lease ran out, now UNKNOWN
    unknown: int = 0  #: UNKNOWN permits this run tried to resolve
    read_back: int = 0  #: own posts read back (0 when nothing was UNKNOWN)
    reconciled: int = 0
    requeued: int = 0
    failed: int = 0
    waiting: int = 0
    read_back_too_short: int = 0
    taken_over: int = 0
    not_reconcilable: int = 0

    @classmethod
    def of(
        cls, *, lease_expired: int, read_back: int, resolutions: Iterable[Resolution]
    ) -> ReconcileSummary:
        """Count the run's resolutions."""
        counts = Counter(resolutions)
        by_name = {resolution.value: counts[resolution] for resolution in Resolution}
        unknown = sum(counts.values())
        return cls(lease_expired=lease_expired, unknown=unknown, read_back=read_back, **by_name)

    def as_data(self) -> dict[str, object]:
        """Return the summary as the JSON the runner stores."""
        return asdict(self)
