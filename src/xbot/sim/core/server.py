"""Run a fake's ASGI app under uvicorn on loopback, in a background thread.

    with SimServer(fake.app) as server:
        httpx2.get(server.base_url + "/2/users/me", ...)

Port 0 picks a free port; `base_url` tells which. A `ConnectionDropped` raised by the app
(fault injection) becomes a real TCP reset: SO_LINGER 0, then abort.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import struct
import threading
import time
from typing import Any, Self

import uvicorn
from starlette.types import ASGIApp, Receive, Scope, Send
from uvicorn.protocols.http.h11_impl import H11Protocol
from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol

from xbot.domain.errors import PortInUse, XbotError
from xbot.sim.core.faults import ConnectionDropped

#: seconds to wait for uvicorn to start or stop
STARTUP_SECONDS = 10.0
#: seconds stop() lets requests in flight finish before it cancels them
STOP_GRACE_SECONDS = 1


class SimServerError(XbotError):
    """The fake server did not start."""


class ResettingH11Protocol(H11Protocol):
    """uvicorn's h11 protocol, able to reset the TCP connection when the app asks."""

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        """Wrap the app so `ConnectionDropped` resets this connection."""
        super().connection_made(transport)
        app = self.app

        async def resettable(scope: Scope, receive: Receive, send: Send) -> None:
            try:
                await app(scope, receive, send)
            except ConnectionDropped:
                _reset(transport)
                # wait for uvicorn to see the disconnect, so it does not answer 500 instead
                while (await receive())["type"] != "http.disconnect":
                    pass

        self.app = resettable


class DenyingWebSocketsProtocol(WebSocketsSansIOProtocol):
    """uvicorn's websocket protocol, quiet after refusing an upgrade with an HTTP answer.

    A fake refuses a stream as the platform does (401 for a bad token, 503 while down) with the
    ASGI denial response; uvicorn then logs "returned without completing handshake" although
    the answer went out whole. The refusal completes the handshake here.
    """

    async def send(self, message: Any) -> None:
        """Send one ASGI message; a finished denial response ends the handshake."""
        await super().send(message)
        if message["type"] == "websocket.http.response.body" and not message.get("more_body"):
            self.handshake_complete = True


def _reset(transport: asyncio.Transport) -> None:
    sock = transport.get_extra_info("socket")
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    transport.abort()


class SimServer:
    """One ASGI app served by uvicorn on `host:port` in a daemon thread."""

    def __init__(self, app: ASGIApp, *, host: str = "127.0.0.1", port: int = 0) -> None:
        self.app = app
        self.host = host
        self._socket = _bind(host, port)
        self.port: int = self._socket.getsockname()[1]
        config = uvicorn.Config(
            app,
            http=ResettingH11Protocol,
            ws=DenyingWebSocketsProtocol,
            lifespan="off",
            log_config=None,
            log_level="warning",
            access_log=False,
            # a held response ("accept then timeout") must not hold up stop()
            timeout_graceful_shutdown=STOP_GRACE_SECONDS,
        )
        self._server = uvicorn.Server(config)
        self._thread: threading.Thread | None = None

    @property
    def base_url(self) -> str:
        """The URL clients use, e.g. `http://127.0.0.1:54321`."""
        return f"http://{self.host}:{self.port}"

    def start(self) -> Self:
        """Start serving; return once the server accepts connections."""
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [self._socket]}, daemon=True,
            name=f"sim-server-{self.port}",
        )  # fmt: skip
        self._thread.start()
        deadline = time.monotonic() + STARTUP_SECONDS
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise SimServerError(f"the fake server on {self.base_url} did not start")
            time.sleep(0.01)
        return self

    def stop(self) -> None:
        """Stop serving and wait for the thread to end."""
        self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=STARTUP_SECONDS)
        self._socket.close()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def wait(self) -> None:
        """Block until the server stops (e.g. on Ctrl-C in `xbot sim serve`)."""
        if self._thread is not None:
            self._thread.join()


def _bind(host: str, port: int) -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise PortInUse(f"cannot listen on {host}:{port}: {exc.strerror}") from exc
    sock.set_inheritable(True)
    return sock
