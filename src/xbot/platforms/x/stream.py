"""X's Activity API as the account's MentionStream "x_activity": subscriptions and the stream.

`ensure_subscriptions()` makes sure the app holds `post.mention.create`, `post.reply.create` and
`post.quote.create` for the account (`GET`, then `POST /2/activity/subscriptions` for what is
missing; a 409 means another worker just made it). `listen()` opens `GET /2/activity/stream`
(newline-delimited JSON, a keep-alive newline every 20 s) and yields each event that summons the
account as a Post read exactly like the mentions poll reads it (`xbot.platforms.x.events`).

A reader thread pulls lines off the socket so `listen()` can look at `stop` every quarter second
even while X is silent. X keeps no position for a consumer: events sent while disconnected are
gone, and the supervisor's backfill (the mentions poll) finds them. The cursor is the newest post
id delivered so far. An access without the Activity API answers 403: `StreamUnavailable`.
"""

from __future__ import annotations

import contextlib
import queue
import socket
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import httpx2

from xbot.domain.errors import XbotError
from xbot.domain.intake import StreamDisconnected, StreamItem, StreamUnavailable
from xbot.domain.meter import Meter
from xbot.domain.posts import Post
from xbot.domain.rate_card import EndpointClass
from xbot.platforms.http import excerpt
from xbot.platforms.x.errors import status_error
from xbot.platforms.x.events import POST_EVENTS, StreamProblem, parse_event
from xbot.platforms.x.posts import MalformedError, Me
from xbot.platforms.x.wire import Wire

SUBSCRIPTIONS_PATH = "/2/activity/subscriptions"
STREAM_PATH = "/2/activity/stream"
#: X's replay window bounds: UTC minutes, yyyymmddhhmm
REPLAY_MINUTE = "%Y%m%d%H%M"


@dataclass(frozen=True, kw_only=True, slots=True)
class StreamOptions:
    """How the stream is read."""

    #: give up on a connection that sends nothing, not even a keep-alive, for this long
    stall_seconds: float = 60.0
    #: how often `listen()` looks at its stop event
    poll_seconds: float = 0.25
    #: the largest line accepted (an event is a few kilobytes)
    max_line_bytes: int = 1_000_000
    #: X delivers to the web role's /webhooks/x instead ([x_webhooks] enabled): no stream here
    by_webhook: bool = False
    #: the registered webhook new subscriptions deliver to ([x_webhooks] webhook_id; empty: none)
    webhook_id: str = ""
    #: in webhook mode, the first listen of a process asks X to re-deliver this many minutes
    replay_minutes: int = 0
    #: why this adapter has no stream at all (empty: it has one)
    unavailable: str = ""


class _End:
    """The server closed the stream."""


_END = _End()


