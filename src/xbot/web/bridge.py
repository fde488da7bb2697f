"""Answer console requests from the health listener's worker threads by running the ASGI app.

The listener binds before anything heavy is imported and keeps answering /health and /ready
itself (health.py); once the service has booted, the console is mounted here and every path
under its prefixes is handed to it. The app runs on one event loop thread of its own; a
listener worker builds the ASGI scope from the request it read, waits for the answer and
writes it (HTTP/1.0, one request per connection, as the listener does for /health).
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import unquote

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
AsgiApp = Callable[
    [Scope, Callable[[], Awaitable[Message]], Callable[[Message], Awaitable[None]]],
    Awaitable[None],
]

#: the largest request body the console reads (a login or action form)
MAX_BODY_BYTES = 64 * 1024
#: a console answer that takes longer is abandoned with 504
ANSWER_SECONDS = 30.0


def is_console_path(path: str) -> bool:
    """Return True when the console answers `path`."""
    return path == "/console" or path.startswith(("/console/", "/api/v1/", "/webhooks/"))


@dataclass(kw_only=True, slots=True)
class Answer:
    """What the app answered."""

    status: int = 500
    headers: list[tuple[bytes, bytes]] = field(default_factory=list)
    body: bytearray = field(default_factory=bytearray)


class AsgiBridge:
    """Runs an ASGI app on its own event loop thread for the listener's synchronous workers."""

    def __init__(self, app: AsgiApp) -> None:
        self.app = app
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(
            target=self._loop.run_forever, name="console-loop", daemon=True
        )
        self._thread.start()

    def handle(self, handler: BaseHTTPRequestHandler, *, head: bool) -> None:
        """Answer the request `handler` has parsed."""
        length = _content_length(handler)
        if length is None:
            _write(handler, Answer(status=400, body=bytearray(b"bad Content-Length")), head=head)
            return
        if length > MAX_BODY_BYTES:
            _write(
                handler, Answer(status=413, body=bytearray(b"request body too large")), head=head
            )
            return
        body = handler.rfile.read(length) if length else b""
        scope = _scope(handler, "GET" if head else handler.command)
        future = asyncio.run_coroutine_threadsafe(self._call(scope, body), self._loop)
        try:
            answer = future.result(ANSWER_SECONDS)
        except TimeoutError:
            future.cancel()
            answer = Answer(status=504, body=bytearray(b"the console did not answer in time"))
        _write(handler, answer, head=head)

    def close(self) -> None:
        """Stop the event loop thread."""
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=5)

    async def _call(self, scope: Scope, body: bytes) -> Answer:
        answer = Answer()
        sent = asyncio.Event()
        pending = [{"type": "http.request", "body": body, "more_body": False}]

        async def receive() -> Message:
            if pending:
                return pending.pop()
            await sent.wait()  # the client stays connected until the answer is written
            return {"type": "http.disconnect"}

        async def send(message: Message) -> None:
            if message["type"] == "http.response.start":
                answer.status = int(message["status"])
                answer.headers = list(message.get("headers", []))
            elif message["type"] == "http.response.body":
                answer.body += message.get("body", b"")

        try:
            await self.app(scope, receive, send)
        finally:
            sent.set()
        return answer


def _content_length(handler: BaseHTTPRequestHandler) -> int | None:
    if handler.headers.get("Transfer-Encoding"):
        return None
    try:
        length = int(handler.headers.get("Content-Length") or 0)
    except ValueError:
        return None
    return length if length >= 0 else None


def _scope(handler: BaseHTTPRequestHandler, method: str) -> Scope:
    path, _, query = handler.path.partition("?")
    host, port = getattr(handler.server, "server_address", ("", 0))
    client = handler.client_address
    return {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.3"},
        "http_version": "1.0",
        "method": method,
        "scheme": "http",
        "path": unquote(path),
        "raw_path": path.encode("latin-1"),
        "query_string": query.encode("latin-1"),
        "root_path": "",
        "headers": [
            (name.lower().encode("latin-1"), value.encode("latin-1"))
            for name, value in handler.headers.items()
        ],
        "client": (str(client[0]), int(client[1])) if isinstance(client, tuple) else None,
        "server": (host, port),
    }


def _write(handler: BaseHTTPRequestHandler, answer: Answer, *, head: bool) -> None:
    handler.send_response(answer.status)
    names = set()
    for name, value in answer.headers:
        text = name.decode("latin-1")
        names.add(text.lower())
        if text.lower() == "content-length":
            continue
        handler.send_header(text, value.decode("latin-1"))
    handler.send_header("Content-Length", str(len(answer.body)))
    if "content-type" not in names:
        handler.send_header("Content-Type", "text/plain; charset=utf-8")
    handler.end_headers()
    if not head:
        handler.wfile.write(bytes(answer.body))
