"""The permit state machine (DESIGN §5): every transition, and every forbidden one."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from xbot.domain.permits import (
    TERMINAL_STATUSES,
    AbsentOnReadBack,
    Accepted,
    Expire,
    ForbiddenTransition,
    FoundOnReadBack,
    LeaseExpired,
    NotSent,
    OutcomeUnknown,
    Permit,
    PermitEvent,
    PermitId,
    PermitStatus,
    Rejected,
    transition,
)

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
GRACE = timedelta(seconds=30)


def permit(status: PermitStatus = PermitStatus.PENDING, **changes: object) -> Permit:
    base = Permit(
        permit_id=PermitId("pmt_1"),
        decision_id="dec_1",
        account_id=1,
        status=status,
        created_at=NOW - timedelta(hours=1),
        expires_at=NOW + timedelta(hours=1),
        fence=3,
        attempts=1,
        updated_at=NOW - timedelta(minutes=10),
    )
    return replace(base, **changes)  # type: ignore[arg-type]


EVENTS: dict[str, PermitEvent] = {
    "accepted": Accepted(post_id="900"),
    "rejected": Rejected(reason="forbidden_by_policy: not summoned"),
    "not_sent": NotSent(
        reason="transient: refused", retry_at=NOW + timedelta(seconds=30), needs_operator=False
    ),
    "unknown": OutcomeUnknown(reason="ambiguous: timeout"),
    "lease_expired": LeaseExpired(),
    "found": FoundOnReadBack(post_id="900", posted_at=NOW - timedelta(minutes=5)),
    "absent": AbsentOnReadBack(grace=GRACE),
    "expire": Expire(drained=True),
}
ALLOWED = {
    (PermitStatus.PENDING, "found"),  # a retried permit whose post shows up late
    (PermitStatus.PENDING, "expire"),
    (PermitStatus.POSTING, "accepted"),
    (PermitStatus.POSTING, "rejected"),
    (PermitStatus.POSTING, "not_sent"),
    (PermitStatus.POSTING, "unknown"),
    (PermitStatus.POSTING, "lease_expired"),
    (PermitStatus.POSTING, "found"),
    (PermitStatus.UNKNOWN, "found"),
    (PermitStatus.UNKNOWN, "absent"),
}
RESULT = {
    "accepted": PermitStatus.USED,
    "rejected": PermitStatus.FAILED,
    "not_sent": PermitStatus.PENDING,
    "unknown": PermitStatus.UNKNOWN,
    "lease_expired": PermitStatus.UNKNOWN,
    "found": PermitStatus.USED,
    "absent": PermitStatus.PENDING,
    "expire": PermitStatus.EXPIRED,
}


def _favourable(status: PermitStatus) -> Permit:
    """A permit in `status` whose clocks allow every event the status allows."""
    lease = NOW - timedelta(seconds=1) if status is PermitStatus.POSTING else None
    return permit(status, lease_until=lease)


@pytest.mark.parametrize("status", list(PermitStatus))
@pytest.mark.parametrize("name", list(EVENTS))
def test_every_status_and_event(status: PermitStatus, name: str) -> None:
    before = _favourable(status)
    after = transition(before, EVENTS[name], NOW)
    if (status, name) in ALLOWED:
        assert isinstance(after, Permit), after
        assert after.status is RESULT[name]
        assert after.updated_at == NOW
    else:
        assert isinstance(after, ForbiddenTransition)
        assert after.status is status
        assert after.event == type(EVENTS[name]).__name__
        assert after.reason


@pytest.mark.parametrize("status", sorted(TERMINAL_STATUSES))
def test_terminal_states_accept_nothing(status: PermitStatus) -> None:
    for event in EVENTS.values():
        assert isinstance(transition(_favourable(status), event, NOW), ForbiddenTransition)


def test_accepted_records_the_post_and_keeps_the_fence() -> None:
    posting = permit(PermitStatus.POSTING, lease_until=NOW + GRACE, failure_reason="old")
    after = transition(posting, Accepted(post_id="42"), NOW)
    assert isinstance(after, Permit)
    assert (after.actual_tweet_id, after.used_at, after.reconciled) == ("42", NOW, False)
    assert after.fence == posting.fence
    assert after.lease_until is None
    assert after.failure_reason is None


def test_holder_outcomes_keep_the_fence_and_record_reasons() -> None:
    posting = permit(PermitStatus.POSTING, lease_until=NOW + GRACE)
    failed = transition(posting, EVENTS["rejected"], NOW)
    deferred = transition(posting, EVENTS["not_sent"], NOW)
    unknown = transition(posting, EVENTS["unknown"], NOW)
    assert isinstance(failed, Permit)
    assert isinstance(deferred, Permit)
    assert isinstance(unknown, Permit)
    assert failed.failure_reason == "forbidden_by_policy: not summoned"
    assert deferred.not_before == NOW + timedelta(seconds=30)
    assert unknown.failure_reason == "ambiguous: timeout"
    assert {failed.fence, deferred.fence, unknown.fence} == {posting.fence}


def test_a_live_lease_does_not_expire() -> None:
    live = permit(PermitStatus.POSTING, lease_until=NOW + timedelta(seconds=1))
    after = transition(live, LeaseExpired(), NOW)
    assert isinstance(after, ForbiddenTransition)
    assert "live" in after.reason


def test_lease_expiry_takes_over_with_a_new_fence() -> None:
    after = transition(permit(PermitStatus.POSTING, lease_until=NOW), LeaseExpired(), NOW)
    assert isinstance(after, Permit)
    assert after.status is PermitStatus.UNKNOWN
    assert after.fence == 4
    assert after.failure_reason == "lease_expired"


def test_found_on_read_back_is_used_and_reconciled() -> None:
    after = transition(permit(PermitStatus.UNKNOWN), EVENTS["found"], NOW)
    assert isinstance(after, Permit)
    assert after.reconciled
    assert after.actual_tweet_id == "900"
    assert after.used_at == NOW - timedelta(minutes=5)
    assert after.fence == 4


def test_found_without_a_post_time_uses_now() -> None:
    after = transition(permit(PermitStatus.UNKNOWN), FoundOnReadBack(post_id="7"), NOW)
    assert isinstance(after, Permit)
    assert after.used_at == NOW


def test_a_never_tried_pending_permit_is_not_reconciled() -> None:
    after = transition(permit(attempts=0), EVENTS["found"], NOW)
    assert isinstance(after, ForbiddenTransition)


def test_absence_proves_nothing_within_the_visibility_grace() -> None:
    recent = permit(PermitStatus.UNKNOWN, updated_at=NOW - GRACE + timedelta(seconds=1))
    after = transition(recent, AbsentOnReadBack(grace=GRACE), NOW)
    assert isinstance(after, ForbiddenTransition)
    assert "grace" in after.reason


def test_absence_after_the_grace_requeues_with_the_same_permit() -> None:
    unknown = permit(PermitStatus.UNKNOWN, updated_at=NOW - GRACE, failure_reason="ambiguous")
    after = transition(unknown, AbsentOnReadBack(grace=GRACE), NOW)
    assert isinstance(after, Permit)
    assert after.status is PermitStatus.PENDING
    assert after.permit_id == unknown.permit_id
    assert after.not_before == NOW
    assert after.fence == unknown.fence + 1


def test_absence_at_max_attempts_fails_with_the_last_reason() -> None:
    unknown = permit(PermitStatus.UNKNOWN, attempts=3, failure_reason="duplicate_content: 403")
    after = transition(unknown, AbsentOnReadBack(grace=GRACE, max_attempts=3), NOW)
    assert isinstance(after, Permit)
    assert after.status is PermitStatus.FAILED
    assert after.failure_reason is not None
    assert "3 attempts" in after.failure_reason
    assert "duplicate_content" in after.failure_reason


def test_expire_waits_for_expires_at_unless_drained() -> None:
    fresh = permit(expires_at=NOW + timedelta(seconds=1))
    assert isinstance(transition(fresh, Expire(), NOW), ForbiddenTransition)
    assert isinstance(transition(permit(expires_at=None), Expire(), NOW), ForbiddenTransition)
    expired = transition(permit(expires_at=NOW), Expire(), NOW)
    drained = transition(fresh, Expire(drained=True), NOW)
    assert isinstance(expired, Permit)
    assert isinstance(drained, Permit)
    assert expired.status is drained.status is PermitStatus.EXPIRED
    assert drained.failure_reason == "drained by the kill switch"


def test_from_row_reads_a_post_attempts_row() -> None:
    row = {
        "permit_id": "pmt_2",
        "decision_id": "dec_2",
        "account_id": 5,
        "status": "UNKNOWN",
        "created_at": datetime(2026, 1, 1),  # noqa: DTZ001 - naive rows are UTC
        "expires_at": None,
        "not_before": None,
        "claimed_by": "w",
        "claimed_sha": "s",
        "lease_until": None,
        "fence": 2,
        "attempts": 1,
        "actual_tweet_id": None,
        "used_at": None,
        "reconciled": 0,
        "failure_reason": "x",
        "updated_at": None,
    }
    loaded = Permit.from_row(row)
    assert loaded.status is PermitStatus.UNKNOWN
    assert loaded.created_at.tzinfo is UTC
    assert loaded.reconciled is False


#: where a sequence starts: a fresh permit, or one a worker holds (the store's claim made it so)
STARTS = {
    "pending": permit(attempts=0),
    "posting": permit(PermitStatus.POSTING, lease_until=NOW + GRACE, claimed_by="w1"),
}


@given(st.sampled_from(list(STARTS)), st.lists(st.sampled_from(list(EVENTS)), max_size=12))
def test_no_sequence_of_events_breaks_the_invariants(start: str, names: list[str]) -> None:
    current = STARTS[start]
    for name in names:
        after = transition(current, EVENTS[name], NOW)
        if isinstance(after, ForbiddenTransition):
            continue
        assert current.status not in TERMINAL_STATUSES
        assert after.fence >= current.fence
        assert (after.status is PermitStatus.USED) == (after.actual_tweet_id is not None)
        assert after.status is not PermitStatus.POSTING  # only the store's claim makes POSTING
        current = after
