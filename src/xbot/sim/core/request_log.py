"""The request log of a fake: what clients really sent, so tests can count it."""

from __future__ import annotations

import json
import threading
import time
from dataclasses import asdict, dataclass
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from xbot.sim.core.clock import SimClock
from xbot.sim.core.faults import ConnectionDropped

#: request bodies longer than this are not kept
MAX_LOGGED_BODY = 4096


@dataclass(frozen=True, kw_only=True, slots=True)
class LoggedRequest:
    """One request a fake received, and how it ended."""

    method: str
    path: str
    query: str
    #: the response status, or None when the connection was dropped
    status: int | None
    fault: str | None
    at: str
    duration_ms: int
    #: the JSON body of the request, when it was JSON (never form bodies: they hold tokens)
    body: Any = None


class RequestLog:
    """Thread-safe list of requests, oldest first."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._entries: list[LoggedRequest] = []

    def add(self, entry: LoggedRequest) -> None:
        """Record one request."""
        with self._lock:
            self._entries.append(entry)

    def entries(self, *, method: str | None = None, path: str | None = None) -> list[LoggedRequest]:
        """Return the recorded requests, optionally filtered by method and exact path."""
        with self._lock:
            found = list(self._entries)
        return [
            entry
            for entry in found
            if (method is None or entry.method == method.upper())
            and (path is None or entry.path == path)
        ]

    def as_dicts(self, **filters: str | None) -> list[dict[str, Any]]:
        """Return the entries as JSON-ready data."""
        return [asdict(entry) for entry in self.entries(**filters)]

    def clear(self) -> None:
        """Forget every request."""
        with self._lock:
            self._entries.clear()


class RequestLogMiddleware:
    """Records every request outside the admin prefix, including dropped ones."""

    def __init__(self, app: ASGIApp, *, log: RequestLog, clock: SimClock, skip_prefix: str) -> None:
        self.app = app
        self.log = log
        self.clock = clock
        self.skip_prefix = skip_prefix

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Pass the request on and record its outcome."""
        if scope["type"] != "http" or scope["path"].startswith(self.skip_prefix):
            await self.app(scope, receive, send)
            return
        chunks: list[bytes] = []
        status: list[int] = []
        started = time.monotonic()
        at = self.clock.now().isoformat()

        async def logged_receive() -> Message:
            message = await receive()
            if message["type"] == "http.request":
                chunks.append(message.get("body", b""))
            return message

        async def logged_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                status.append(message["status"])
            await send(message)

        try:
            await self.app(scope, logged_receive, logged_send)
        except ConnectionDropped:
            status.clear()
            raise
        finally:
            self.log.add(
                LoggedRequest(
                    method=scope["method"],
                    path=scope["path"],
                    query=scope.get("query_string", b"").decode("latin-1"),
                    status=status[0] if status else None,
                    fault=scope.get("state", {}).get("sim_fault"),
                    at=at,
                    duration_ms=int((time.monotonic() - started) * 1000),
                    body=_json_body(scope, b"".join(chunks)),
                )
            )


def _json_body(scope: Scope, body: bytes) -> Any:
    headers = dict(scope.get("headers", []))
    if b"json" not in headers.get(b"content-type", b"") or len(body) > MAX_LOGGED_BODY:
        return None
    try:
        return json.loads(body)
    except ValueError:
        return None
