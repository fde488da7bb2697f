"""Mastodon's streaming API over a real socket: the fake Mastodon under uvicorn, our client.

The fake serves `GET /api/v1/streaming?stream=user:notification` beside mastodon-mock and pushes
every mention to open streams, through the stream faults of `xbot.sim.core.streams`.
"""

from __future__ import annotations

import json
import queue
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx2
import pytest
from pydantic import SecretStr
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect

from xbot.config import AccountSettings
from xbot.domain.errors import XbotError
from xbot.domain.intake import StreamDisconnected, StreamItem, StreamUnavailable
from xbot.platforms.http import HttpOptions
from xbot.platforms.mastodon import MastodonPlatform, build_mastodon_platform
from xbot.sim.core.server import SimServer
from xbot.sim.core.streams import StreamFault
from xbot.sim.core.world import build_world
from xbot.sim.mastodon.fake import FakeMastodon, MastodonFakeSettings

#: a mention must reach the stream within this (generous for a loaded 2-core machine)
DELIVERY_SECONDS = 5.0
STREAM = "/api/v1/streaming?stream=user:notification"


@dataclass
class Listener:
    """One `listen()` running in a thread, collecting the posts it yields."""

    platform: MastodonPlatform
    stop: threading.Event = field(default_factory=threading.Event)
    posts: queue.Queue[StreamItem] = field(default_factory=queue.Queue)
    connected: threading.Event = field(default_factory=threading.Event)
    done: threading.Event = field(default_factory=threading.Event)
    items: int = 0
    error: XbotError | None = None

    def start(self) -> Listener:
        threading.Thread(target=self._run, daemon=True).start()
        return self

    def _run(self) -> None:
        try:
            for item in self.platform.mention_stream().listen(None, self.stop):
                self.items += 1
                self.connected.set()
                if item.post is not None:
                    self.posts.put(item)
        except XbotError as exc:
            self.error = exc
        finally:
            self.platform.close()
            self.done.set()

    def next_post(self, timeout: float = DELIVERY_SECONDS) -> StreamItem:
        return self.posts.get(timeout=timeout)

    def nothing_within(self, seconds: float) -> bool:
        try:
            self.posts.get(timeout=seconds)
        except queue.Empty:
            return True
        return False

    def finish(self) -> None:
        self.stop.set()
        assert self.done.wait(5), "listen() did not return after stop"


@dataclass
class Harness:
    fake: FakeMastodon
    server: SimServer
    listeners: list[Listener] = field(default_factory=list)
    opened: list[MastodonPlatform] = field(default_factory=list)

    @property
    def users(self) -> list[str]:
        return [user.handle for user in self.fake.world.users if not user.automated]

    @property
    def ws_url(self) -> str:
        return self.server.base_url.replace("http://", "ws://") + STREAM

    def platform(self, token: str | None = None) -> MastodonPlatform:
        account = AccountSettings(
            platform="mastodon", handle="replybot", base_url=self.server.base_url
        )
        secret = SecretStr(token or self.fake.credentials()["access_token"])
        platform = build_mastodon_platform(account, secret, http=HttpOptions(read_timeout=10.0))
        self.opened.append(platform)
        return platform

    def listen(self, token: str | None = None) -> Listener:
        listener = Listener(self.platform(token)).start()
        self.listeners.append(listener)
        assert listener.connected.wait(DELIVERY_SECONDS) or listener.error is None
        self.wait_connections(len([one for one in self.listeners if not one.done.is_set()]))
        return listener

    def wait_connections(self, count: int) -> None:
        deadline = time.monotonic() + DELIVERY_SECONDS
        while self.fake.stream.connections() != count:
            assert time.monotonic() < deadline, f"{self.fake.stream.connections()} != {count}"
            time.sleep(0.01)

    def mention(self, text: str = "how do streams work?", author: int = 0) -> dict[str, Any]:
        return self.fake.post_as(self.users[author], f"@replybot {text}")


@pytest.fixture(scope="module")
def served() -> Iterator[tuple[FakeMastodon, SimServer]]:
    fake = FakeMastodon(build_world(5, user_count=6))
    fake.warm_up()
    with fake.server() as server:
        yield fake, server
    fake.close()


@pytest.fixture
def masto(served: tuple[FakeMastodon, SimServer]) -> Iterator[Harness]:
    fake, server = served
    harness = Harness(fake=fake, server=server)
    yield harness
    for listener in harness.listeners:
        listener.finish()
    for platform in harness.opened:
        platform.close()
    fake.stream.clear()
    harness.wait_connections(0)


