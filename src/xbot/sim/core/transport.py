"""A synchronous httpx2 transport that serves requests from an ASGI app in the same process.

The app runs on a private event loop in a daemon thread, so fakes can be exercised by
synchronous clients without sockets. Client timeouts are honoured: when the app does not
answer within the request's read timeout (an injected latency, or "accept then timeout"
holding the response), the transport raises `httpx2.ReadTimeout` exactly as a socket would;
a dropped connection (`ConnectionDropped`) becomes `httpx2.ReadError`.

    transport = ASGIBridgeTransport(fake.app)
    client = httpx2.Client(transport=transport, base_url="http://x.sim")
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import threading
from collections.abc import MutableMapping
from typing import Any

import httpx2
from starlette.types import ASGIApp, Message

from xbot.sim.core.faults import ConnectionDropped

_Exchange = tuple[int, list[tuple[bytes, bytes]], bytes]


class ASGIBridgeTransport(httpx2.BaseTransport):
    """Runs each request through an ASGI app on a private event loop thread."""

    def __init__(self, app: ASGIApp, *, client: tuple[str, int] = ("127.0.0.1", 50000)) -> None:
        self.app = app
        self.client = client
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(
            target=self._loop.run_forever, name="sim-asgi-bridge", daemon=True
        )
        self._thread.start()

    def handle_request(self, request: httpx2.Request) -> httpx2.Response:
        """Serve one request, raising the httpx2 error a socket would give."""
        if self._loop.is_closed():
            raise httpx2.ConnectError("the bridge transport is closed", request=request)
        body = request.read()
        timeouts: dict[str, float | None] = request.extensions.get("timeout", {})
        future = asyncio.run_coroutine_threadsafe(self._exchange(request, body), self._loop)
        try:
            status, headers, content = future.result(timeout=timeouts.get("read"))
        except concurrent.futures.TimeoutError:
            future.cancel()
            raise httpx2.ReadTimeout(
                "timed out waiting for the response", request=request
            ) from None
        except ConnectionDropped:
            raise httpx2.ReadError(
                "[Errno 104] Connection reset by peer", request=request
            ) from None
        return httpx2.Response(status, headers=headers, content=content, request=request)

    def close(self) -> None:
        """Stop the private loop and its thread."""
        if self._loop.is_closed():
            return
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=5)
        self._loop.close()

    async def _exchange(self, request: httpx2.Request, body: bytes) -> _Exchange:
        scope = self._scope(request)
        sent_body = False
        status: list[int] = []
        headers: list[tuple[bytes, bytes]] = []
        chunks: list[bytes] = []
        done = asyncio.Event()

        async def receive() -> Message:
            nonlocal sent_body
            if sent_body:
                await done.wait()
                return {"type": "http.disconnect"}
            sent_body = True
            return {"type": "http.request", "body": body, "more_body": False}

        async def send(message: MutableMapping[str, Any]) -> None:
            if message["type"] == "http.response.start":
                status.append(message["status"])
                headers.extend(message.get("headers", []))
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))
                if not message.get("more_body", False):
                    done.set()

        try:
            await self.app(scope, receive, send)
        finally:
            done.set()
        if not status:
            raise ConnectionDropped
        return status[0], headers, b"".join(chunks) if request.method != "HEAD" else b""

    def _scope(self, request: httpx2.Request) -> dict[str, Any]:
        url = request.url
        return {
            "type": "http",
            "asgi": {"version": "3.0"},
            "http_version": "1.1",
            "method": request.method,
            "headers": [(key.lower(), value) for key, value in request.headers.raw],
            "scheme": url.scheme,
            "path": url.path,
            "raw_path": url.raw_path.split(b"?")[0],
            "query_string": url.query,
            "server": (url.host, url.port or (443 if url.scheme == "https" else 80)),
            "client": self.client,
            "root_path": "",
        }
