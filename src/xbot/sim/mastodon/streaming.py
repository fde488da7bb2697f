"""The fake Mastodon's streaming API over websocket, served beside mastodon-mock (ours).

mastodon-mock publishes every streaming event (a mention's notification, a new status) on its
in-process bus; `EventTap` copies each into our `StreamHub`, whose faults (drop, gap, pause,
duplicate, reorder, slow) a real stream also shows. `MastodonStreaming` answers the websocket
`GET /api/v1/streaming?stream=user:notification` (or `stream=user`) as Mastodon does
[MD methods/streaming.md]: the access token comes in the `access_token` query parameter, an
`Authorization: Bearer` header or `Sec-WebSocket-Protocol`; each message is
`{"stream": ["user:notification"], "event": "notification", "payload": "<JSON string>"}`.
The same streams are served as server-sent events (`GET /api/v1/streaming/user/notification`,
`text/event-stream`, `event: notification` / `data: <JSON>`), through the same hub and faults.
`GET /api/v1/streaming/health` and the instance's `urls.streaming_api` are mastodon-mock's own.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.types import Receive, Scope, Send
from starlette.websockets import WebSocket

from xbot.sim.core.streams import StreamHub

STREAMING_PATH = "/api/v1/streaming"
#: the streams a bot account may open (its own user stream, whole or notifications only)
USER_STREAMS = ("user", "user:notification")
#: the same streams as server-sent events: path -> stream
SSE_STREAMS = {f"{STREAMING_PATH}/user": "user",
               f"{STREAMING_PATH}/user/notification": "user:notification"}  # fmt: skip
#: resolves an access token to the mastodon-mock account id it acts for (None: invalid)
AccountOf = Callable[[str], Awaitable[str | None]]
#: how often an open stream lets the fake's traffic generator post what is due
TICK_SECONDS = 0.25


def stream_key(stream: str, account_id: str) -> str:
    """Return the hub key of one account's stream."""
    return f"{stream}|{account_id}"


def ws_message(stream: str, event: str, payload: Any) -> str:
    """Encode one event as Mastodon's websocket frame: `payload` is itself a JSON string."""
    data = payload if isinstance(payload, str) else json.dumps(payload, separators=(",", ":"))
    return json.dumps({"stream": [stream], "event": event, "payload": data})


class EventTap:
    """Copies every event mastodon-mock streams to a user into the hub, while a stream is open.

    mastodon-mock serializes an event only when its app has a bus, so the tap is attached while
    at least one stream is open: a fake nobody streams from posts as fast as before.
    """

    def __init__(self, mock_app: Any, hub: StreamHub) -> None:
        self._app = mock_app
        self._bus = _tap_bus(mock_app, hub)

    def attach(self) -> None:
        """Let mastodon-mock publish its events (to the hub)."""
        self._app.state.event_bus = self._bus

    def detach(self) -> None:
        """Stop mastodon-mock serializing events nobody hears."""
        self._app.state.event_bus = None


def _tap_bus(mock_app: Any, hub: StreamHub) -> Any:
    from mastodon_mock.streaming import EventBus  # noqa: PLC0415 - dev dependency, loaded on use

    class _Tap(EventBus):
        def publish(self, event: Any) -> None:
            super().publish(event)
            for channel in event.channels:
                if not channel.startswith("user:"):
                    continue
                account_id = channel.removeprefix("user:")
                text = ws_message("user", event.name, event.payload)
                hub.publish(stream_key("user", account_id), text)
                if event.name == "notification":
                    text = ws_message("user:notification", event.name, event.payload)
                    hub.publish(stream_key("user:notification", account_id), text)

    return _Tap(queue_maxsize=mock_app.state.config.streaming.queue_maxsize)


