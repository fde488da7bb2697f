"""Targets a ghost reply answers: refused by the budget, withdrawn at the claim."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

from xbot.domain.answered import withdraw
from xbot.domain.budgets import BudgetRules, Refusal, RefusalReason, ReplyIntent, may_post
from xbot.domain.permits import ForbiddenTransition, Permit, PermitId, PermitStatus

NOW = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)


def test_a_ghost_answered_target_is_refused_for_good() -> None:
    intent = ReplyIntent(author_id="a", thread_id="t", target_post_id="42")
    verdict = may_post([], intent, BudgetRules(), now=NOW, answered={"42"})
    assert verdict == Refusal(reason=RefusalReason.TARGET_ALREADY_ANSWERED, retry_at=None)
    assert not isinstance(may_post([], intent, BudgetRules(), now=NOW, answered={"7"}), Refusal)


def test_only_a_pending_permit_is_withdrawn() -> None:
    pending = Permit(
        permit_id=PermitId("pmt_1"),
        decision_id="dec_1",
        account_id=1,
        status=PermitStatus.PENDING,
        created_at=NOW,
    )
    after = withdraw(pending, "999", NOW)
    assert isinstance(after, Permit)
    assert (after.status, after.fence) == (PermitStatus.FAILED, 1)
    assert after.failure_reason == "target_already_answered: ghost reply 999"
    posting = replace(pending, status=PermitStatus.POSTING)
    assert isinstance(withdraw(posting, "999", NOW), ForbiddenTransition)
