"""A fake's push stream: fan-out to its open connections, with the faults of a real one.

Connections are websockets (`serve`) or any other framing the fake provides (`serve_events`,
e.g. Mastodon's server-sent events).

Platform-neutral: the fake decides who hears what (a `key` per connection, e.g. the Mastodon
account's "user:notification|42") and the text of each message; the hub delivers each published
message to every open connection with that key. `publish` is safe to call from any thread.

Faults (`StreamHub.add_fault`, or the admin API `POST /_sim/stream/faults`
`{"kind", "seconds"?, "count"?, "buffer"?}`; `GET /_sim/stream`; `DELETE /_sim/stream/faults`,
`?kind=` to clear one kind):

- `drop`: close every open connection now (code 1011); new connections are accepted at once;
- `gap`: drop, and refuse new connections (503) for `seconds` or until cleared: what is published
  meanwhile reaches nobody, so only the client's backfill can recover it;
- `pause`: hold deliveries for `seconds` or until cleared, then deliver them in order;
- `duplicate`: deliver each of the next `count` messages twice;
- `reorder`: hold the next `count` (at least 2) messages and deliver them newest first;
- `slow`: a slow consumer: each delivery waits `seconds`, and a connection with more than
  `buffer` messages waiting is closed (1013) and loses them, as a server protecting itself does.

Clearing the faults delivers whatever `pause` or `reorder` held.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import BaseRoute, Route
from starlette.websockets import WebSocket

from xbot.sim.core.admin import AdminError, admin_error, json_object

StreamFaultKind = Literal["drop", "gap", "pause", "duplicate", "reorder", "slow"]
STREAM_FAULT_KINDS: tuple[str, ...] = ("drop", "gap", "pause", "duplicate", "reorder", "slow")
#: close codes: the server failed (a drop), the server asks the client to come back later
DROPPED_CODE = 1011
TOO_SLOW_CODE = 1013
#: how often a held delivery looks again whether its fault has ended
_HOLD_POLL_SECONDS = 0.02


@dataclass(kw_only=True, slots=True)
class StreamFault:
    """One armed fault of a fake's stream."""

    kind: StreamFaultKind
    #: how long `gap` and `pause` last (None: until cleared); `slow`'s delay per message
    seconds: float | None = None
    #: messages `duplicate` doubles and `reorder` holds
    count: int = 1
    #: messages a `slow` connection may have waiting before it is closed
    buffer: int = 10
    #: monotonic time the fault ends (None: until cleared)
    until: float | None = field(default=None, repr=False)

    def as_dict(self) -> dict[str, Any]:
        """Return the fault as JSON-ready data."""
        data = asdict(self)
        del data["until"]
        return data


@dataclass(eq=False, kw_only=True, slots=True)
class _Connection:
    key: str
    loop: asyncio.AbstractEventLoop
    outbox: asyncio.Queue[str] = field(default_factory=asyncio.Queue)
    closing: asyncio.Event = field(default_factory=asyncio.Event)
    close_code: int = DROPPED_CODE
    close_reason: str = ""

    def put(self, text: str) -> None:
        """Queue a message (from any thread)."""
        self.loop.call_soon_threadsafe(self.outbox.put_nowait, text)

    def close(self, code: int, reason: str) -> None:
        """Ask the connection to close (from any thread)."""
        self.loop.call_soon_threadsafe(self._close, code, reason)

    def _close(self, code: int, reason: str) -> None:
        if not self.closing.is_set():
            self.close_code, self.close_reason = code, reason
            self.closing.set()


