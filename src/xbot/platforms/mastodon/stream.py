"""Mastodon's streaming API for one account: mention notifications pushed over a websocket.

`GET /api/v1/streaming?stream=user:notification` on the instance's streaming host (the
`configuration.urls.streaming` of `/api/v2/instance`; often the instance itself), with the token
in an `Authorization: Bearer` header (never in the URL, so it stays out of proxies' logs). Each
message is `{"stream": [...], "event": "notification", "payload": "<JSON Notification>"}`
[platform-facts §5.5]; a mention is read with the same `post_from` as the notifications poll, so
the same post has the same id and fields whichever way it arrives, and `mark` asks the
relationships about its author as the poll does (a block or the account's mute opts them out).

With `transport = "sse"` the same stream comes as server-sent events
(`GET /api/v1/streaming/user/notification`, xbot.platforms.mastodon.stream_sse).

Mastodon keeps no position for a stream: a reconnect starts from now, and the supervisor's
backfill (the notifications poll) recovers whatever was published while the connection was down.
The cursor is the id of the newest notification the stream delivered (stored only once its
mention is committed), so the backfill reads `since_id` = that id or the poll's watermark,
whichever is newer (`backfill_since`): not the pages the stream already delivered.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any, Literal
from urllib.parse import urlsplit, urlunsplit

from pydantic import SecretStr
from websockets.exceptions import ConnectionClosed, InvalidStatus, WebSocketException
from websockets.sync.client import ClientConnection, connect

from xbot.domain.errors import AuthFailed, PlatformError
from xbot.domain.intake import StreamDisconnected, StreamItem, StreamUnavailable
from xbot.domain.posts import Post
from xbot.platforms.mastodon.statuses import MalformedError, Me, newest_id, post_from
from xbot.platforms.mastodon.stream_sse import SseConnection
from xbot.platforms.mastodon.watermark import Watermark

STREAM_NAME = "mastodon_user"
STREAM_PATH = "/api/v1/streaming"
#: answers to the upgrade that mean this account or instance has no stream (fall back to polling)
_NO_STREAM = {
    401: "the access token was refused",
    403: "the access token may not stream",
    404: "the instance serves no streaming API",
    410: "the streaming API is gone",
}


@dataclass(frozen=True, kw_only=True, slots=True)
class StreamOptions:
    """Timeouts of the streaming connection."""

    connect_timeout: float = 10.0
    #: how long one read waits before `listen` yields a keep-alive and looks at `stop` again
    idle_seconds: float = 1.0
    #: websocket pings, so a dead connection is noticed even when nothing is published
    ping_interval: float = 20.0
    ping_timeout: float = 20.0
    max_message_bytes: int = 2_000_000
    user_agent: str = "xbot/0.1 (+https://github.com/xbot)"
    #: "websocket", or "sse": the same stream as server-sent events (xbot.platforms.mastodon.
    #: stream_sse), where a proxy passes plain HTTP streams but not websockets
    transport: Literal["websocket", "sse"] = "websocket"
    #: server-sent events: no byte (not even a heartbeat) for this long ends the stream
    sse_read_timeout: float = 60.0


class MastodonUserStream:
    """The account's `user:notification` stream as a MentionStream (name "mastodon_user")."""

    name = STREAM_NAME

    def __init__(  # noqa: PLR0913 - where to connect, who we are; the rest is optional
        self,
        *,
        streaming_url: Callable[[], str],
        token: SecretStr,
        me: Callable[[], Me],
        options: StreamOptions | None = None,
        now: Callable[[], datetime] | None = None,
        mark: Callable[[Post], Post] | None = None,
    ) -> None:
        self._streaming_url = streaming_url
        self._mark = mark
        self._token = token
        self._me = me
        self.options = options or StreamOptions()
        self._now = now or (lambda: datetime.now(UTC))
        self._lock = threading.Lock()
        self._connection: ClientConnection | None = None
        self._events: SseConnection | None = None
        self._url: str | None = None

    def listen(self, cursor: str | None, stop: threading.Event) -> Iterator[StreamItem]:
        """Connect, yield one keep-alive once connected, then items until `stop` is set.

        `cursor` is ignored: Mastodon cannot resume a stream (the backfill fills the gap).
        """
        del cursor
        me, url = self._prepare()
        if self.options.transport == "sse":
            yield from self._listen_sse(me, url, stop)
            return
        with self._connect(url) as connection:
            try:
                yield StreamItem(post=None, cursor=None, received_at=self._now())
                while not stop.is_set():
                    yield self._next(connection, me)
            finally:
                self._forget(connection)

    def backfill_since(self, cursor: str | None, watermark: str | None) -> str | None:
        """Return the poll's watermark with its notifications moved up to `cursor`, when newer.

        None when the cursor is unknown or not newer: the backfill reads from the watermark.
        """
        if not cursor:
            return None
        mark = Watermark.parse(watermark)
        newest = newest_id([mark.notifications, cursor])
        if newest == mark.notifications:
            return None
        return replace(mark, notifications=newest).dump()

    def close(self) -> None:
        """Close the open connection, if any (a `listen` in another thread then ends)."""
        with self._lock:
            connection, self._connection = self._connection, None
            events, self._events = self._events, None
        if connection is not None:
            connection.close()
        if events is not None:
            events.close()

    def _listen_sse(self, me: Me, url: str, stop: threading.Event) -> Iterator[StreamItem]:
        """Yield the same items from server-sent events (`event: notification`, `data:`)."""
        options = self.options
        events = SseConnection(url, self._token, connect_timeout=options.connect_timeout,
                               read_timeout=options.sse_read_timeout,
                               user_agent=options.user_agent, refusals=_NO_STREAM)  # fmt: skip
        with self._lock:
            self._events = events
        try:
            yield StreamItem(post=None, cursor=None, received_at=self._now())
            while not stop.is_set():
                received = events.recv(options.idle_seconds)
                if received is None:
                    yield StreamItem(post=None, cursor=None, received_at=self._now())
                    continue
                try:
                    item = event_item(*received, me, received_at=self._now())
                except MalformedError as exc:
                    raise StreamDisconnected(
                        f"Mastodon's stream sent an unreadable event: {exc}"
                    ) from None
                yield self._marked(item)
        finally:
            with self._lock:
                if self._events is events:
                    self._events = None
            events.close()

    # --- helpers ---

    def _prepare(self) -> tuple[Me, str]:
        try:
            if self._url is None:  # asked once per stream: reconnects cost no extra call
                self._url = self._streaming_url()
            return self._me(), self._url
        except AuthFailed as exc:
            raise StreamUnavailable(f"Mastodon streaming: {exc}") from None
        except PlatformError as exc:
            raise StreamDisconnected(f"Mastodon streaming could not start: {exc}") from None

    def _connect(self, url: str) -> ClientConnection:
        options = self.options
        target = f"{url}{STREAM_PATH}?stream=user:notification"
        try:
            connection = connect(
                target,
                additional_headers={"Authorization": f"Bearer {self._token.get_secret_value()}"},
                user_agent_header=options.user_agent, open_timeout=options.connect_timeout,
                ping_interval=options.ping_interval, ping_timeout=options.ping_timeout,
                close_timeout=1.0, max_size=options.max_message_bytes,
            )  # fmt: skip
        except InvalidStatus as exc:
            status = exc.response.status_code
            if status in _NO_STREAM:
                raise StreamUnavailable(
                    f"Mastodon refused the stream ({status}: {_NO_STREAM[status]}); polling instead"
                ) from None
            raise StreamDisconnected(f"Mastodon's streaming API answered {status}") from None
        except (OSError, TimeoutError, WebSocketException) as exc:
            reason = type(exc).__name__
            raise StreamDisconnected(f"cannot reach Mastodon's streaming API: {reason}") from None
        with self._lock:
            self._connection = connection
        return connection

    def _next(self, connection: ClientConnection, me: Me) -> StreamItem:
        try:
            raw = connection.recv(timeout=self.options.idle_seconds)
        except TimeoutError:
            return StreamItem(post=None, cursor=None, received_at=self._now())
        except ConnectionClosed as exc:
            code = exc.rcvd.code if exc.rcvd is not None else 1006
            raise StreamDisconnected(f"Mastodon closed the stream (code {code})") from None
        try:
            item = item_from(raw, me, received_at=self._now())
        except MalformedError as exc:
            # reconnecting runs the backfill, which reads the mention the stream garbled
            raise StreamDisconnected(
                f"Mastodon's stream sent an unreadable message: {exc}"
            ) from None
        return self._marked(item)

    def _marked(self, item: StreamItem) -> StreamItem:
        if item.post is None or self._mark is None:
            return item
        try:
            return replace(item, post=self._mark(item.post))
        except PlatformError as exc:
            # never admit a mention unchecked: the backfill's poll reads it with its lookup
            raise StreamDisconnected(
                f"Mastodon's relationships lookup failed: {exc}; backfilling instead"
            ) from None

    def _forget(self, connection: ClientConnection) -> None:
        with self._lock:
            if self._connection is connection:
                self._connection = None
        connection.close()


