"""The X adapter's Activity API stream against the fake X over loopback."""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Iterator

import pytest

from x_activity import Served, platform_for, served_fake
from x_platform import x_platform
from xbot.domain.intake import StreamDisconnected, StreamItem, StreamUnavailable
from xbot.platforms.x import XPlatform


class Listener:
    """Runs `listen()` in a thread; items (or the exception that ended it) land in a queue."""

    def __init__(self, platform: XPlatform, cursor: str | None = None) -> None:
        self.stream = platform.mention_stream()
        self.stop = threading.Event()
        self.items: queue.Queue[StreamItem | BaseException | None] = queue.Queue()
        self.thread = threading.Thread(target=self._run, args=(cursor,), daemon=True)
        self.thread.start()

    def _run(self, cursor: str | None) -> None:
        try:
            for item in self.stream.listen(cursor, self.stop):
                self.items.put(item)
            self.items.put(None)
        except Exception as exc:
            self.items.put(exc)

    def posts(self, count: int, timeout: float = 10.0) -> list[StreamItem]:
        found: list[StreamItem] = []
        while len(found) < count:
            item = self.items.get(timeout=timeout)
            assert isinstance(item, StreamItem), f"ended after {len(found)} posts: {item!r}"
            if item.post is not None:
                found.append(item)
        return found

    def ended(self, timeout: float = 10.0) -> BaseException | None:
        while True:
            item = self.items.get(timeout=timeout)
            if not isinstance(item, StreamItem):
                return item

    def halt(self) -> float:
        """Set stop; return how long listen() took to return."""
        started = time.monotonic()
        self.stop.set()
        self.thread.join(timeout=5)
        return time.monotonic() - started


def connected(x: Served) -> None:
    for _ in range(300):
        if x.fake.stream.connected():
            return
        time.sleep(0.01)
    raise AssertionError("the adapter did not connect")


@pytest.fixture
def x() -> Iterator[Served]:
    with served_fake() as served:
        yield served


def test_a_mention_arrives_within_a_second_shaped_like_the_polled_one(x: Served) -> None:
    with platform_for(x) as platform:
        listener = Listener(platform)
        connected(x)
        created = time.monotonic()
        mention = x.fake.post_as(x.user(0), "@replybot how fast?")
        item = listener.posts(1)[0]
        assert time.monotonic() - created < 1.0
        assert listener.halt() < 1.0
        polled = {post.post_id: post for post in platform.fetch_candidates(None).posts}
    assert item.post == polled[mention["id"]]
    assert item.cursor == mention["id"]


def test_replies_and_quotes_of_ours_arrive_own_posts_do_not(x: Served) -> None:
    with platform_for(x) as platform:
        listener = Listener(platform)
        connected(x)
        ours = x.fake.ghost("a post of ours")
        x.fake.ghost("@replybot a note to self")
        reply = x.fake.post_as(x.user(1), "no handle here", in_reply_to=ours["id"])
        quote = x.fake.post_as(x.user(2), "look", quote_of=ours["id"])
        got = [item.post.post_id for item in listener.posts(2) if item.post]
        listener.halt()
    assert got == [reply["id"], quote["id"]]


def test_subscriptions_are_ensured_once_across_workers(x: Served) -> None:
    with platform_for(x) as first, platform_for(x) as second:
        first.mention_stream().ensure_subscriptions()
        second.mention_stream().ensure_subscriptions()
        first.mention_stream().ensure_subscriptions()
    held = sorted(s.event_type for s in x.fake.activity.subscriptions())
    assert held == ["post.mention.create", "post.quote.create", "post.reply.create"]


def test_without_the_activity_api_the_stream_is_unavailable(x: Served) -> None:
    x.fake.configure(activity_api=False)
    with platform_for(x) as platform:
        listener = Listener(platform)
        ended = listener.ended()
    assert isinstance(ended, StreamUnavailable)
    assert "no Activity API" in str(ended)
    assert "\n" not in str(ended)
    assert x.fake.credentials()["consumer_secret"] not in str(ended)


def test_a_drop_is_a_disconnect_and_the_reconnect_resumes(x: Served) -> None:
    with platform_for(x) as platform:
        listener = Listener(platform)
        connected(x)
        first = x.fake.post_as(x.user(0), "@replybot before")["id"]
        cursor = listener.posts(1)[0].cursor
        x.fake.stream.apply("drop")
        assert isinstance(listener.ended(), StreamDisconnected)
        second = x.fake.post_as(x.user(0), "@replybot during the gap")["id"]
        again = Listener(platform, cursor)
        items = again.posts(1)
        again.halt()
    assert cursor == first
    assert [i.post.post_id for i in items if i.post] == [second]
    assert items[0].cursor == second


def test_duplicates_and_reordering_yield_the_same_posts_and_a_cursor_that_never_goes_back(
    x: Served,
) -> None:
    with platform_for(x) as platform:
        listener = Listener(platform)
        connected(x)
        x.fake.stream.apply("duplicate", count=3)
        x.fake.stream.apply("reorder", count=3)
        ids = [x.fake.post_as(x.user(0), f"@replybot {n}")["id"] for n in range(3)]
        items = listener.posts(6)
        listener.halt()
    assert sorted({i.post.post_id for i in items if i.post}) == sorted(ids)
    cursors = [int(i.cursor or 0) for i in items]
    assert cursors == sorted(cursors)
    assert cursors[-1] == int(max(ids))


def test_a_slow_consumer_is_disconnected(x: Served) -> None:
    x.fake.configure(stream_max_backlog=1)
    with platform_for(x) as platform:
        listener = Listener(platform)
        connected(x)
        x.fake.stream.apply("slow", seconds=0.2)
        for n in range(4):
            x.fake.post_as(x.user(0), f"@replybot burst {n}")
        ended = listener.ended()
    assert isinstance(ended, StreamDisconnected)
    assert "operational-disconnect" in str(ended)


def test_connecting_yields_an_item_at_once_and_stop_returns_promptly_while_x_is_silent(
    x: Served,
) -> None:
    x.fake.configure(stream_keepalive_seconds=30.0)
    with platform_for(x) as platform:
        listener = Listener(platform)
        first = listener.items.get(timeout=3)  # the supervisor backfills on the first item
        assert isinstance(first, StreamItem)
        assert first.post is None
        connected(x)
        time.sleep(0.3)
        assert listener.halt() < 1.0
        assert listener.ended() is None


def test_close_ends_listen(x: Served) -> None:
    x.fake.configure(stream_keepalive_seconds=30.0)
    with platform_for(x) as platform:
        listener = Listener(platform)
        connected(x)
        listener.stream.close()
        assert listener.ended() is None


def test_an_adapter_on_an_in_process_transport_has_no_stream() -> None:
    with (
        served_fake() as x,
        x_platform(x.fake) as platform,
        pytest.raises(StreamUnavailable, match="in-process"),
    ):
        platform.mention_stream()
