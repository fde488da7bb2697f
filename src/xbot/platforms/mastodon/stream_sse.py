"""Mastodon's streaming API as server-sent events (`intake.mastodon_transport = "sse"`).

`GET /api/v1/streaming/user/notification` with `Accept: text/event-stream` and the token in an
`Authorization: Bearer` header [platform-facts §5.5]: each event is `event: notification` and
`data: <JSON Notification>`, separated by a blank line; lines starting with `:` are comments
(Mastodon's heartbeat, `:thump`). For instances or proxies that pass plain HTTP streams but not
websockets. A thread reads the response into a queue, so the consumer can wait with a timeout
and look at its stop signal; no byte for `read_timeout` seconds ends the stream.
"""

from __future__ import annotations

import contextlib
import queue
import socket
import threading
from collections.abc import Iterable, Iterator

import httpx2
from pydantic import SecretStr

from xbot.domain.intake import StreamDisconnected, StreamUnavailable

SSE_PATH = "/api/v1/streaming/user/notification"
#: what the reader thread puts in the queue when the response ends
_END = object()


def sse_events(lines: Iterable[str]) -> Iterator[tuple[str, str]]:
    """Return the (event, data) of each event in text/event-stream lines; comments skipped."""
    event, data = "message", list[str]()
    for line in lines:
        if not line:
            if data:
                yield event, "\n".join(data)
            event, data = "message", list[str]()
            continue
        if line.startswith(":"):
            continue
        name, _, value = line.partition(":")
        value = value.removeprefix(" ")
        if name == "event":
            event = value
        elif name == "data":
            data.append(value)


def http_origin(websocket_origin: str) -> str:
    """Return the http(s) origin of a ws(s) streaming origin (the same host serves both)."""
    for scheme, http in (("wss://", "https://"), ("ws://", "http://")):
        if websocket_origin.startswith(scheme):
            return http + websocket_origin.removeprefix(scheme)
    return websocket_origin


class SseConnection:
    """One open event stream of the account's notifications."""

    def __init__(  # noqa: PLR0913 - where, who, and the connection's limits
        self,
        origin: str,
        token: SecretStr,
        *,
        connect_timeout: float,
        read_timeout: float,
        user_agent: str,
        refusals: dict[int, str],
    ) -> None:
        timeout = httpx2.Timeout(connect_timeout, read=read_timeout)
        self._client = httpx2.Client(timeout=timeout, follow_redirects=False)
        headers = {"Authorization": f"Bearer {token.get_secret_value()}",
                   "Accept": "text/event-stream", "User-Agent": user_agent}  # fmt: skip
        request = self._client.build_request("GET", f"{http_origin(origin)}{SSE_PATH}",
                                             headers=headers)  # fmt: skip
        try:
            self._response = self._client.send(request, stream=True)
        except httpx2.HTTPError as exc:
            self._client.close()
            reason = type(exc).__name__
            raise StreamDisconnected(f"cannot reach Mastodon's streaming API: {reason}") from None
        status = self._response.status_code
        if status != httpx2.codes.OK:
            self.close()
            if status in refusals:
                raise StreamUnavailable(
                    f"Mastodon refused the stream ({status}: {refusals[status]}); polling instead"
                )
            raise StreamDisconnected(f"Mastodon's streaming API answered {status}")
        self._events: queue.Queue[object] = queue.Queue()
        self._reader = threading.Thread(target=self._read, daemon=True, name="mastodon-sse")
        self._reader.start()

    def recv(self, timeout: float) -> tuple[str, str] | None:
        """Return the next (event, data), or None when none came within `timeout` seconds."""
        try:
            item = self._events.get(timeout=timeout)
        except queue.Empty:
            return None
        if item is _END:
            raise StreamDisconnected("Mastodon closed the event stream")
        if isinstance(item, Exception):
            raise StreamDisconnected(f"Mastodon's event stream failed: {type(item).__name__}")
        assert isinstance(item, tuple)  # noqa: S101 - the reader puts only these three
        return item

    def close(self) -> None:
        """Close the connection: its socket first, so the reader thread's blocked read ends."""
        network = self._response.extensions.get("network_stream")
        sock = network.get_extra_info("socket") if network is not None else None
        if sock is not None:  # a close alone does not wake a recv blocked in another thread
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
        self._response.close()
        self._client.close()

    def _read(self) -> None:
        try:
            for item in sse_events(self._response.iter_lines()):
                self._events.put(item)
        except (httpx2.HTTPError, OSError, RuntimeError) as exc:
            self._events.put(exc)
            return
        self._events.put(_END)