class StreamHub:
    """The open connections of one fake's stream, and its faults."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._connections: set[_Connection] = set()
        self._faults: list[StreamFault] = []
        self._held: list[tuple[str, str]] = []
        self.published = 0

    # --- the fake's side ---

    def accepting(self) -> bool:
        """Whether a new connection may open (not during a `gap`)."""
        return self._active("gap") is None

    def connections(self, key: str | None = None) -> int:
        """Return how many connections are open (with `key`, or all)."""
        with self._lock:
            return sum(1 for conn in self._connections if key is None or conn.key == key)

    def publish(self, key: str, text: str) -> None:
        """Deliver `text` to every connection open with `key` now, through the armed faults."""
        with self._lock:
            if not self._by_key(key):
                return  # nobody hears it; the faults count only messages someone would get
            self.published += 1
            reorder = self._live("reorder")
            if reorder is not None:
                self._held.append((key, text))
                if len(self._held) < max(reorder.count, 2):
                    return
                batch = list(reversed(self._held))
                self._held.clear()
                self._faults.remove(reorder)
            else:
                batch = [(key, text)]
            deliveries = [(self._by_key(key), held, self._copies()) for key, held in batch]
        for connections, message, copies in deliveries:
            for conn in connections:
                for _ in range(copies):
                    conn.put(message)

    async def serve(self, websocket: WebSocket, key: str) -> None:
        """Deliver messages for `key` on an accepted websocket until either side closes it."""
        conn = await self._deliver(key, websocket.send_text, _until_disconnect(websocket))
        with contextlib.suppress(Exception):
            await websocket.close(code=conn.close_code, reason=conn.close_reason)

    async def serve_events(
        self, key: str, send: Callable[[str], Awaitable[None]], gone: Awaitable[None]
    ) -> None:
        """Deliver messages for `key` through `send` until `gone` completes or the hub closes it.

        For a stream that is not a websocket (server-sent events): the caller frames each
        message and ends its response when this returns.
        """
        await self._deliver(key, send, gone)

    async def _deliver(
        self, key: str, send: Callable[[str], Awaitable[None]], gone: Awaitable[None]
    ) -> _Connection:
        conn = _Connection(key=key, loop=asyncio.get_running_loop())
        with self._lock:
            self._connections.add(conn)
        tasks = [
            asyncio.create_task(self._send(send, conn)),
            asyncio.ensure_future(gone),
            asyncio.create_task(conn.closing.wait()),
        ]
        try:
            await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        finally:
            with self._lock:
                self._connections.discard(conn)
            for task in tasks:
                task.cancel()
        return conn

    # --- faults ---

    def add_fault(self, fault: StreamFault) -> StreamFault:
        """Arm a fault (`drop` acts at once and is not kept)."""
        if fault.kind not in STREAM_FAULT_KINDS:
            raise AdminError(
                f"unknown stream fault {fault.kind!r}; use one of {STREAM_FAULT_KINDS}"
            )
        if fault.count < 1 or fault.buffer < 0:
            raise AdminError("count must be >= 1 and buffer >= 0")
        if fault.kind in {"gap", "pause"} and fault.seconds is not None:
            fault.until = time.monotonic() + fault.seconds
        if fault.kind in {"drop", "gap"}:
            self.drop()
        if fault.kind != "drop":
            with self._lock:
                self._faults.append(fault)
        return fault

    def drop(self, code: int = DROPPED_CODE, reason: str = "dropped by the fake") -> int:
        """Close every open connection; return how many there were."""
        with self._lock:
            open_now = list(self._connections)
        for conn in open_now:
            conn.close(code, reason)
        return len(open_now)

    def armed(self) -> list[StreamFault]:
        """Return the faults in force."""
        with self._lock:
            self._expire()
            return list(self._faults)

    def clear(self, kind: str | None = None) -> None:
        """Disarm every fault (or those of one kind); deliver what `reorder` held, in order."""
        with self._lock:
            self._faults = [f for f in self._faults if kind is not None and f.kind != kind]
            held = list(self._held) if kind in {None, "reorder"} else []
            self._held = [] if held else self._held
        for key, text in held:
            self.publish(key, text)

    def describe(self) -> dict[str, Any]:
        """Return open connections and faults as JSON-ready data."""
        return {
            "connections": self.connections(),
            "published": self.published,
            "faults": [fault.as_dict() for fault in self.armed()],
        }

    # --- helpers ---

    def _active(self, kind: StreamFaultKind) -> StreamFault | None:
        with self._lock:
            return self._live(kind)

    def _live(self, kind: StreamFaultKind) -> StreamFault | None:
        self._expire()
        return next((fault for fault in self._faults if fault.kind == kind), None)

    def _expire(self) -> None:
        now = time.monotonic()
        self._faults = [f for f in self._faults if f.until is None or f.until > now]

    def _copies(self) -> int:
        duplicate = self._live("duplicate")
        if duplicate is None:
            return 1
        duplicate.count -= 1
        if duplicate.count == 0:
            self._faults.remove(duplicate)
        return 2

    def _by_key(self, key: str) -> list[_Connection]:
        return [conn for conn in self._connections if conn.key == key]

    async def _send(self, send: Callable[[str], Awaitable[None]], conn: _Connection) -> None:
        while True:
            text = await conn.outbox.get()
            while self._active("pause") is not None:  # noqa: ASYNC110 - set from other threads
                await asyncio.sleep(_HOLD_POLL_SECONDS)
            slow = self._active("slow")
            if slow is not None:
                await asyncio.sleep(slow.seconds or 0.0)
                if conn.outbox.qsize() > slow.buffer:
                    conn.close(TOO_SLOW_CODE, "the client is too slow")
                    return
            await send(text)


async def _until_disconnect(websocket: WebSocket) -> None:
    while (await websocket.receive())["type"] != "websocket.disconnect":
        pass


def stream_admin_routes(hub: StreamHub) -> list[BaseRoute]:
    """Return the stream's admin routes (mounted under `/_sim`)."""

    async def state(request: Request) -> JSONResponse:
        del request
        return JSONResponse(hub.describe())

    async def add(request: Request) -> JSONResponse:
        try:
            fault = hub.add_fault(stream_fault_from(await json_object(request)))
        except AdminError as exc:
            return admin_error(exc)
        return JSONResponse({"fault": fault.as_dict()}, status_code=201)

    async def clear(request: Request) -> JSONResponse:
        hub.clear(request.query_params.get("kind"))
        return JSONResponse({"faults": [fault.as_dict() for fault in hub.armed()]})

    return [
        Route("/stream", state, methods=["GET"]),
        Route("/stream/faults", add, methods=["POST"]),
        Route("/stream/faults", clear, methods=["DELETE"]),
    ]


def stream_fault_from(body: dict[str, Any]) -> StreamFault:
    """Build a StreamFault from an admin request body."""
    try:
        return StreamFault(
            kind=body["kind"],
            seconds=None if body.get("seconds") is None else float(body["seconds"]),
            count=int(body.get("count", 1)),
            buffer=int(body.get("buffer", 10)),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise AdminError(f"invalid stream fault: {exc!r}") from exc
