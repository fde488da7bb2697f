"""What recording a publish outcome does, one row per outcome (DESIGN §5).

    outcome         permit             event             candidate                 severity
    Accepted        POSTING -> USED     reply_posted     replied                   info
    Rejected        POSTING -> FAILED   permit_failed    skipped (permit_failed)   warning
    NotSent         POSTING -> PENDING  permit_deferred  unchanged                 error when the
                                                                                   operator must
                                                                                   act, else warning
    OutcomeUnknown  POSTING -> UNKNOWN  permit_unknown   unchanged                 warning

The permit's own fields change through xbot.domain.permits.transition, which lands in the
status the row names; what each platform error becomes is xbot.domain.claims.event_for_error.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal, assert_never

from xbot.domain.candidates import CandidateStatus
from xbot.domain.permits import Accepted, NotSent, OutcomeUnknown, PermitStatus, Rejected
from xbot.events import EventType

PublishOutcome = Accepted | Rejected | NotSent | OutcomeUnknown

#: how loud the outcome's event is
OutcomeSeverity = Literal["info", "warning", "error"]

#: the candidate's skip reason when its permit failed for good
PERMIT_FAILED = "permit_failed"


@dataclass(frozen=True, kw_only=True, slots=True)
class OutcomeRecord:
    """One row of the table: where the permit goes, the event it writes, the candidate's mark."""

    permit_status: PermitStatus
    event_type: EventType
    severity: OutcomeSeverity
    #: the candidate's new status; None leaves the candidate as it is
    candidate_status: CandidateStatus | None = None
    #: the candidate's skip reason, with its status
    candidate_reason: str | None = None
    #: what the event says about the outcome, beside the permit's own fields
    details: Mapping[str, str]


def outcome_record(outcome: PublishOutcome) -> OutcomeRecord:
    """Return what recording `outcome` does (the module docstring's table)."""
    match outcome:
        case Accepted():
            return OutcomeRecord(
                permit_status=PermitStatus.USED,
                event_type=EventType.REPLY_POSTED,
                severity="info",
                candidate_status=CandidateStatus.REPLIED,
                details={"post_id": outcome.post_id},
            )
        case Rejected():
            return OutcomeRecord(
                permit_status=PermitStatus.FAILED,
                event_type=EventType.PERMIT_FAILED,
                severity="warning",
                candidate_status=CandidateStatus.SKIPPED,
                candidate_reason=PERMIT_FAILED,
                details={"reason": outcome.reason},
            )
        case NotSent():
            return OutcomeRecord(
                permit_status=PermitStatus.PENDING,
                event_type=EventType.PERMIT_DEFERRED,
                severity="error" if outcome.needs_operator else "warning",
                details={"reason": outcome.reason, "retry_at": outcome.retry_at.isoformat()},
            )
        case OutcomeUnknown():
            return OutcomeRecord(
                permit_status=PermitStatus.UNKNOWN,
                event_type=EventType.PERMIT_UNKNOWN,
                severity="warning",
                details={"reason": outcome.reason},
            )
        case _:
            assert_never(outcome)
