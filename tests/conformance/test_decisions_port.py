"""Queued candidates, decisions and their permits behave the same on every store."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from xbot.config import AccountSettings
from xbot.domain.audit import NewEvent
from xbot.domain.candidates import CandidateStatus, NewCandidate
from xbot.domain.decisions import Decided, NewDecision
from xbot.domain.ghosts import GhostClassification, NewGhost
from xbot.domain.posts import Post, PostId
from xbot.domain.stores import Store

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
TTL = timedelta(minutes=30)


def _account(store: Store) -> int:
    (record,) = store.accounts.sync([AccountSettings(platform="x", handle="bot")])
    return record.account_id


def _queue(store: Store, account_id: int, *scores: float, expires: datetime = T0 + TTL) -> None:
    found = [
        NewCandidate(
            account_id=account_id,
            candidate_post_id=str(100 + n),
            author_id=f"a{n}",
            author_handle=f"author{n}",
            text=f"question {n}",
            posted_at=T0,
            conversation_id=f"c{n}" if n % 2 else None,
            in_reply_to_post_id=None,
            summoned=True,
            target_meta={},
            created_at=T0,
            status=CandidateStatus.QUEUED,
            score=score,
            tier="mention",
            expires_at=expires,
        )
        for n, score in enumerate(scores)
    ]
    store.candidates.add(account_id, found, keep=100, watermark=None)


def _decision(account_id: int, candidate_id: int, target: str, text: str) -> NewDecision:
    return NewDecision(account_id=account_id, candidate_id=candidate_id, target_post_id=target,
                       reply_text=text, generator="bank", generator_meta={"score": 1.0},
                       permit_expires_at=T0 + TTL)  # fmt: skip


def _created(decided: Decided) -> list[NewEvent]:
    data = {"permit_id": decided.permit_id}
    return [NewEvent(event_type="reply_v2_attempt_created", data=data, now=T0)]


def test_queued_candidates_come_best_first_and_only_while_unexpired(store: Store) -> None:
    account_id = _account(store)
    _queue(store, account_id, 0.2, 0.9, 0.5)
    waiting = store.candidates.queued(account_id, T0)
    assert [item.candidate_post_id for item in waiting] == ["101", "102", "100"]
    assert (waiting[0].author_handle, waiting[0].conversation_id, waiting[0].tier) == (
        "author1",
        "c1",
        "mention",
    )
    assert waiting[0].intent().thread_id == "c1"
    assert waiting[2].intent().thread_id == "100"
    assert store.candidates.queued(account_id, T0 + TTL) == []


def test_stale_candidates_expire_with_one_event_and_held_ones_are_kept(store: Store) -> None:
    account_id = _account(store)
    _queue(store, account_id, 0.2, 0.9)
    _queue(store, account_id, 0.4, expires=T0 + 2 * TTL)  # post "100" again: known, ignored
    assert store.candidates.keep_queued_until(account_id, T0 + TTL + TTL / 2) == 2

    def expired_event(ids: list[int]) -> NewEvent:
        return NewEvent(event_type="candidates_expired", data={"count": len(ids)}, now=T0)

    assert store.candidates.expire_stale(account_id, T0 + TTL, "ttl_expired", expired_event) == []
    ids = store.candidates.expire_stale(account_id, T0 + 2 * TTL, "ttl_expired", expired_event)
    assert len(ids) == 2
    assert [event.data for event in store.events.recent()] == [{"count": 2}]


def test_a_decision_selects_its_candidate_once_and_counts_in_the_history(store: Store) -> None:
    account_id = _account(store)
    _queue(store, account_id, 0.2, 0.9)
    first, second = store.candidates.queued(account_id, T0)
    decided = store.decisions.decide(
        _decision(account_id, first.candidate_id, first.candidate_post_id, "hello there"),
        T0, _created,
    )  # fmt: skip
    assert decided is not None
    assert decided.permit_id.startswith("pmt_")
    again = _decision(account_id, first.candidate_id, first.candidate_post_id, "again")
    assert store.decisions.decide(again, T0, _created) is None
    same_target = _decision(account_id, second.candidate_id, first.candidate_post_id, "twice")
    assert store.decisions.decide(same_target, T0, _created) is None
    assert [item.candidate_id for item in store.candidates.queued(account_id, T0)] == [
        second.candidate_id
    ]
    (record,) = store.decisions.posting_history(account_id, T0 - TTL)
    assert (record.author_id, record.thread_id, record.target_post_id, record.counted) == (
        first.author_id,
        "c1",
        first.candidate_post_id,
        True,
    )
    assert record.at == T0
    assert store.decisions.posting_history(account_id, T0 + TTL) == []
    assert store.decisions.recent_reply_texts(account_id, T0) == ["hello there"]
    assert store.decisions.recent_reply_texts(account_id, T0 + TTL) == []
    assert store.status.permits_by_status() == {"PENDING": 1}
    assert store.status.accounts_with_pending_permits() == {account_id}
    (event,) = store.events.recent(event_type="reply_v2_attempt_created")
    assert event.data == {"permit_id": decided.permit_id}
    assert store.candidates.replied_conversations(account_id) == {"c1"}


def test_a_skipped_candidate_leaves_the_queue_with_its_event(store: Store) -> None:
    account_id = _account(store)
    _queue(store, account_id, 0.5)
    (waiting,) = store.candidates.queued(account_id, T0)
    skipped = NewEvent(event_type="candidate_skipped", data={"reason": "guard"}, now=T0)
    store.candidates.skip(waiting.candidate_id, "guard", skipped)
    store.candidates.skip(waiting.candidate_id, "again")
    assert store.candidates.queued(account_id, T0) == []
    assert [event.event_type for event in store.events.recent()] == ["candidate_skipped"]


def test_targets_a_ghost_reply_answers_are_found(store: Store) -> None:
    account_id = _account(store)
    post = Post(post_id=PostId("900"), author_id="1", author_handle="bot", text="by hand",
                created_at=T0, in_reply_to_post_id="101")  # fmt: skip
    ghost = NewGhost(account_id=account_id, post=post, detected_at=T0,
                     classification=GhostClassification.UNEXPLAINED)  # fmt: skip
    store.ghosts.record_ghost(
        ghost, lambda ghost_id: NewEvent(event_type="ghost", data={"id": ghost_id}, now=T0)
    )
    assert store.ghosts.answered_targets(account_id, ["101", "102"]) == {"101": "900"}
    assert store.ghosts.answered_targets(account_id, []) == {}


def test_a_decision_under_review_waits_and_spends_no_budget(store: Store) -> None:
    account_id = _account(store)
    _queue(store, account_id, 0.5)
    (waiting,) = store.candidates.queued(account_id, T0)
    decision = _decision(account_id, waiting.candidate_id, waiting.candidate_post_id, "check me")
    reviewed = NewDecision(**{**_fields(decision), "review_deadline": T0 + TTL / 2})

    def two_events(decided: Decided) -> list[NewEvent]:
        return [*_created(decided), NewEvent(event_type="review_requested", data={}, now=T0)]

    assert store.decisions.decide(reviewed, T0, two_events) is not None
    assert store.status.permits_by_status() == {"AWAITING_REVIEW": 1}
    (record,) = store.decisions.posting_history(account_id, T0 - TTL)
    assert not record.counted
    assert [event.event_type for event in store.events.recent()][:2] == [
        "review_requested",
        "reply_v2_attempt_created",
    ]


def _fields(decision: NewDecision) -> dict[str, object]:
    return {name: getattr(decision, name) for name in NewDecision.__slots__}
