"""Streams behave the same on every store: one consumer per (account, stream), fenced admits."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from xbot.config import AccountSettings
from xbot.domain.audit import NewEvent
from xbot.domain.candidates import CandidateStatus, NewCandidate
from xbot.domain.errors import LeaseLost
from xbot.domain.intake import Delivery, StreamState
from xbot.domain.stores import Store

T0 = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
LEASE = timedelta(seconds=30)


def _account(store: Store) -> int:
    (record,) = store.accounts.sync([AccountSettings(platform="mastodon", handle="bot")])
    return record.account_id


def _found(account_id: int, post_id: str) -> NewCandidate:
    return NewCandidate(
        account_id=account_id, candidate_post_id=post_id, author_id="7", author_handle="ann",
        text=f"hello {post_id}", posted_at=T0, conversation_id=post_id, in_reply_to_post_id=None,
        summoned=True, target_meta={}, created_at=T0, status=CandidateStatus.QUEUED, score=0.5,
        score_parts={"base": 0.5}, tier="mention", expires_at=T0 + timedelta(minutes=30),
    )  # fmt: skip


def _delivery(cursor: str | None) -> Delivery:
    return Delivery(cursor=cursor, received_at=T0, lag_seconds=0.4)


def test_one_consumer_holds_a_stream_until_it_releases_it(store: Store) -> None:
    account_id = _account(store)
    first = store.intake.acquire(account_id, "mastodon_user", "w1", LEASE)
    assert first is not None
    assert (first.fence, first.cursor) == (1, None)
    assert store.intake.acquire(account_id, "mastodon_user", "w2", LEASE) is None
    assert store.intake.acquire(account_id, "jetstream", "w2", LEASE) is not None
    renewed = store.intake.renew(first, LEASE)
    assert renewed is not None
    assert renewed.fence == first.fence
    stopped = NewEvent(event_type="intake_stream_disconnected", data={"reason": "stop"}, now=T0)
    assert store.intake.release(first, [stopped])
    assert not store.intake.release(first)
    second = store.intake.acquire(account_id, "mastodon_user", "w2", LEASE)
    assert second is not None
    assert second.fence == 2
    assert store.intake.renew(first, LEASE) is None
    assert len(store.events.recent(event_type="intake_stream_disconnected")) == 1


def test_an_expired_lease_is_taken_over_and_the_old_holder_writes_nothing(store: Store) -> None:
    account_id = _account(store)
    dead = store.intake.acquire(account_id, "mastodon_user", "w1", timedelta(seconds=-1))
    assert dead is not None
    taker = store.intake.acquire(account_id, "mastodon_user", "w2", LEASE)
    assert taker is not None
    assert taker.fence == dead.fence + 1
    with pytest.raises(LeaseLost):
        store.intake.admit(dead, [_found(account_id, "1")], 10, _delivery("c1"))
    with pytest.raises(LeaseLost):
        store.intake.mark(dead, StreamState.CONNECTED, None, [])
    with pytest.raises(LeaseLost):
        store.intake.backfilled(dead, 3, [])
    assert store.candidates.known_post_ids(account_id, ["1"]) == set()
    (health,) = store.intake.health()
    assert (health.owner, health.cursor, health.admitted) == ("w2", None, 0)


def test_admit_writes_candidates_and_cursor_together_and_replays_are_no_ops(store: Store) -> None:
    account_id = _account(store)
    held = store.intake.acquire(account_id, "mastodon_user", "w1", LEASE)
    assert held is not None
    assert store.intake.admit(held, [_found(account_id, "1")], 10, _delivery("c1")) == 0
    assert store.intake.admit(held, [_found(account_id, "1")], 10, _delivery("c2")) == 0
    store.intake.admit(held, [], 10, _delivery(None))
    assert store.candidates.known_post_ids(account_id, ["1", "2"]) == {"1"}
    (health,) = store.intake.health()
    assert (health.cursor, health.admitted, health.duplicates, health.events) == ("c2", 1, 1, 3)
    assert (health.last_event_at, health.lag_seconds) == (T0, 0.4)
    again = store.intake.acquire(account_id, "mastodon_user", "w1", LEASE)
    assert again is not None
    assert again.cursor == "c2"


def test_admit_trims_the_queue_like_fetch(store: Store) -> None:
    account_id = _account(store)
    held = store.intake.acquire(account_id, "mastodon_user", "w1", LEASE)
    assert held is not None
    found = [_found(account_id, str(number)) for number in range(3)]
    assert store.intake.admit(held, found, 2, _delivery("c3")) == 1
    assert store.status.queue_size(T0) == 2


def test_health_follows_connects_disconnects_and_backfills(store: Store) -> None:
    account_id = _account(store)
    held = store.intake.acquire(account_id, "mastodon_user", "w1", LEASE)
    assert held is not None
    (fresh,) = store.intake.health()
    assert (fresh.state, fresh.connects, fresh.connected_since) == (StreamState.STOPPED, 0, None)
    connected = NewEvent(event_type="intake_stream_connected", data={}, now=T0)
    store.intake.mark(held, StreamState.CONNECTED, None, [connected])
    store.intake.backfilled(held, 4, [])
    (up,) = store.intake.health()
    assert (up.state, up.connects, up.backfilled) == (StreamState.CONNECTED, 1, 4)
    assert up.connected_since is not None
    store.intake.mark(held, StreamState.DISCONNECTED, "connection reset", [])
    store.intake.mark(held, StreamState.CONNECTED, None, [])
    store.intake.mark(held, StreamState.UNAVAILABLE, "no Activity API", [])
    (down,) = store.intake.health()
    assert (down.state, down.detail, down.connects) == (
        StreamState.UNAVAILABLE,
        "no Activity API",
        2,
    )
    assert down.connected_since is None
    store.intake.release(held)
    (released,) = store.intake.health()
    assert (released.state, released.owner) == (StreamState.UNAVAILABLE, None)
    assert len(store.events.recent(event_type="intake_stream_connected")) == 1