class XActivityStream:
    """One account's Activity API stream (implements xbot.domain.intake.MentionStream)."""

    name = "x_activity"

    def __init__(  # noqa: PLR0913 - the adapter's parts it shares
        self,
        *,
        wire: Wire,
        whoami: Callable[[], Me],
        now: Callable[[], datetime],
        meter: Meter,
        options: StreamOptions | None = None,
        replayed: threading.Event | None = None,
    ) -> None:
        self._wire = wire
        self._whoami = whoami
        self._now = now
        self._meter = meter
        self.options = options or StreamOptions()
        self._reader: _Reader | None = None
        self._closing = threading.Event()
        #: set once this process asked X for a replay (shared by the account's streams)
        self._replayed = replayed or threading.Event()

    def ensure_subscriptions(self) -> None:
        """Subscribe the account to the three post events it lacks (idempotent)."""
        me = self._me()
        listed = self._call("GET /2/activity/subscriptions", SUBSCRIPTIONS_PATH).get("data")
        held = {
            (str(s.get("event_type")), str((s.get("filter") or {}).get("user_id")))
            for s in (listed if isinstance(listed, list) else [])
            if isinstance(s, dict)
        }
        for event_type in POST_EVENTS:
            if (event_type, me.user_id) not in held:
                body: dict[str, object] = {
                    "event_type": event_type,
                    "filter": {"user_id": me.user_id},
                }
                if self.options.webhook_id:
                    body["webhook_id"] = self.options.webhook_id
                self._call("POST /2/activity/subscriptions", SUBSCRIPTIONS_PATH, json=body)

    def replay(self, webhook_id: str, start: datetime, end: datetime) -> str:
        """Ask X to re-deliver the webhook's events of [start, end] (whole minutes); the job id."""
        body = {
            "webhook_id": webhook_id,
            "from_date": start.astimezone(UTC).strftime(REPLAY_MINUTE),
            "to_date": end.astimezone(UTC).strftime(REPLAY_MINUTE),
        }
        answer = self._call("POST /2/webhooks/replay", "/2/webhooks/replay", json=body)
        return str(answer.get("job_id", ""))

    def listen(self, cursor: str | None, stop: threading.Event) -> Iterator[StreamItem]:
        """Yield what the stream delivers until `stop` is set (see the module docstring)."""
        if self.options.by_webhook:
            self.ensure_subscriptions()
            self._replay_after_downtime()
            raise StreamUnavailable(
                "X events arrive by webhook at /webhooks/x on the web role ([x_webhooks] enabled)"
            )
        self._closing.clear()
        self.ensure_subscriptions()
        me = self._me()
        reader = _Reader(self._connect(), max_line_bytes=self.options.max_line_bytes)
        self._reader = reader
        newest = int(cursor) if cursor and cursor.isdigit() else 0
        try:
            # connected: the first item lets the supervisor backfill now, not at X's first line
            yield StreamItem(post=None, cursor=None, received_at=self._now())
            while not (stop.is_set() or self._closing.is_set()):
                try:
                    line = reader.lines.get(timeout=self.options.poll_seconds)
                except queue.Empty:
                    continue
                if isinstance(line, _End):
                    raise StreamDisconnected("X closed the activity stream")
                if isinstance(line, BaseException):
                    raise StreamDisconnected(f"the activity stream broke: {_reason(line)}")
                post = self._post(line, me)
                now = self._now()
                if post is None:
                    yield StreamItem(post=None, cursor=None, received_at=now)
                    continue
                self._meter.read(EndpointClass.POST_READ, [post.post_id], now)
                newest = max(newest, int(post.post_id))
                yield StreamItem(post=post, cursor=str(newest), received_at=now)
        finally:
            reader.close()
            self._reader = None

    def close(self) -> None:
        """End the running `listen()` and close its connection."""
        self._closing.set()
        if self._reader is not None:
            self._reader.close()

    # --- helpers ---

    def _replay_after_downtime(self) -> None:
        """Once a process: X re-delivers the last `replay_minutes` to the webhook."""
        minutes = self.options.replay_minutes
        if not (self.options.webhook_id and minutes) or self._replayed.is_set():
            return
        now = self._now()
        self.replay(self.options.webhook_id, now - timedelta(minutes=minutes), now)
        self._replayed.set()

    def _me(self) -> Me:
        try:
            return self._whoami()
        except XbotError as exc:
            raise StreamDisconnected(f"X users/me failed: {exc}") from exc

    def _post(self, line: bytes, me: Me) -> Post | None:
        try:
            event = parse_event(line, me)
        except StreamProblem as exc:
            raise StreamDisconnected(f"X ended the activity stream: {exc}") from None
        except MalformedError:
            return None  # one unreadable event must not stop intake; the backfill finds its post
        return None if event is None else event.post

    def _call(self, endpoint: str, path: str, *, json: object = None) -> dict[str, object]:
        try:
            exchange = self._wire.exchange(endpoint, path, json=json)
        except XbotError as exc:
            raise StreamDisconnected(f"{endpoint} failed: {exc}") from exc
        if exchange.status == 403:  # X: "your access has no such product"
            raise StreamUnavailable(_unavailable(exchange.body, self._wire.secrets()))
        if exchange.status == 409 and endpoint.startswith("POST"):
            return {}  # another worker subscribed first
        if not 200 <= exchange.status < 300:
            error = status_error(
                exchange.status, exchange.body, exchange.headers,
                endpoint=endpoint, write=False, secrets=self._wire.secrets(),
            )  # fmt: skip
            raise StreamDisconnected(f"{endpoint} failed: {error}")
        try:
            body = exchange.json()
        except ValueError:
            body = None
        return body if isinstance(body, dict) else {}

    def _connect(self) -> httpx2.Response:
        """Open the stream (refreshing an OAuth 2 token once after a 401)."""
        response = self._open()
        if response.status_code == 401 and self._wire.authorizer.can_refresh():
            response.close()
            self._wire.authorizer.refresh()
            response = self._open()
        if response.status_code == 200:
            return response
        try:
            body = response.read()[:2000]
        except httpx2.HTTPError:
            body = b""
        finally:
            response.close()
        if response.status_code == 403:
            raise StreamUnavailable(_unavailable(body, self._wire.secrets()))
        error = status_error(
            response.status_code, body, {k.lower(): v for k, v in response.headers.items()},
            endpoint="GET /2/activity/stream", write=False, secrets=self._wire.secrets(),
        )  # fmt: skip
        raise StreamDisconnected(f"GET /2/activity/stream failed: {error}")

    def _open(self) -> httpx2.Response:
        http = self._wire.http
        timeout = http.timeout
        request = http.build_request(
            "GET", STREAM_PATH,
            timeout=httpx2.Timeout(
                connect=timeout.connect, read=self.options.stall_seconds,
                write=timeout.write, pool=timeout.pool,
            ),
        )  # fmt: skip
        self._wire.authorizer.authorize(request)
        try:
            return http.send(request, stream=True)
        except httpx2.HTTPError as exc:
            raise StreamDisconnected(f"cannot open the activity stream: {_reason(exc)}") from exc


class _Reader:
    """Moves lines from an open stream to a queue, in a daemon thread."""

    def __init__(self, response: httpx2.Response, *, max_line_bytes: int) -> None:
        self.lines: queue.Queue[bytes | BaseException | _End] = queue.Queue()
        self._response = response
        self._max = max_line_bytes
        self._closed = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True, name="x-activity-reader")
        self._thread.start()

    def _run(self) -> None:
        try:
            for line in self._response.iter_lines():
                if self._closed.is_set():
                    return
                if len(line) > self._max:
                    self.lines.put(MalformedError(f"a stream line of {len(line)} characters"))
                    return
                self.lines.put(line.encode())
            self.lines.put(_END)
        except (httpx2.HTTPError, OSError) as exc:
            if not self._closed.is_set():
                self.lines.put(exc)
        finally:
            self._response.close()

    def close(self) -> None:
        """Stop reading: shut the socket down so a blocked read returns at once."""
        if self._closed.is_set():
            return
        self._closed.set()
        stream = self._response.extensions.get("network_stream")
        sock = stream.get_extra_info("socket") if stream is not None else None
        if isinstance(sock, socket.socket):
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
        self._thread.join(timeout=1.0)


def _unavailable(body: bytes, secrets: list[str]) -> str:
    return (
        "this X access has no Activity API (403 "
        f"{excerpt(body, secrets)}); intake polls the mentions instead"
    )


def _reason(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"[:200]
