"""The candidate queue behaves the same on every store."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from xbot.config import AccountSettings
from xbot.domain.candidates import CandidateStatus, NewCandidate
from xbot.domain.stores import Store

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def _account(store: Store) -> int:
    (record,) = store.accounts.sync([AccountSettings(platform="x", handle="bot")])
    return record.account_id


def _queued(account_id: int, post_id: str, score: float) -> NewCandidate:
    return NewCandidate(
        account_id=account_id, candidate_post_id=post_id, author_id="7", author_handle="ann",
        text=f"hello {post_id}", posted_at=T0, conversation_id=f"c{post_id}",
        in_reply_to_post_id=None, summoned=True, target_meta={"lang": "en"}, created_at=T0,
        status=CandidateStatus.QUEUED, score=score, score_parts={"base": score}, tier="mention",
        expires_at=T0 + timedelta(minutes=30),
    )  # fmt: skip


def _skipped(account_id: int, post_id: str) -> NewCandidate:
    return NewCandidate(
        account_id=account_id, candidate_post_id=post_id, author_id="8", author_handle="bob",
        text="spam", posted_at=T0, conversation_id=None, in_reply_to_post_id=None,
        summoned=False, target_meta={}, created_at=T0, status=CandidateStatus.SKIPPED,
        skip_reason="blocked_author",
    )  # fmt: skip


def test_added_candidates_are_known_and_move_the_watermark(store: Store) -> None:
    account_id = _account(store)
    queue = store.candidates
    assert queue.fetch_watermark(account_id) is None
    assert queue.known_post_ids(account_id, ["1", "2"]) == set()
    found = [_queued(account_id, "1", 0.5), _skipped(account_id, "2")]
    assert queue.add(account_id, found, keep=10, watermark="2") == 0
    assert queue.known_post_ids(account_id, ["1", "2", "3"]) == {"1", "2"}
    assert queue.fetch_watermark(account_id) == "2"
    queue.add(account_id, [_queued(account_id, "1", 0.9)], keep=10, watermark=None)
    assert queue.fetch_watermark(account_id) == "2"
    assert store.status.queue_size(T0) == 1
    assert store.status.queue_size(T0 + timedelta(hours=1)) == 0
    assert store.status.accounts_with_queued_candidates(T0) == {account_id}
    assert store.status.accounts_with_queued_candidates(T0 + timedelta(hours=1)) == set()


def test_a_full_queue_keeps_its_best_scored_candidates(store: Store) -> None:
    account_id = _account(store)
    found = [_queued(account_id, str(n), score) for n, score in enumerate([0.2, 0.9, 0.5, 0.1])]
    assert store.candidates.add(account_id, found, keep=2, watermark="3") == 2
    assert store.status.queue_size(T0) == 2
    assert store.candidates.add(account_id, [_queued(account_id, "9", 0.95)], 2, None) == 1
    assert store.status.queue_size(T0) == 2


def test_no_conversation_is_replied_before_any_decision(store: Store) -> None:
    account_id = _account(store)
    store.candidates.add(account_id, [_queued(account_id, "1", 0.5)], keep=10, watermark=None)
    assert store.candidates.replied_conversations(account_id) == set()
