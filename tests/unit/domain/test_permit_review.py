"""Review and shadow in the permit state machine: every allowed and every forbidden transition."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from xbot.domain.budgets import (
    BudgetRules,
    Grant,
    QuietHours,
    RefusalReason,
    ReplyIntent,
    ReplyRecord,
    account_refusal,
    may_post,
)
from xbot.domain.permits import (
    TERMINAL_STATUSES,
    ForbiddenTransition,
    Permit,
    PermitId,
    PermitStatus,
)
from xbot.domain.review import (
    Approve,
    Edit,
    ExpireReview,
    Reject,
    ReviewMode,
    content_sha256,
    needs_review,
    quiet_extended,
    refuse_mismatch,
    review,
    review_deadline,
    text_mismatch,
)
from xbot.domain.shadow import shadow

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
TEXT = "Thanks, that helps!"
SHA = content_sha256(TEXT)
EDITED = content_sha256("Thanks, that helps a lot!")


def permit(status: PermitStatus, **changes: Any) -> Permit:
    base = Permit(
        permit_id=PermitId("pmt_1"),
        decision_id="dec_1",
        account_id=1,
        status=status,
        created_at=NOW - timedelta(minutes=10),
        expires_at=NOW + timedelta(minutes=20),
        fence=2,
        content_sha256=SHA,
        review_deadline=NOW + timedelta(minutes=5),
        updated_at=NOW - timedelta(minutes=10),
    )
    return replace(base, **changes)


def _approve(p: Permit, now: datetime) -> Permit | ForbiddenTransition:
    return review(p, Approve(by="ann", seen_sha256=SHA), now)


def _edit(p: Permit, now: datetime) -> Permit | ForbiddenTransition:
    return review(p, Edit(by="ann", new_sha256=EDITED), now)


def _reject(p: Permit, now: datetime) -> Permit | ForbiddenTransition:
    return review(p, Reject(by="ann", reason="off topic"), now)


def _expire(p: Permit, now: datetime) -> Permit | ForbiddenTransition:
    # the deadline has passed at `now + 10 min`; the others act before it
    return review(p, ExpireReview(), now + timedelta(minutes=10))


def _mismatch(p: Permit, now: datetime) -> Permit | ForbiddenTransition:
    return refuse_mismatch(p, "tampered", now)


def _shadow(p: Permit, now: datetime) -> Permit | ForbiddenTransition:
    return shadow(p, now)


ACTIONS = {
    "approve": (_approve, PermitStatus.AWAITING_REVIEW, PermitStatus.PENDING),
    "edit": (_edit, PermitStatus.AWAITING_REVIEW, PermitStatus.PENDING),
    "reject": (_reject, PermitStatus.AWAITING_REVIEW, PermitStatus.FAILED),
    "expire_review": (_expire, PermitStatus.AWAITING_REVIEW, PermitStatus.EXPIRED),
    "refuse_mismatch": (_mismatch, PermitStatus.PENDING, PermitStatus.FAILED),
    "shadow": (_shadow, PermitStatus.POSTING, PermitStatus.SHADOWED),
}


@pytest.mark.parametrize("status", list(PermitStatus))
@pytest.mark.parametrize("name", list(ACTIONS))
def test_every_status_and_review_or_shadow_action(status: PermitStatus, name: str) -> None:
    act, allowed_from, result = ACTIONS[name]
    after = act(permit(status), NOW)
    if status is allowed_from:
        assert isinstance(after, Permit), after
        assert after.status is result
    else:
        assert isinstance(after, ForbiddenTransition), (status, name)
        assert after.status is status
        assert after.reason


def test_shadowed_is_terminal_and_awaiting_review_is_not() -> None:
    assert PermitStatus.SHADOWED in TERMINAL_STATUSES
    assert PermitStatus.AWAITING_REVIEW not in TERMINAL_STATUSES


def test_approve_records_who_when_and_the_hash_and_takes_the_permit_over() -> None:
    after = _approve(permit(PermitStatus.AWAITING_REVIEW), NOW)
    assert isinstance(after, Permit)
    assert (after.approved_sha256, after.approved_by, after.approved_at) == (SHA, "ann", NOW)
    assert after.fence == 3


def test_approve_of_a_text_that_changed_since_it_was_shown_is_refused() -> None:
    after = review(permit(PermitStatus.AWAITING_REVIEW), Approve(by="ann", seen_sha256=EDITED), NOW)
    assert isinstance(after, ForbiddenTransition)
    assert "changed" in after.reason


def test_edit_binds_the_approval_to_the_new_text() -> None:
    after = _edit(permit(PermitStatus.AWAITING_REVIEW), NOW)
    assert isinstance(after, Permit)
    assert after.content_sha256 == after.approved_sha256 == EDITED


@pytest.mark.parametrize("act", [_approve, _edit])
def test_approving_after_the_deadline_is_refused(act: Any) -> None:
    after = act(permit(PermitStatus.AWAITING_REVIEW), NOW + timedelta(minutes=5))
    assert isinstance(after, ForbiddenTransition)
    assert "deadline" in after.reason


def test_review_expiry_waits_for_the_deadline() -> None:
    awaiting = permit(PermitStatus.AWAITING_REVIEW)
    early = review(awaiting, ExpireReview(), NOW)
    assert isinstance(early, ForbiddenTransition)
    late = review(awaiting, ExpireReview(), NOW + timedelta(minutes=5))
    assert isinstance(late, Permit)
    assert (late.status, late.failure_reason) == (PermitStatus.EXPIRED, "review_expired")


def test_reject_keeps_the_reason() -> None:
    after = _reject(permit(PermitStatus.AWAITING_REVIEW), NOW)
    assert isinstance(after, Permit)
    assert after.failure_reason == "review_rejected: off topic"


def test_shadow_keeps_the_fence_and_clears_the_lease() -> None:
    after = shadow(permit(PermitStatus.POSTING, lease_until=NOW), NOW)
    assert isinstance(after, Permit)
    assert (after.fence, after.lease_until, after.actual_tweet_id) == (2, None, None)


@pytest.mark.parametrize(
    ("mode", "generator", "expected"),
    [
        (ReviewMode.OFF, "llm", False),
        (ReviewMode.OFF, "bank", False),
        (ReviewMode.REQUIRED, "bank", True),
        (ReviewMode.REQUIRED, "llm", True),
        (ReviewMode.LLM_ONLY, "llm", True),
        (ReviewMode.LLM_ONLY, "bank", False),
    ],
)
def test_which_replies_wait_for_review(mode: ReviewMode, generator: str, expected: bool) -> None:
    assert needs_review(mode, generator) is expected


def test_the_deadline_never_passes_the_permits_expiry() -> None:
    assert review_deadline(NOW, timedelta(hours=2), NOW + timedelta(minutes=30)) == NOW + timedelta(
        minutes=30
    )
    assert review_deadline(NOW, timedelta(minutes=10), NOW + timedelta(minutes=30)) == NOW + (
        timedelta(minutes=10)
    )


def test_quiet_hours_extend_the_candidates_expiry_by_their_overlap() -> None:
    rules = BudgetRules(
        quiet_hours=QuietHours(start=NOW.time(), end=(NOW + timedelta(hours=1)).time())
    )
    until = NOW + timedelta(minutes=30)
    assert quiet_extended(NOW, until, rules) == until + timedelta(minutes=30)
    assert quiet_extended(NOW, until, BudgetRules()) == until


@pytest.mark.parametrize(
    ("changes", "text", "refused"),
    [
        ({}, TEXT, False),
        ({"approved_sha256": SHA}, TEXT, False),
        ({"approved_sha256": SHA}, TEXT + " (tampered)", True),
        ({"review_deadline": None, "approved_sha256": None}, TEXT + "!", True),  # no review
        ({"review_deadline": None, "content_sha256": None, "approved_sha256": None}, "x", False),
        ({"approved_sha256": None}, TEXT, True),  # made for review, never approved
    ],
)
def test_text_mismatch(changes: dict[str, Any], text: str, refused: bool) -> None:
    base = permit(PermitStatus.PENDING, review_deadline=NOW, approved_sha256=SHA)
    assert (text_mismatch(replace(base, **changes), text) is not None) is refused


def test_awaiting_review_holds_its_target_and_author_but_spends_no_budget() -> None:
    rules = BudgetRules(per_hour=1, per_day=1, min_gap=timedelta(0))
    waiting = ReplyRecord(
        at=NOW - timedelta(minutes=1), author_id="a", thread_id="t", target_post_id="p",
        counted=False,
    )  # fmt: skip
    assert account_refusal([waiting], rules, now=NOW) is None
    other = ReplyIntent(author_id="b", thread_id="t2", target_post_id="p2")
    assert isinstance(may_post([waiting], other, rules, now=NOW), Grant)
    same_author = ReplyIntent(author_id="a", thread_id="t3", target_post_id="p3")
    refusal = may_post([waiting], same_author, rules, now=NOW)
    assert not isinstance(refusal, Grant)
    assert refusal.reason is RefusalReason.AUTHOR_COOLDOWN
    counted = replace(waiting, counted=True)
    assert account_refusal([counted], rules, now=NOW) is not None
