"""`/webhooks/x` on the web role: CRC, signed deliveries stored, forged ones refused (loopback)."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta

import httpx2
import pytest
from starlette.applications import Starlette

from x_activity import Served, platform_for, served_fake
from xbot.domain.errors import Transient
from xbot.domain.intake import StreamUnavailable
from xbot.platforms.x.events import parse_event
from xbot.platforms.x.posts import Me
from xbot.platforms.x.stream import StreamOptions
from xbot.sim.core.server import SimServer
from xbot.web.x_webhooks import WEBHOOK_PATH, response_token, webhook_routes

SECRET = "consumer-secret-" + "s" * 34


@dataclass
class RecordingSink:
    """Stores what X delivers, as intake's admit path would (by post id, duplicates no-ops)."""

    consumer_secret: str
    me: Me | None = None
    stored: dict[str, bytes] = field(default_factory=dict)
    failing: bool = False

    def secret(self) -> str:
        return self.consumer_secret

    def accept(self, body: bytes) -> int:
        if self.failing:
            raise Transient("the database is away")
        data = json.loads(body)["data"]
        if self.me is not None:
            event = parse_event(body, self.me)
            if event is None or event.post is None:
                return 0
        post_id = data["payload"]["id"]
        new = post_id not in self.stored
        self.stored[post_id] = body
        return int(new)


@pytest.fixture
def web() -> Iterator[tuple[RecordingSink, str]]:
    sink = RecordingSink(SECRET)
    with SimServer(Starlette(routes=webhook_routes(sink))) as server:
        yield sink, server.base_url + WEBHOOK_PATH


def delivery(post_id: str = "1990000000000000002") -> bytes:
    return json.dumps(
        {"data": {"event_type": "post.mention.create", "payload": {"id": post_id}}}
    ).encode()


def test_crc_is_answered_with_the_hmac_of_the_consumer_secret(
    web: tuple[RecordingSink, str],
) -> None:
    _, url = web
    answer = httpx2.get(url, params={"crc_token": "challenge-123"})
    assert answer.status_code == 200
    assert answer.json() == {"response_token": response_token(SECRET, b"challenge-123")}
    assert SECRET not in answer.text
    assert httpx2.get(url).status_code == 400


def test_a_signed_delivery_is_stored_once(web: tuple[RecordingSink, str]) -> None:
    sink, url = web
    body = delivery()
    headers = {"x-twitter-webhooks-signature": response_token(SECRET, body)}
    first = httpx2.post(url, content=body, headers=headers)
    again = httpx2.post(url, content=body, headers=headers)
    assert (first.status_code, first.json()) == (200, {"stored": 1})
    assert (again.status_code, again.json()) == (200, {"stored": 0})
    assert list(sink.stored) == ["1990000000000000002"]


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"x-twitter-webhooks-signature": ""},
        {"x-twitter-webhooks-signature": response_token("another secret", delivery())},
        {"x-twitter-webhooks-signature": response_token(SECRET, delivery("1990000000000000009"))},
    ],
    ids=["missing", "empty", "wrong secret", "another body"],
)
def test_a_forged_or_missing_signature_is_401_and_nothing_is_stored(
    web: tuple[RecordingSink, str], headers: dict[str, str]
) -> None:
    sink, url = web
    answer = httpx2.post(url, content=delivery(), headers=headers)
    assert answer.status_code == 401
    assert sink.stored == {}
    assert SECRET not in answer.text


def test_a_delivery_that_cannot_be_stored_is_not_acknowledged(
    web: tuple[RecordingSink, str],
) -> None:
    sink, url = web
    sink.failing = True
    body = delivery()
    answer = httpx2.post(
        url, content=body, headers={"x-twitter-webhooks-signature": response_token(SECRET, body)}
    )
    assert answer.status_code == 503
    assert SECRET not in answer.text


@pytest.fixture
def x() -> Iterator[Served]:
    with served_fake() as served:
        yield served


def test_the_fake_x_registers_the_route_and_delivers_mentions_and_replays(x: Served) -> None:
    bot = x.fake.bot()
    sink = RecordingSink(x.fake.auth.consumer_secret, me=Me(user_id=bot.user_id, handle=bot.handle))
    with SimServer(Starlette(routes=webhook_routes(sink))) as server, x.client() as client:
        registered = client.post("/2/webhooks", json={"url": server.base_url + WEBHOOK_PATH})
        assert registered.status_code == 200, registered.text
        webhook_id = registered.json()["data"]["id"]
        x.subscribe("post.mention.create", webhook_id=webhook_id)
        mention = x.fake.post_as(x.user(0), "@replybot via the webhook")
        wait_for(lambda: mention["id"] in sink.stored)
        sink.stored.clear()  # as if the web role had been down: replay fills the gap
        replayed = client.post(
            "/2/webhooks/replay",
            json={"webhook_id": webhook_id, "from_date": "202603020900", "to_date": "202603020900"},
        )
        assert replayed.status_code == 200
        wait_for(lambda: mention["id"] in sink.stored)


def wait_for(condition: object, seconds: float = 10.0) -> None:
    import time

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if callable(condition) and condition():
            return
        time.sleep(0.02)
    raise AssertionError("timed out")


def test_in_webhook_mode_the_adapter_subscribes_to_the_webhook_and_replays_it(x: Served) -> None:
    bot = x.fake.bot()
    sink = RecordingSink(x.fake.auth.consumer_secret, me=Me(user_id=bot.user_id, handle=bot.handle))
    with SimServer(Starlette(routes=webhook_routes(sink))) as server, x.client() as client:
        registered = client.post("/2/webhooks", json={"url": server.base_url + WEBHOOK_PATH})
        webhook_id = registered.json()["data"]["id"]
        options = StreamOptions(by_webhook=True, webhook_id=webhook_id)
        with platform_for(x, stream=options) as platform:
            stream = platform.mention_stream()
            with pytest.raises(StreamUnavailable, match="by webhook"):
                next(iter(stream.listen(None, threading.Event())))
            held = x.fake.activity.subscriptions()
            assert {s.webhook_id for s in held} == {webhook_id}
            assert len(held) == 3
            mention = x.fake.post_as(x.user(0), "@replybot to the webhook")
            wait_for(lambda: mention["id"] in sink.stored)
            sink.stored.clear()
            now = x.fake.clock.now()
            assert stream.replay(webhook_id, now - timedelta(minutes=5), now)
            wait_for(lambda: mention["id"] in sink.stored)
    assert x.fake.stream.connected() == 0


def test_in_webhook_mode_the_first_listen_of_a_process_asks_for_one_replay(x: Served) -> None:
    receiver = RecordingSink(x.fake.auth.consumer_secret)
    with SimServer(Starlette(routes=webhook_routes(receiver))) as server, x.client() as client:
        registered = client.post("/2/webhooks", json={"url": server.base_url + WEBHOOK_PATH})
        options = StreamOptions(
            by_webhook=True, webhook_id=registered.json()["data"]["id"], replay_minutes=30
        )
        with platform_for(x, stream=options) as platform:
            for _ in range(3):
                with pytest.raises(StreamUnavailable):
                    next(iter(platform.mention_stream().listen(None, threading.Event())))
    replays = x.fake.requests(method="POST", path="/2/webhooks/replay")
    assert len(replays) == 1
    assert replays[0].body["from_date"] == "202603020830"
