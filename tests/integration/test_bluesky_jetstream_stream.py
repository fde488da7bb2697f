"""The Bluesky MentionStream against the fake Jetstream over loopback (issue 16).

Mentions, replies and quotes of the account arrive as Posts shaped like the poll's, within a
second; drops raise StreamDisconnected and a reconnect from the cursor loses nothing; events
delivered twice or out of order give each post once; `stop` ends `listen` promptly.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import pytest
from pydantic import SecretStr

from xbot.config import AccountSettings
from xbot.domain.intake import StreamDisconnected, Streaming, StreamItem, StreamUnavailable
from xbot.domain.posts import Post
from xbot.platforms.bluesky import BlueskyPlatform, MemorySessionStore, build_bluesky_platform
from xbot.platforms.bluesky.stream import JetstreamOptions, JetstreamStream
from xbot.sim.bluesky.fake import FakeBluesky
from xbot.sim.bluesky.settings import BlueskyFakeSettings
from xbot.sim.core.clock import SimClock
from xbot.sim.core.server import SimServer

#: a mention must come this fast (the issue's target is p95 <= 2 s end to end)
DELIVERY_SECONDS = 1.0
#: generous waits for a loaded CI machine; only failures wait this long
PATIENCE = 10.0


@dataclass
class Listening:
    """`listen` running in a thread; its items (or the error that ended it) in a queue."""

    stream: JetstreamStream
    cursor: str | None = None
    stop: threading.Event = field(default_factory=threading.Event)
    got: queue.Queue[StreamItem | BaseException | None] = field(default_factory=queue.Queue)
    first: list[StreamItem] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        try:
            for item in self.stream.listen(self.cursor, self.stop):
                self.got.put(item)
        except BaseException as exc:
            self.got.put(exc)
        else:
            self.got.put(None)

    def wait_connected(self) -> None:
        """Wait for the first item (a quiet connection yields keep-alives); keep it for later."""
        item = self.got.get(timeout=PATIENCE)
        assert isinstance(item, StreamItem), item
        self.first.append(item)

    def _next(self, timeout: float) -> StreamItem | BaseException | None:
        return self.first.pop() if self.first else self.got.get(timeout=timeout)

    def post(self, timeout: float = PATIENCE) -> tuple[Post, StreamItem]:
        deadline = time.monotonic() + timeout
        while True:
            item = self._next(max(0.01, deadline - time.monotonic()))
            if isinstance(item, BaseException):
                raise item
            assert item is not None, "listen ended"
            if item.post is not None:
                return item.post, item

    def quiet(self, seconds: float = 0.8) -> list[Post]:
        """Posts yielded in the next `seconds`."""
        found, deadline = [], time.monotonic() + seconds
        while (left := deadline - time.monotonic()) > 0:
            try:
                item = self._next(left)
            except queue.Empty:
                break
            if isinstance(item, StreamItem) and item.post is not None:
                found.append(item.post)
        return found

    def error(self) -> BaseException:
        while True:
            item = self._next(PATIENCE)
            if not isinstance(item, StreamItem):
                assert item is not None, "listen ended without an error"
                return item

    def end(self) -> float:
        started = time.monotonic()
        self.stop.set()
        self.thread.join(timeout=PATIENCE)
        return time.monotonic() - started


@dataclass
class World:
    fake: FakeBluesky
    server: SimServer
    platform: BlueskyPlatform

    @property
    def users(self) -> list[str]:
        return [user.handle for user in self.fake.world.users if not user.automated]

    def sent(self, path: str) -> int:
        """Count GET requests; over a socket the log entry lands just after the answer."""
        count = -1
        for _ in range(20):
            again = len(self.fake.requests("GET", path))
            if again == count:
                return count
            count = again
            time.sleep(0.05)
        return count

    def listen(self, cursor: str | None = None) -> Listening:
        listening = Listening(self.platform.mention_stream(), cursor)
        listening.wait_connected()
        return listening


@pytest.fixture
def world() -> Iterator[World]:
    fake = FakeBluesky(clock=SimClock(), settings=BlueskyFakeSettings(notification_delay_seconds=0))
    with fake.server() as server:
        creds = fake.credentials()
        account = AccountSettings(
            platform="bluesky", handle=creds["identifier"], base_url=server.base_url
        )
        options = JetstreamOptions(url=server.base_url.replace("http", "ws"), receive_timeout=0.2)
        platform = build_bluesky_platform(
            account, SecretStr(creds["password"]), MemorySessionStore(), jetstream=options
        )
        try:
            yield World(fake=fake, server=server, platform=platform)
        finally:
            platform.close()


def test_a_mention_arrives_within_a_second_shaped_like_the_poll(world: World) -> None:
    listening = world.listen()
    started = time.monotonic()
    mention = world.fake.post_as(world.users[0], "@replybot how do I start?")
    post, item = listening.post()
    elapsed = time.monotonic() - started
    listening.end()
    assert elapsed < DELIVERY_SECONDS
    polled = next(
        p for p in world.platform.fetch_candidates(None).posts if p.post_id == post.post_id
    )
    assert post.post_id == mention["id"] == polled.post_id
    assert (post.author_id, post.author_handle) == (polled.author_id, polled.author_handle)
    assert post.meta == polled.meta
    assert post.summoned
    assert polled.summoned
    assert item.cursor is not None
    assert item.cursor.isdigit()


def test_replies_and_quotes_of_ours_come_own_posts_and_others_mentions_do_not(world: World) -> None:
    ours = world.fake.ghost("a post of ours")
    listening = world.listen()
    ann, bob = world.users[:2]
    world.fake.post_as(ann, f"@{bob} not for us")
    world.fake.ghost("another post of ours")
    reply = world.fake.post_as(ann, "nice", in_reply_to=ours["id"])
    quote = world.fake.post_as(bob, "look", quote_of=ours["id"])
    got = [listening.post()[0].post_id, listening.post()[0].post_id]
    assert listening.quiet() == []
    listening.end()
    assert got == [reply["id"], quote["id"]]


def test_stop_ends_listen_within_a_second(world: World) -> None:
    listening = world.listen()
    assert listening.end() < DELIVERY_SECONDS
    assert not listening.thread.is_alive()


def test_a_drop_disconnects_and_a_reconnect_from_the_cursor_loses_nothing(world: World) -> None:
    ours = world.fake.ghost("a post of ours")
    listening = world.listen()
    world.fake.post_as(world.users[0], "one", in_reply_to=ours["id"])
    _, item = listening.post()
    world.fake.jetstream.drop()
    assert isinstance(listening.error(), StreamDisconnected)
    gates = world.sent("/xrpc/app.bsky.feed.getPosts")
    assert gates == 1  # the reply's thread: is it gated?
    missed = world.fake.post_as(world.users[1], "two, while away", in_reply_to=ours["id"])
    again = world.listen(item.cursor)
    seen = {again.post()[0].post_id, again.post()[0].post_id}  # the margin replays "one" too
    again.end()
    assert missed["id"] in seen
    # "one", replayed by the margin, is not looked up again: only "two" asks for its gate
    assert world.sent("/xrpc/app.bsky.feed.getPosts") == gates + 1


def test_duplicates_and_out_of_order_deliveries_give_each_post_once(world: World) -> None:
    listening = world.listen()
    world.fake.jetstream.deliver_twice(2)
    world.fake.jetstream.deliver_out_of_order(3)
    mentions = [world.fake.post_as(world.users[n], f"@replybot n{n}") for n in range(3)]
    got = [listening.post()[0].post_id for _ in range(3)]
    assert listening.quiet() == []
    listening.end()
    assert sorted(got) == sorted(m["id"] for m in mentions)


def test_the_cursor_resumes_with_the_safety_margin(world: World) -> None:
    listening = world.listen()
    first = world.fake.post_as(world.users[0], "@replybot first")
    _, item = listening.post()
    listening.end()
    world.fake.advance(10)  # the margin is 5 s of the fake clock
    later = world.fake.post_as(world.users[1], "@replybot later")
    again = world.listen(item.cursor)
    assert again.post()[0].post_id == first["id"]  # within the margin: seen again, a no-op later
    assert again.post()[0].post_id == later["id"]
    again.end()
    beyond = world.listen(str(int(str(item.cursor)) + 6_000_000))
    assert beyond.post()[0].post_id == later["id"]
    beyond.end()


def test_an_author_profile_is_read_once(world: World) -> None:
    listening = world.listen()
    for n in range(3):
        world.fake.post_as(world.users[0], f"@replybot {n}")
        listening.post()
    listening.end()
    assert world.sent("/xrpc/app.bsky.actor.getProfile") == 1


def test_a_thread_gated_against_us_is_marked(world: World) -> None:
    root = world.fake.post_as(world.users[0], "my thread")
    world.fake.gate_thread(root["id"], [])
    world.fake.advance(5)  # the AppView shows the root
    listening = world.listen()
    world.fake.post_as(world.users[1], "@replybot what do you think?", in_reply_to=root["id"])
    post, _ = listening.post()
    listening.end()
    assert post.reply_disabled


def test_progress_is_reported_without_posts_for_us(world: World) -> None:
    stream = world.platform.mention_stream()
    quick = JetstreamStream(
        JetstreamOptions(url=stream.options.url, receive_timeout=0.2, progress_seconds=0),
        stream._lookups,
    )
    listening = Listening(quick)
    listening.wait_connected()
    world.fake.post_as(world.users[0], "nothing for us")
    cursors: list[Any] = []
    deadline = time.monotonic() + PATIENCE
    while not cursors and time.monotonic() < deadline:
        item = listening.got.get(timeout=PATIENCE)
        assert isinstance(item, StreamItem)
        assert item.post is None
        if item.cursor is not None:
            cursors.append(item.cursor)
    listening.end()
    assert cursors


def test_a_url_that_is_no_websocket_is_unavailable(world: World) -> None:
    stream = world.platform.mention_stream()
    broken = JetstreamStream(
        JetstreamOptions(url=world.server.base_url),
        stream._lookups,
    )
    with pytest.raises(StreamUnavailable, match="jetstream_url"):
        next(iter(broken.listen(None, threading.Event())))


def test_a_refused_connection_is_a_disconnect(world: World) -> None:
    world.fake.jetstream.drop(refuse_seconds=30)
    with pytest.raises(StreamDisconnected, match="refused"):
        next(iter(world.platform.mention_stream().listen(None, threading.Event())))
    assert timedelta(seconds=5) == JetstreamOptions().margin


def test_an_adapter_on_an_in_process_transport_has_no_stream() -> None:
    fake = FakeBluesky(clock=SimClock())
    creds = fake.credentials()
    account = AccountSettings(
        platform="bluesky", handle=creds["identifier"], base_url="http://bsky.sim"
    )
    platform = build_bluesky_platform(
        account, SecretStr(creds["password"]), MemorySessionStore(), transport=fake.transport()
    )
    assert isinstance(platform, Streaming)
    with pytest.raises(StreamUnavailable, match="in-process"):
        platform.mention_stream()