def item_from(raw: str | bytes, me: Me, *, received_at: datetime) -> StreamItem:
    """Read one streaming message: a mention of the account becomes its post, anything else None.

    Raise MalformedError when the message does not have Mastodon's shape.
    """
    message = _object(raw, "message")
    return event_item(message.get("event"), message.get("payload"), me, received_at=received_at)


def event_item(event: object, payload: object, me: Me, *, received_at: datetime) -> StreamItem:
    """Read one event (its name and payload, a JSON string or object) as `item_from` does."""
    if event != "notification":
        return StreamItem(post=None, cursor=None, received_at=received_at)
    notification = _object(payload, "payload") if isinstance(payload, str | bytes) else payload
    if not isinstance(notification, dict):
        raise MalformedError("a notification is not an object")
    cursor = notification.get("id")
    cursor = cursor if isinstance(cursor, str) and cursor else None
    if notification.get("type") != "mention" or notification.get("status") is None:
        return StreamItem(post=None, cursor=cursor, received_at=received_at)
    post = post_from(notification["status"], me, summoned=True)
    own = post.author_id == me.account_id
    return StreamItem(post=None if own else post, cursor=cursor, received_at=received_at)


def streaming_base(advertised: object, base_url: str) -> str:
    """Return the websocket origin to stream from: the instance's advertised one, else its own.

    An `https` instance never streams over plain `ws` (the token would travel in clear).
    """
    base = urlsplit(base_url)
    secure = base.scheme == "https"
    fallback = urlunsplit(("wss" if secure else "ws", base.netloc, base.path.rstrip("/"), "", ""))
    if not isinstance(advertised, str) or not advertised:
        return fallback
    parts = urlsplit(advertised)
    scheme = {"https": "wss", "http": "ws"}.get(parts.scheme, parts.scheme)
    if scheme not in {"ws", "wss"} or not parts.netloc or (secure and scheme != "wss"):
        return fallback
    return urlunsplit((scheme, parts.netloc, parts.path.rstrip("/"), "", ""))


def _object(raw: Any, what: str) -> dict[str, Any]:
    try:
        parsed = json.loads(raw)
    except (TypeError, ValueError):
        raise MalformedError(f"the {what} is not JSON") from None
    if not isinstance(parsed, dict):
        raise MalformedError(f"the {what} is not an object")
    return parsed
