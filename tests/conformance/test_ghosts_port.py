"""Ghosts, scans and the scan lease behave the same on every store."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from xbot.config import AccountSettings
from xbot.domain.audit import NewEvent
from xbot.domain.ghosts import GhostClassification, GhostRecord, GhostScan, NewGhost
from xbot.domain.posts import Post, PostId
from xbot.domain.stores import Store

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
MINUTE = timedelta(minutes=1)


def _account(store: Store) -> int:
    (record,) = store.accounts.sync([AccountSettings(platform="x", handle="bot")])
    return record.account_id


def _ghost(account_id: int, post_id: str, at: datetime = T0) -> NewGhost:
    post = Post(post_id=PostId(post_id), author_id="1", author_handle="bot", text=f"hi {post_id}",
                created_at=at, in_reply_to_post_id="900")  # fmt: skip
    return NewGhost(account_id=account_id, post=post, detected_at=at,
                    classification=GhostClassification.UNEXPLAINED)  # fmt: skip


def _detected(ghost_id: int) -> NewEvent:
    return NewEvent(event_type="ghost_tweet_detected", data={"ghost_id": ghost_id}, now=T0)


def _acknowledged(ghost: GhostRecord) -> NewEvent:
    return NewEvent(event_type="ghost_acknowledged", data={"post_id": ghost.post_id}, now=T0)


def test_the_scan_lease_is_held_until_it_expires_or_is_released(store: Store) -> None:
    account_id = _account(store)
    ghosts = store.ghosts
    fence = ghosts.acquire_scan_lease(account_id, "w1", T0, T0 + MINUTE)
    assert fence == 1
    assert ghosts.acquire_scan_lease(account_id, "w2", T0, T0 + MINUTE) is None
    taken = ghosts.acquire_scan_lease(account_id, "w2", T0 + MINUTE, T0 + 2 * MINUTE)
    assert taken == 2
    assert not ghosts.release_scan_lease(account_id, "w1", 1)
    assert ghosts.release_scan_lease(account_id, "w2", 2)
    assert ghosts.acquire_scan_lease(account_id, "w1", T0, T0 + MINUTE) == 3


def test_a_ghost_is_recorded_once_with_its_event(store: Store) -> None:
    account_id = _account(store)
    ghost_id = store.ghosts.record_ghost(_ghost(account_id, "500"), _detected)
    assert ghost_id is not None
    assert store.ghosts.record_ghost(_ghost(account_id, "500"), _detected) is None
    (event,) = store.events.recent(event_type="ghost_tweet_detected")
    assert event.data == {"ghost_id": ghost_id}
    (ghost,) = store.ghosts.ghosts()
    assert (ghost.ghost_id, ghost.post_id, ghost.in_reply_to, ghost.handle) == (
        ghost_id,
        "500",
        "900",
        "bot",
    )
    assert ghost.classification == GhostClassification.UNEXPLAINED.value


def test_ghosts_are_acknowledged_by_id_or_post_id_and_then_hidden(store: Store) -> None:
    account_id = _account(store)
    first = store.ghosts.record_ghost(_ghost(account_id, "500", T0), _detected)
    store.ghosts.record_ghost(_ghost(account_id, "501", T0 + MINUTE), _detected)
    assert [ghost.post_id for ghost in store.ghosts.ghosts()] == ["501", "500"]
    assert store.ghosts.acknowledge("nope", "ops", _acknowledged) is None
    acknowledged = store.ghosts.acknowledge(str(first), "ops", _acknowledged)
    assert acknowledged is not None
    assert (acknowledged.post_id, acknowledged.acknowledged_by) == ("500", "ops")
    assert acknowledged.acknowledged_at is not None
    assert store.ghosts.acknowledge("501", "ops2", _acknowledged) is not None
    assert store.ghosts.ghosts() == []
    every = store.ghosts.ghosts(include_acknowledged=True)
    assert [ghost.acknowledged_by for ghost in every] == ["ops2", "ops"]
    assert len(store.events.recent(event_type="ghost_acknowledged")) == 2


def test_a_scan_moves_the_watermark_and_records_its_event(store: Store) -> None:
    account_id = _account(store)
    watermark, managed_since = store.ghosts.watermark(account_id)
    assert watermark is None
    assert managed_since <= store.now()
    scan = GhostScan(account_id=account_id, scanned=3, ghosts=0, watermark="777", worker_id="w1",
                     at=T0)  # fmt: skip
    done = NewEvent(event_type="ghost_scan_completed", data={"scanned": 3}, now=T0)
    store.ghosts.record_scan(scan, done)
    assert store.ghosts.watermark(account_id) == ("777", managed_since)
    assert [event.data for event in store.events.recent()] == [{"scanned": 3}]
