"""Mastodon's stream as server-sent events over a real socket: the fake under uvicorn, our client.

`intake.mastodon_transport = "sse"`: `GET /api/v1/streaming/user/notification` as
text/event-stream, through the same hub and faults as the websocket.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
from pydantic import SecretStr

from xbot.config import AccountSettings
from xbot.domain.errors import XbotError
from xbot.domain.intake import StreamDisconnected, StreamItem, StreamUnavailable
from xbot.platforms.http import HttpOptions
from xbot.platforms.mastodon import MastodonPlatform, build_mastodon_platform
from xbot.sim.core.server import SimServer
from xbot.sim.core.streams import StreamFault
from xbot.sim.core.world import build_world
from xbot.sim.mastodon.fake import FakeMastodon

#: a mention must reach the stream within this (generous for a loaded 2-core machine)
DELIVERY_SECONDS = 5.0


@pytest.fixture(scope="module")
def served() -> Iterator[tuple[FakeMastodon, SimServer]]:
    fake = FakeMastodon(build_world(5, user_count=6))
    fake.warm_up()
    with fake.server() as server:
        yield fake, server
    fake.close()


@pytest.fixture
def fake(served: tuple[FakeMastodon, SimServer]) -> Iterator[FakeMastodon]:
    yield served[0]
    served[0].stream.clear()


def platform_for(
    server: SimServer, fake: FakeMastodon, token: str | None = None
) -> MastodonPlatform:
    account = AccountSettings(platform="mastodon", handle="replybot", base_url=server.base_url)
    secret = SecretStr(token or fake.credentials()["access_token"])
    return build_mastodon_platform(account, secret, http=HttpOptions(read_timeout=10.0),
                                   stream_transport="sse")  # fmt: skip


class Listener:
    """One `listen()` in a thread, collecting the posts it yields."""

    def __init__(self, platform: MastodonPlatform) -> None:
        self.platform = platform
        self.stop = threading.Event()
        self.posts: queue.Queue[StreamItem] = queue.Queue()
        self.connected = threading.Event()
        self.done = threading.Event()
        self.error: XbotError | None = None
        threading.Thread(target=self._run, daemon=True).start()

    def _run(self) -> None:
        try:
            for item in self.platform.mention_stream().listen(None, self.stop):
                self.connected.set()
                if item.post is not None:
                    self.posts.put(item)
        except XbotError as exc:
            self.error = exc
        finally:
            self.platform.close()
            self.done.set()

    def finish(self) -> None:
        self.stop.set()
        assert self.done.wait(5), "listen() did not return after stop"


def mention(fake: FakeMastodon, text: str) -> dict[str, Any]:
    people = [user.handle for user in fake.world.users if not user.automated]
    return fake.post_as(people[0], f"@replybot {text}")


def connections(fake: FakeMastodon, count: int) -> None:
    deadline = time.monotonic() + DELIVERY_SECONDS
    while fake.stream.connections() != count:
        assert time.monotonic() < deadline, f"{fake.stream.connections()} != {count}"
        time.sleep(0.01)


def test_a_mention_arrives_as_an_event_shaped_as_the_poll_reads_it(
    served: tuple[FakeMastodon, SimServer], fake: FakeMastodon
) -> None:
    listener = Listener(platform_for(served[1], fake))
    assert listener.connected.wait(DELIVERY_SECONDS), listener.error
    connections(fake, 1)
    status = mention(fake, "do you speak server-sent events?")
    item = listener.posts.get(timeout=DELIVERY_SECONDS)
    assert item.post is not None
    assert item.post.post_id == status["id"]
    poller = platform_for(served[1], fake)
    polled = {post.post_id: post for post in poller.fetch_candidates(None).posts}
    poller.close()
    assert item.post == polled[status["id"]]
    assert item.cursor is not None
    listener.finish()
    assert listener.error is None
    connections(fake, 0)


def test_a_gap_ends_the_event_stream_and_refuses_reconnects_until_it_is_over(
    served: tuple[FakeMastodon, SimServer], fake: FakeMastodon
) -> None:
    listener = Listener(platform_for(served[1], fake))
    assert listener.connected.wait(DELIVERY_SECONDS), listener.error
    connections(fake, 1)
    fake.stream.add_fault(StreamFault(kind="gap", seconds=30))
    assert listener.done.wait(DELIVERY_SECONDS), "the gap ended the response"
    assert isinstance(listener.error, StreamDisconnected)
    refused = platform_for(served[1], fake)
    with pytest.raises(StreamDisconnected, match="answered 503"):
        next(refused.mention_stream().listen(None, threading.Event()))
    refused.close()
    fake.stream.clear()
    again = Listener(platform_for(served[1], fake))
    assert again.connected.wait(DELIVERY_SECONDS), again.error
    again.finish()


def test_a_refused_token_makes_the_account_poll(
    served: tuple[FakeMastodon, SimServer], fake: FakeMastodon
) -> None:
    refused = platform_for(served[1], fake, token="not-a-token")
    with pytest.raises(StreamUnavailable, match="401"):
        next(refused.mention_stream().listen(None, threading.Event()))
    refused.close()