# --- delivery ---


def test_a_mention_arrives_within_a_second_shaped_as_the_poll_reads_it(masto: Harness) -> None:
    listener = masto.listen()
    created = time.monotonic()
    status = masto.mention("is this fast?")
    item = listener.next_post()
    latency = time.monotonic() - created
    assert item.post is not None
    assert item.post.post_id == status["id"]
    polled = {post.post_id: post for post in masto.platform().fetch_candidates(None).posts}
    assert item.post == polled[status["id"]]
    assert item.cursor is not None
    assert latency < DELIVERY_SECONDS, latency


def test_only_mentions_of_the_account_arrive(masto: Harness) -> None:
    listener = masto.listen()
    masto.fake.post_as(masto.users[1], "no mention here")
    masto.fake.post_as(masto.users[1], f"@{masto.users[2]} not for the bot")
    masto.fake.ghost("the bot itself, outside xbot")
    wanted = masto.mention("only me")
    assert listener.next_post().post.post_id == wanted["id"]  # type: ignore[union-attr]
    assert listener.nothing_within(0.3)


def test_listen_returns_promptly_once_stop_is_set(masto: Harness) -> None:
    listener = masto.listen()
    started = time.monotonic()
    listener.stop.set()
    assert listener.done.wait(3)
    assert time.monotonic() - started < 2.5
    assert listener.error is None
    assert listener.items >= 1  # the keep-alive that says "connected"


def test_close_from_another_thread_ends_listen(masto: Harness) -> None:
    stream = masto.platform().mention_stream()
    stop = threading.Event()
    items = stream.listen(None, stop)
    assert next(items).post is None  # connected
    stream.close()

    def drain() -> None:
        for _ in range(10):
            next(items)

    with pytest.raises(StreamDisconnected):
        drain()
    items.close()


# --- faults ---


def test_a_drop_disconnects_and_a_reconnect_receives_again(masto: Harness) -> None:
    first = masto.listen()
    assert masto.fake.stream.drop() == 1
    assert first.done.wait(DELIVERY_SECONDS)
    assert isinstance(first.error, StreamDisconnected)
    assert "1011" in str(first.error)
    again = masto.listen()
    status = masto.mention("after the drop")
    assert again.next_post().post.post_id == status["id"]  # type: ignore[union-attr]


def test_a_duplicate_delivery_yields_the_same_post_twice(masto: Harness) -> None:
    listener = masto.listen()
    masto.fake.stream.add_fault(StreamFault(kind="duplicate", count=1))
    status = masto.mention("twice")
    one, two = listener.next_post(), listener.next_post()
    assert one.post == two.post
    assert one.post is not None
    assert (one.post.post_id, one.cursor) == (status["id"], two.cursor)


def test_out_of_order_delivery_yields_the_same_posts(masto: Harness) -> None:
    listener = masto.listen()
    masto.fake.stream.add_fault(StreamFault(kind="reorder", count=3))
    sent = [masto.mention(f"order {number}", author=number)["id"] for number in range(3)]
    got = [listener.next_post().post.post_id for _ in sent]  # type: ignore[union-attr]
    assert got == sent[::-1]


def test_a_pause_holds_deliveries_until_it_ends(masto: Harness) -> None:
    listener = masto.listen()
    masto.fake.stream.add_fault(StreamFault(kind="pause"))
    status = masto.mention("held")
    assert listener.nothing_within(0.5)
    masto.fake.stream.clear()
    assert listener.next_post().post.post_id == status["id"]  # type: ignore[union-attr]


def test_events_during_a_gap_are_lost_to_the_stream_and_found_by_the_backfill(
    masto: Harness,
) -> None:
    platform = masto.platform()
    mark = platform.fetch_candidates(None).watermark
    first = masto.listen()
    masto.fake.stream.add_fault(StreamFault(kind="gap"))
    assert first.done.wait(DELIVERY_SECONDS)
    assert isinstance(first.error, StreamDisconnected)
    lost = masto.mention("during the gap")
    refused = Listener(masto.platform()).start()
    assert refused.done.wait(DELIVERY_SECONDS)
    assert isinstance(refused.error, StreamDisconnected)
    assert "503" in str(refused.error)
    masto.fake.stream.clear()
    again = masto.listen()
    assert again.nothing_within(0.3)
    backfill = platform.fetch_candidates(mark)
    assert [post.post_id for post in backfill.posts] == [lost["id"]]


