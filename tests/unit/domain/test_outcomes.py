"""The outcome table: what recording each publish outcome does (xbot.domain.outcomes)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from xbot.domain.candidates import CandidateStatus
from xbot.domain.outcomes import PublishOutcome, outcome_record
from xbot.domain.permits import (
    Accepted,
    NotSent,
    OutcomeUnknown,
    Permit,
    PermitId,
    PermitStatus,
    Rejected,
    transition,
)

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
RETRY = NOW + timedelta(seconds=30)
POSTING = Permit(
    permit_id=PermitId("pmt_1"),
    decision_id="dec_1",
    account_id=1,
    status=PermitStatus.POSTING,
    created_at=NOW - timedelta(hours=1),
    lease_until=NOW + timedelta(seconds=60),
    fence=1,
    attempts=1,
)
ROWS: list[tuple[PublishOutcome, PermitStatus, str, CandidateStatus | None, str]] = [
    (Accepted(post_id="900"), PermitStatus.USED, "reply_posted", CandidateStatus.REPLIED, "info"),
    (
        Rejected(reason="gone"),
        PermitStatus.FAILED,
        "permit_failed",
        CandidateStatus.SKIPPED,
        "warning",
    ),
    (
        NotSent(reason="transient: refused", retry_at=RETRY, needs_operator=False),
        PermitStatus.PENDING,
        "permit_deferred",
        None,
        "warning",
    ),
    (
        NotSent(reason="auth_failed: 401", retry_at=RETRY, needs_operator=True),
        PermitStatus.PENDING,
        "permit_deferred",
        None,
        "error",
    ),
    (OutcomeUnknown(reason="ambiguous"), PermitStatus.UNKNOWN, "permit_unknown", None, "warning"),
]


@pytest.mark.parametrize(("outcome", "status", "event", "candidate", "severity"), ROWS)
def test_each_outcome_has_its_row(
    outcome: PublishOutcome,
    status: PermitStatus,
    event: str,
    candidate: CandidateStatus | None,
    severity: str,
) -> None:
    record = outcome_record(outcome)
    assert (record.permit_status, record.event_type) == (status, event)
    assert (record.candidate_status, record.severity) == (candidate, severity)


@pytest.mark.parametrize("outcome", [row[0] for row in ROWS])
def test_the_state_machine_lands_where_the_table_says(outcome: PublishOutcome) -> None:
    after = transition(POSTING, outcome, NOW)
    assert isinstance(after, Permit)
    assert after.status is outcome_record(outcome).permit_status


def test_a_failed_permit_skips_its_candidate_with_the_reason() -> None:
    record = outcome_record(Rejected(reason="gone"))
    assert record.candidate_reason == "permit_failed"
    assert record.details == {"reason": "gone"}


def test_the_event_carries_what_the_outcome_says() -> None:
    assert outcome_record(Accepted(post_id="900")).details == {"post_id": "900"}
    deferred = NotSent(reason="rate_limited: 429", retry_at=RETRY, needs_operator=False)
    assert outcome_record(deferred).details == {
        "reason": "rate_limited: 429",
        "retry_at": RETRY.isoformat(),
    }
