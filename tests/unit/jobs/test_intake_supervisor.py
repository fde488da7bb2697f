"""The intake supervisor on the in-memory store, with a scripted stream (issue 16).

Duplicates and replays are no-ops, the cursor is stored only with its committed post, every
(re)connect backfills through fetch, a drop reconnects after a back-off, and a dead holder's
lease is taken over.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import timedelta

import pytest

from intake_support import (
    T0,
    WORKER,
    ScriptedStream,
    StreamingPlatform,
    account_on,
    context_for,
    mention,
    opened,
    pushed,
)
from xbot.config import Settings
from xbot.config_intake import IntakeSettings
from xbot.domain.errors import StoreError
from xbot.domain.intake import StreamDisconnected, StreamItem, StreamState, StreamUnavailable
from xbot.domain.posts import CandidateBatch, Post
from xbot.domain.stores import Store
from xbot.jobs import intake as intake_module
from xbot.jobs import intake_backfill
from xbot.jobs.base import Account, JobContext
from xbot.jobs.intake import Backoff, StreamSupervisor, stream_of
from xbot.store.memory import MemoryStore

FAST = Settings(intake=IntakeSettings(lease_seconds=2, reconnect_initial_seconds=0.01,
                                      reconnect_max_seconds=0.05))  # fmt: skip


class Clock:
    """The store's and the supervisor's clock, moved by the test."""

    def __init__(self) -> None:
        self.now = T0

    def __call__(self):  # type: ignore[no-untyped-def]
        return self.now


@pytest.fixture
def world() -> Iterator[tuple[MemoryStore, StreamingPlatform, Account, JobContext]]:
    clock = Clock()
    store = MemoryStore(clock=clock)
    platform = StreamingPlatform()
    account = account_on(store)
    context = context_for(store, account, platform, settings=FAST)
    yield store, platform, account, context
    context.stop.set()


def run(context: JobContext, account: Account, platform: StreamingPlatform) -> threading.Thread:
    supervisor = StreamSupervisor(context, account, platform.stream, clock=lambda: T0)
    thread = threading.Thread(target=supervisor.run, daemon=True)
    thread.start()
    return thread


def until(condition: Callable[[], bool], seconds: float = 5.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.01)


def queued(store: Store, account: Account) -> set[str]:
    return {row.candidate_post_id for row in store.candidates.queued(account.account_id, T0)}


def test_pushed_posts_are_admitted_once_with_their_cursor(world) -> None:  # type: ignore[no-untyped-def]
    store, platform, account, context = world
    platform.stream.play([opened(), pushed(mention(1), "c1"), pushed(mention(1), "c2"),
                          pushed(mention(2), "c3")], drop=False)  # fmt: skip
    thread = run(context, account, platform)
    until(platform.stream.done.is_set)
    until(lambda: store.intake.health()[0].cursor == "c3")
    (health,) = store.intake.health()
    assert queued(store, account) == {"1", "2"}
    assert (health.state, health.admitted, health.duplicates, health.events) == (
        StreamState.CONNECTED, 2, 1, 4)  # fmt: skip
    until(lambda: platform.fetches == [None])  # one backfill at connect
    context.stop.set()
    thread.join(5)
    assert not thread.is_alive()
    assert platform.stream.closed
    assert store.intake.health()[0].state is StreamState.STOPPED
    types = [event.event_type for event in store.events.recent()]
    assert types.count("intake_stream_connected") == 1
    assert types.count("intake_stream_backfilled") == 1


def test_a_drop_reconnects_from_the_cursor_and_backfills_the_gap(world) -> None:  # type: ignore[no-untyped-def]
    store, platform, account, context = world
    platform.stream.play([opened(), pushed(mention(1), "c1")], drop=True)
    platform.stream.play([opened(), pushed(mention(3), "c3")], drop=False)
    platform.posts = [mention(2)]  # made while the stream was down: only backfill sees it
    thread = run(context, account, platform)
    until(platform.stream.done.is_set)
    until(lambda: queued(store, account) == {"1", "2", "3"})
    assert platform.stream.cursors[:2] == [None, "c1"]
    until(lambda: len(platform.fetches) == 2)  # a backfill on every (re)connect, beside it
    (health,) = store.intake.health()
    assert (health.connects, health.cursor) == (2, "c3")
    reasons = [event.data["reason"] for event in store.events.recent(
        event_type="intake_stream_disconnected")]  # fmt: skip
    assert reasons == ["the connection was reset"]
    context.stop.set()
    thread.join(5)


def test_the_cursor_stays_until_its_post_is_committed(world, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    store, platform, account, context = world
    platform.stream.play([opened(), pushed(mention(1), "c1"), pushed(mention(2), "c2")],
                         drop=False)  # fmt: skip
    platform.stream.play([opened(), pushed(mention(2), "c2")], drop=False)
    real_admit = store.intake.admit
    failed: list[str] = []

    def failing_admit(held, found, keep, delivery):  # type: ignore[no-untyped-def]
        if delivery.cursor == "c2" and not failed:
            failed.append("c2")
            raise StoreError("database error: disk I/O error")
        return real_admit(held, found, keep, delivery)

    monkeypatch.setattr(store.intake, "admit", failing_admit)
    thread = run(context, account, platform)
    until(lambda: queued(store, account) == {"1", "2"})
    assert platform.stream.cursors[:2] == [None, "c1"], "resumed where the last commit stopped"
    until(lambda: store.intake.health()[0].cursor == "c2")
    context.stop.set()
    thread.join(5)


def test_a_dead_holders_lease_is_taken_over(world, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    store, platform, account, context = world
    real_renew, dead = store.intake.renew, threading.Event()

    def renew(held, lease):  # type: ignore[no-untyped-def]
        if held.owner == "w1" and dead.is_set():
            raise StoreError("database error: the worker froze")
        return real_renew(held, lease)

    monkeypatch.setattr(store.intake, "renew", renew)
    platform.stream.play([opened(), pushed(mention(1), "c1")], drop=False)
    first = run(context, account, platform)
    until(lambda: store.intake.health()[0].cursor == "c1")
    second_platform = StreamingPlatform()
    second_platform.stream.play([opened(), pushed(mention(5), "c5")], drop=False)
    other = replace(WORKER, worker_id="w2")
    second_context = context_for(store, account, second_platform, settings=FAST, worker=other)
    second = run(second_context, account, second_platform)
    time.sleep(0.8)
    assert store.intake.health()[0].owner == "w1", "one consumer while the lease is renewed"
    assert second_platform.stream.cursors == []
    dead.set()  # w1 stops renewing, like a killed process
    time.sleep(0.1)
    store.tables.clock.now = T0 + timedelta(hours=1)  # type: ignore[attr-defined]
    until(lambda: store.intake.health()[0].owner == "w2")
    until(second_platform.stream.done.is_set)
    assert second_platform.stream.cursors == ["c1"]
    until(lambda: store.intake.health()[0].cursor == "c5")
    context.stop.set()
    second_context.stop.set()
    first.join(5)
    second.join(5)


def test_an_unavailable_stream_is_recorded_and_the_account_polls(world) -> None:  # type: ignore[no-untyped-def]
    store, platform, account, context = world
    platform.stream.play([StreamUnavailable("the access has no Activity API")], drop=False)
    thread = run(context, account, platform)
    thread.join(5)
    assert not thread.is_alive()
    (health,) = store.intake.health()
    assert (health.state, health.detail) == (StreamState.UNAVAILABLE,
                                             "the access has no Activity API")  # fmt: skip
    assert [event.event_type for event in store.events.recent()] == ["intake_stream_unavailable"]


def test_poll_mode_and_adapters_without_a_stream_poll(world) -> None:  # type: ignore[no-untyped-def]
    _store, platform, account, context = world
    assert stream_of(context, account) is platform.stream
    polling = replace(account, settings=account.settings.model_copy(update={"intake": "poll"}))
    assert stream_of(context, polling) == "intake = poll"


def test_back_off_doubles_with_jitter_up_to_its_maximum() -> None:
    low = Backoff(initial=1, maximum=8, jitter=lambda: 0.0)
    high = Backoff(initial=1, maximum=8, jitter=lambda: 1.0)
    assert [low.delay(n) for n in range(5)] == [0.5, 1, 2, 4, 4]
    assert [high.delay(n) for n in range(5)] == [1, 2, 4, 8, 8]


class SlowStream(ScriptedStream):
    """Delivers each scripted item 20 ms after the one before."""

    def listen(self, cursor: str | None, stop: threading.Event) -> Iterator[StreamItem]:
        for item in super().listen(cursor, stop):
            time.sleep(0.02)
            yield item


class LaggingPlatform(StreamingPlatform):
    """Its notifications list a mention only from the second fetch on (an AppView's lag)."""

    def __init__(self, late: Post) -> None:
        super().__init__()
        self.late = late
        self.stream = SlowStream()

    def fetch_candidates(self, since: str | None) -> CandidateBatch:
        if self.fetches:
            self.posts = [self.late]
        return super().fetch_candidates(since)


@pytest.mark.parametrize(("again", "fetches"), [(0.01, 2), (0.0, 1)])
def test_a_second_backfill_finds_what_the_notifications_listed_late(
    again: float, fetches: int
) -> None:
    store = MemoryStore(clock=Clock())
    platform = LaggingPlatform(mention(2))
    account = account_on(store)
    intake = FAST.intake.model_copy(update={"backfill_again_seconds": again})
    context = context_for(
        store, account, platform, settings=FAST.model_copy(update={"intake": intake})
    )
    # the stream lost mention 2 in the reconnect; the first backfill cannot list it yet
    platform.stream.play([opened(), pushed(mention(1), "c1"), opened()], drop=False)
    thread = run(context, account, platform)
    until(platform.stream.done.is_set)
    until(lambda: len(platform.fetches) >= fetches)
    time.sleep(0.05)
    assert len(platform.fetches) == fetches
    expected = {"1", "2"} if fetches == 2 else {"1"}
    until(lambda: queued(store, account) == expected)
    context.stop.set()
    thread.join(5)


def test_a_connection_that_delivered_reconnects_after_the_first_back_off_step(world) -> None:  # type: ignore[no-untyped-def]
    store, platform, account, context = world
    for number in (1, 2, 3):
        platform.stream.play([opened(), pushed(mention(number), f"c{number}")], drop=True)
    platform.stream.play([StreamDisconnected("refused"), opened()], drop=True)
    platform.stream.play([StreamDisconnected("refused again"), opened()], drop=False)
    thread = run(context, account, platform)
    until(platform.stream.done.is_set)
    until(lambda: len(store.events.recent(event_type="intake_stream_disconnected")) == 5)
    attempts = [event.data["attempt"] for event in reversed(store.events.recent(
        event_type="intake_stream_disconnected"))]  # fmt: skip
    assert attempts == [0, 0, 0, 1, 2], "each delivering connection starts the back-off over"
    context.stop.set()
    thread.join(5)


class BlockingPlatform(StreamingPlatform):
    """Its backfill waits until the test lets it go (a long page of notifications)."""

    def __init__(self) -> None:
        super().__init__()
        self.release = threading.Event()

    def fetch_candidates(self, since: str | None) -> CandidateBatch:
        assert self.release.wait(10), "the test never let the backfill go"
        return super().fetch_candidates(since)


def test_the_stream_is_admitted_while_a_backfill_runs() -> None:
    store = MemoryStore(clock=Clock())
    platform = BlockingPlatform()
    account = account_on(store)
    context = context_for(store, account, platform, settings=FAST)
    platform.posts = [mention(2)]  # only the backfill finds it
    platform.stream.play([opened(), pushed(mention(1), "c1")], drop=False)
    thread = run(context, account, platform)
    until(lambda: queued(store, account) == {"1"})
    assert store.intake.health()[0].cursor == "c1", "the backfill held nothing back"
    platform.release.set()
    until(lambda: queued(store, account) == {"1", "2"})
    context.stop.set()
    thread.join(5)
    assert not thread.is_alive()


def test_an_admitted_mention_wakes_the_accounts_schedule_job(world) -> None:  # type: ignore[no-untyped-def]
    store, platform, account, context = world
    platform.stream.play([opened()], drop=False)
    thread = run(context, account, platform)
    until(platform.stream.done.is_set)
    until(lambda: len(store.events.recent(event_type="intake_stream_backfilled")) == 1)
    assert context.wakeups.take() == [], "nothing admitted, nothing to schedule"
    context.stop.set()
    thread.join(5)
    store2 = MemoryStore(clock=Clock())
    platform2 = StreamingPlatform()
    account2 = account_on(store2)
    context2 = context_for(store2, account2, platform2, settings=FAST)
    platform2.stream.play([opened(), pushed(mention(1), "c1")], drop=False)
    thread = run(context2, account2, platform2)
    until(lambda: queued(store2, account2) == {"1"})
    until(context2.wakeups.pending)
    assert context2.wakeups.take() == [("schedule", account2.account_id)]
    context2.stop.set()
    thread.join(5)


class FlakyPlatform(StreamingPlatform):
    """Its first notification poll fails (the platform is down a moment)."""

    def fetch_candidates(self, since: str | None) -> CandidateBatch:
        if not self.fetches:
            self.fetches.append(since)
            raise StoreError("database error: the backfill's write failed")
        return super().fetch_candidates(since)


def test_a_failed_backfill_is_tried_again_and_its_finds_wake_the_schedule_job(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(intake_backfill, "RETRY_SECONDS", 0.05)
    store = MemoryStore(clock=Clock())
    platform = FlakyPlatform()
    account = account_on(store)
    intake = FAST.intake.model_copy(update={"backfill_again_seconds": 0})
    context = context_for(
        store, account, platform, settings=FAST.model_copy(update={"intake": intake})
    )
    platform.posts = [mention(2)]  # only a backfill finds it
    platform.stream.play([opened()], drop=False)
    thread = run(context, account, platform)
    until(lambda: queued(store, account) == {"2"})
    assert len(platform.fetches) == 2, "the failed backfill, then its retry"
    until(context.wakeups.pending)
    assert context.wakeups.take() == [("schedule", account.account_id)]
    context.stop.set()
    thread.join(5)
    assert not thread.is_alive()


@pytest.mark.parametrize(("seconds", "reads"), [(60.0, 1), (0.0, 3)])
def test_streamed_posts_share_one_read_of_the_rules_for_admission_seconds(
    world, monkeypatch, seconds: float, reads: int
) -> None:  # type: ignore[no-untyped-def]
    store, platform, account, context = world
    real, calls = intake_module.admission, []

    def counted(*args):  # type: ignore[no-untyped-def]
        calls.append(args)
        return real(*args)

    monkeypatch.setattr(intake_module, "admission", counted)
    monkeypatch.setattr(intake_module, "ADMISSION_SECONDS", seconds)
    platform.stream.play([opened(), pushed(mention(1), "c1"), pushed(mention(2), "c2"),
                          pushed(mention(3), "c3")], drop=False)  # fmt: skip
    thread = run(context, account, platform)
    until(lambda: queued(store, account) == {"1", "2", "3"})
    assert len(calls) == reads
    context.stop.set()
    thread.join(5)
