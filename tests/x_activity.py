"""Helpers for X Activity API tests: the fake X on loopback, a stream reader, a webhook app."""

from __future__ import annotations

import json
import queue
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx2
from pydantic import SecretStr
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from xbot.config import AccountSettings
from xbot.platforms.x import HttpOptions, OAuth1Credentials, XPlatform, build_x_platform
from xbot.platforms.x.stream import StreamOptions
from xbot.sim.core.clock import SimClock
from xbot.sim.core.server import SimServer
from xbot.sim.core.world import build_world
from xbot.sim.x.fake import FakeX
from xbot.sim.x.settings import XFakeSettings
from xbot.sim.x.webhooks import signature

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
EVENTS = ("post.mention.create", "post.reply.create", "post.quote.create")


def make_fake(**settings: Any) -> FakeX:
    """A fake X with a frozen clock and short keep-alives."""
    options = {"search_delay_seconds": 0.0, "stream_keepalive_seconds": 0.2, **settings}
    return FakeX(
        build_world(11), clock=SimClock(start=START, speed=0), settings=XFakeSettings(**options)
    )


@dataclass
class Served:
    fake: FakeX
    server: SimServer

    @property
    def base_url(self) -> str:
        return self.server.base_url

    def client(self, token: str | None = None) -> httpx2.Client:
        token = token or self.fake.credentials()["oauth2_access_token"]
        return httpx2.Client(
            base_url=self.base_url, headers={"Authorization": f"Bearer {token}"}, timeout=5
        )

    def subscribe(self, event_type: str = "post.mention.create", **extra: Any) -> dict[str, Any]:
        body = {"event_type": event_type, "filter": {"user_id": self.fake.bot().user_id}, **extra}
        with self.client() as client:
            answer = client.post("/2/activity/subscriptions", json=body)
        assert answer.status_code == 200, answer.text
        return answer.json()["data"]

    def user(self, index: int = 0) -> str:
        return [u.handle for u in self.fake.world.users if not u.automated][index]


@contextmanager
def served_fake(**settings: Any) -> Iterator[Served]:
    fake = make_fake(**settings)
    with SimServer(fake.app) as server:
        try:
            yield Served(fake=fake, server=server)
        finally:
            fake.stream.drop()  # open streams would hold up the server's stop
            for _ in range(100):
                if not fake.stream.connected():
                    break
                time.sleep(0.01)


class RawStream:
    """Reads `GET /2/activity/stream` line by line in a thread (keep-alives included)."""

    def __init__(self, served: Served) -> None:
        self.lines: queue.Queue[bytes | BaseException | None] = queue.Queue()
        self._served = served
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()

    def _read(self) -> None:
        try:
            with (
                self._served.client() as client,
                client.stream("GET", "/2/activity/stream") as answer,
            ):
                for line in answer.iter_lines():
                    self.lines.put(line.encode())
            self.lines.put(None)
        except httpx2.HTTPError as exc:
            self.lines.put(exc)

    def wait_connected(self) -> None:
        for _ in range(200):
            if self._served.fake.stream.connected():
                return
            threading.Event().wait(0.01)
        raise AssertionError("the stream did not connect")

    def events(self, count: int, timeout: float = 10.0) -> list[dict[str, Any]]:
        """The next `count` events (keep-alives skipped)."""
        found: list[dict[str, Any]] = []
        while len(found) < count:
            item = self.lines.get(timeout=timeout)
            if isinstance(item, BaseException) or item is None:
                raise AssertionError(f"the stream ended after {len(found)} events: {item!r}")
            if item.strip():
                found.append(json.loads(item)["data"])
        return found

    def end(self, timeout: float = 10.0) -> bytes | BaseException | None:
        """Wait for the stream to end; return its last item (an error, None, or an error line)."""
        while True:
            item = self.lines.get(timeout=timeout)
            if item is None or isinstance(item, BaseException) or b"errors" in item:
                return item

    def quiet(self, seconds: float = 0.4) -> list[bytes]:
        """Lines (other than keep-alives) that arrive within `seconds`."""
        found = []
        deadline = time.monotonic() + seconds
        while (left := deadline - time.monotonic()) > 0:
            try:
                item = self.lines.get(timeout=left)
            except queue.Empty:
                break
            if isinstance(item, bytes) and item.strip():
                found.append(item)
        return found


@dataclass
class WebhookReceiver:
    """A webhook app: answers CRC with `secret`, records every POST (body, signature header)."""

    secret: str
    posts: list[tuple[bytes, str | None]] = field(default_factory=list)
    arrived: threading.Event = field(default_factory=threading.Event)

    def app(self) -> Starlette:
        async def crc(request: Request) -> Response:
            token = request.query_params["crc_token"]
            return JSONResponse({"response_token": signature(self.secret, token.encode())})

        async def post(request: Request) -> Response:
            self.posts.append(
                (await request.body(), request.headers.get("x-twitter-webhooks-signature"))
            )
            self.arrived.set()
            return Response(status_code=200)

        return Starlette(
            routes=[Route("/hook", crc, methods=["GET"]), Route("/hook", post, methods=["POST"])]
        )

    def wait(self, count: int, timeout: float = 10.0) -> list[tuple[bytes, str | None]]:
        deadline = threading.Event()
        for _ in range(int(timeout / 0.02)):
            if len(self.posts) >= count:
                return self.posts
            deadline.wait(0.02)
        raise AssertionError(f"{len(self.posts)} webhook posts, expected {count}")


CREDENTIAL_NAMES = ("consumer_key", "consumer_secret", "access_token", "access_token_secret")


@contextmanager
def platform_for(x: Served, stream: StreamOptions | None = None) -> Iterator[XPlatform]:
    """The X adapter for the fake's bot, over loopback, with OAuth 1.0a credentials."""
    raw = x.fake.credentials()
    credentials = OAuth1Credentials(**{name: SecretStr(raw[name]) for name in CREDENTIAL_NAMES})
    platform = build_x_platform(
        AccountSettings(platform="x", handle="replybot", base_url=x.base_url),
        credentials,
        http=HttpOptions(read_timeout=5),
        now=x.fake.clock.now,
        stream=stream,
    )
    try:
        yield platform
    finally:
        platform.close()