class MastodonStreaming:
    """ASGI app for the websocket scopes of the fake Mastodon."""

    def __init__(
        self, hub: StreamHub, account_of: AccountOf, tap: EventTap, tick: Callable[[], None]
    ) -> None:
        self.hub = hub
        self.account_of = account_of
        self.tap = tap
        #: runs the fake's traffic generator: mentions it schedules appear without a request
        self.tick = tick

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Open one account's stream, or refuse the upgrade with Mastodon's error."""
        websocket = WebSocket(scope, receive, send)
        if scope["path"].rstrip("/") != STREAMING_PATH:
            await _refuse(websocket, 404, "Not found")
            return
        stream = websocket.query_params.get("stream", "")
        if stream not in USER_STREAMS:
            await _refuse(websocket, 400, "Unknown stream type")
            return
        token, protocol = _token(websocket)
        account_id = await self.account_of(token) if token else None
        if account_id is None:
            await _refuse(websocket, 401, "Error: Invalid access token")
            return
        if not self.hub.accepting():
            await _refuse(websocket, 503, "Service Unavailable")
            return
        self.tap.attach()
        await websocket.accept(subprotocol=protocol)
        ticker = asyncio.create_task(self._ticking())
        try:
            await self.hub.serve(websocket, stream_key(stream, account_id))
        finally:
            ticker.cancel()
            if self.hub.connections() == 0:
                self.tap.detach()

    async def sse(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Serve `GET /api/v1/streaming/user[/notification]` as server-sent events.

        The same hub and faults as the websocket: each message becomes `event: <name>` and
        `data: <payload>`; a drop or gap ends the response, and a gap refuses new ones (503).
        """
        request = Request(scope, receive)
        stream = SSE_STREAMS[scope["path"].rstrip("/")]
        token = request.query_params.get("access_token") or _bearer(request.headers)
        account_id = await self.account_of(token) if token else None
        if account_id is None:
            await JSONResponse({"error": "Error: Invalid access token"}, 401)(scope, receive, send)
            return
        if not self.hub.accepting():
            await JSONResponse({"error": "Service Unavailable"}, 503)(scope, receive, send)
            return
        self.tap.attach()
        headers = [(b"content-type", b"text/event-stream"), (b"cache-control", b"no-store")]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": b":)\n\n", "more_body": True})

        async def event(text: str) -> None:
            body = sse_frame(text)
            await send({"type": "http.response.body", "body": body, "more_body": True})

        ticker = asyncio.create_task(self._ticking())
        try:
            await self.hub.serve_events(stream_key(stream, account_id), event,
                                        _until_http_disconnect(receive))  # fmt: skip
        finally:
            ticker.cancel()
            if self.hub.connections() == 0:
                self.tap.detach()
            with contextlib.suppress(Exception):
                await send({"type": "http.response.body", "body": b"", "more_body": False})

    async def _ticking(self) -> None:
        while True:
            await asyncio.sleep(TICK_SECONDS)
            with contextlib.suppress(Exception):  # a failed post is the generator's business
                await asyncio.to_thread(self.tick)


def sse_frame(text: str) -> bytes:
    """Turn one websocket frame of the hub into Mastodon's server-sent event."""
    message = json.loads(text)
    payload = message["payload"]
    data = payload if isinstance(payload, str) else json.dumps(payload, separators=(",", ":"))
    return f"event: {message['event']}\ndata: {data}\n\n".encode()


def _bearer(headers: Any) -> str:
    header = headers.get("authorization", "")
    return header.removeprefix("Bearer ").strip() if header.startswith("Bearer ") else ""


async def _until_http_disconnect(receive: Receive) -> None:
    while (await receive())["type"] != "http.disconnect":
        pass


def _token(websocket: WebSocket) -> tuple[str, str | None]:
    """Return the access token and, when it came as the subprotocol, the protocol to echo."""
    if query := websocket.query_params.get("access_token"):
        return query, None
    header = websocket.headers.get("authorization", "")
    if header.startswith("Bearer "):
        return header.removeprefix("Bearer ").strip(), None
    protocol = websocket.headers.get("sec-websocket-protocol", "").strip()
    return protocol, protocol or None


async def _refuse(websocket: WebSocket, status: int, message: str) -> None:
    await websocket.send_denial_response(JSONResponse({"error": message}, status_code=status))
