"""Permits behave the same on every store: reads, and writes only at their fence."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from xbot.config import AccountSettings
from xbot.domain.audit import NewEvent
from xbot.domain.candidates import CandidateMark, CandidateStatus, NewCandidate
from xbot.domain.decisions import Decided, NewDecision
from xbot.domain.errors import LeaseLost
from xbot.domain.permits import PermitStatus
from xbot.domain.stores import Store

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
TTL = timedelta(minutes=30)


def _awaiting_review(store: Store) -> int:
    (account,) = store.accounts.sync([AccountSettings(platform="x", handle="bot")])
    account_id = account.account_id
    found = NewCandidate(
        account_id=account_id, candidate_post_id="100", author_id="a", author_handle="ann",
        text="tea?", posted_at=T0, conversation_id=None, in_reply_to_post_id=None,
        summoned=True, target_meta={}, created_at=T0, status=CandidateStatus.QUEUED, score=1.0,
        expires_at=T0 + TTL,
    )  # fmt: skip
    store.candidates.add(account_id, [found], keep=10, watermark=None)
    (waiting,) = store.candidates.queued(account_id, T0)
    decision = NewDecision(
        account_id=account_id, candidate_id=waiting.candidate_id, target_post_id="100",
        reply_text="two minutes", generator="llm", generator_meta={},
        permit_expires_at=T0 + TTL, review_deadline=T0 + TTL / 2,
    )  # fmt: skip

    def no_events(_decided: Decided) -> list[NewEvent]:
        return []

    assert store.decisions.decide(decision, T0, no_events) is not None
    return account_id


def test_permits_past_their_review_deadline_are_found(store: Store) -> None:
    account_id = _awaiting_review(store)
    assert store.permits.past_review_deadline(account_id, T0) == []
    (permit,) = store.permits.past_review_deadline(account_id, T0 + TTL / 2)
    assert (permit.status, permit.review_deadline, permit.account_id) == (
        PermitStatus.AWAITING_REVIEW,
        T0 + TTL / 2,
        account_id,
    )
    assert permit.content_sha256 is not None
    assert permit.expires_at == T0 + TTL


def test_a_transition_is_written_once_at_its_fence_with_its_candidate_and_event(
    store: Store,
) -> None:
    account_id = _awaiting_review(store)
    (permit,) = store.permits.past_review_deadline(account_id, T0 + TTL)
    after = replace(permit, status=PermitStatus.EXPIRED, failure_reason="review_expired",
                    updated_at=T0 + TTL)  # fmt: skip
    mark = CandidateMark(status=CandidateStatus.EXPIRED, reason="review_expired")
    event = NewEvent(event_type="review_expired", data={"permit_id": permit.permit_id}, now=T0)
    store.permits.transition(permit, after, mark, [event])
    assert store.permits.past_review_deadline(account_id, T0 + TTL) == []
    assert store.status.permits_by_status() == {"EXPIRED": 1}
    with pytest.raises(LeaseLost):
        store.permits.transition(permit, after, None, [event])
    assert [item.event_type for item in store.events.recent()] == ["review_expired"]
    assert store.decisions.posting_history(account_id, T0 - TTL) == []