def test_a_slow_consumer_is_cut_off_and_loses_what_was_waiting(masto: Harness) -> None:
    listener = masto.listen()
    masto.fake.stream.add_fault(StreamFault(kind="pause"))
    masto.fake.stream.add_fault(StreamFault(kind="slow", seconds=0.05, buffer=1))
    for number in range(4):
        masto.mention(f"flood {number}", author=number)
    masto.fake.stream.clear("pause")  # four waiting for a consumer that takes one at a time
    assert listener.done.wait(DELIVERY_SECONDS)
    assert isinstance(listener.error, StreamDisconnected)
    assert "1013" in str(listener.error)
    assert listener.posts.qsize() < 4


# --- access ---


def test_a_refused_token_makes_the_stream_unavailable_without_showing_the_token(
    masto: Harness,
) -> None:
    platform = masto.platform(token="not-a-token-abc")
    stream = platform.mention_stream()
    with pytest.raises(StreamUnavailable) as raised:
        next(stream.listen(None, threading.Event()))
    assert "not-a-token-abc" not in str(raised.value)


def test_the_token_may_come_as_query_parameter_or_subprotocol(masto: Harness) -> None:
    token = masto.fake.credentials()["access_token"]
    with connect(f"{masto.ws_url}&access_token={token}", proxy=None) as by_query:
        masto.wait_connections(1)
        by_query.close()
    with connect(masto.ws_url, subprotocols=[token], proxy=None) as by_protocol:  # type: ignore[list-item]
        assert by_protocol.subprotocol == token
    with pytest.raises(InvalidStatus) as raised:
        connect(masto.ws_url, proxy=None)
    assert raised.value.response.status_code == 401
    with pytest.raises(InvalidStatus) as raised:
        connect(masto.ws_url.replace("user:notification", "public"), proxy=None)
    assert raised.value.response.status_code == 400


def test_the_user_stream_also_carries_notifications_in_mastodon_s_frame(masto: Harness) -> None:
    token = masto.fake.credentials()["access_token"]
    url = masto.ws_url.replace("user:notification", "user")
    with connect(url, additional_headers={"Authorization": f"Bearer {token}"}, proxy=None) as ws:
        masto.wait_connections(1)
        status = masto.mention("framed")
        frames = [json.loads(ws.recv(timeout=DELIVERY_SECONDS)) for _ in range(1)]
    frame = frames[0]
    assert frame["stream"] == ["user"]
    assert frame["event"] == "notification"
    payload = json.loads(frame["payload"])
    assert (payload["type"], payload["status"]["id"]) == ("mention", status["id"])


def test_health_instance_urls_and_the_admin_api(masto: Harness) -> None:
    base = masto.server.base_url
    assert httpx2.get(f"{base}/api/v1/streaming/health").text == "OK"
    urls = httpx2.get(f"{base}/api/v1/instance").json()["urls"]
    assert urls["streaming_api"] == base.replace("http://", "ws://")
    assert masto.platform().streaming_url() == base.replace("http://", "ws://")
    masto.listen()
    added = httpx2.post(f"{base}/_sim/stream/faults", json={"kind": "duplicate", "count": 2})
    assert added.status_code == 201
    state = httpx2.get(f"{base}/_sim/stream").json()
    assert state["connections"] == 1
    assert [fault["kind"] for fault in state["faults"]] == ["duplicate"]
    assert httpx2.post(f"{base}/_sim/stream/faults", json={"kind": "nope"}).status_code == 400
    assert httpx2.delete(f"{base}/_sim/stream/faults").json() == {"faults": []}
    assert httpx2.post(f"{base}/_sim/stream/faults", json={"kind": "drop"}).status_code == 201
    masto.wait_connections(0)


def test_an_open_stream_lets_the_generated_traffic_mention_the_bot_without_a_request() -> None:
    fake = FakeMastodon(build_world(3, user_count=6),
                        settings=MastodonFakeSettings(traffic_per_minute=600))  # fmt: skip
    token = fake.credentials()["access_token"]
    try:
        with fake.server() as server:
            url = server.base_url.replace("http://", "ws://") + STREAM
            headers = {"Authorization": f"Bearer {token}"}
            with connect(url, additional_headers=headers, proxy=None) as ws:
                frame = json.loads(ws.recv(timeout=DELIVERY_SECONDS * 3))
            assert json.loads(frame["payload"])["type"] == "mention"
            assert fake.requests() == []  # nothing but the stream asked the fake for anything
    finally:
        fake.close()
