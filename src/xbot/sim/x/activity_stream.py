"""`GET /2/activity/stream` on the fake X: newline-delimited JSON events, keep-alive newlines.

Each open connection has its own queue; `StreamDelivery` puts every event on every queue and
carries the admin faults (`POST /_sim/activity`):

- `drop`: close every connection (events until the next connect wait for it);
- `lose`: close every connection and discard events until the next connect (only a backfill
  finds them);
- `pause` / `resume`: hold deliveries, then send what was held;
- `duplicate` `count`: the next `count` events are sent twice;
- `reorder` `count`: the next `count` events are held and sent newest first;
- `slow` `seconds` (`max_backlog`?): wait before each event; a connection whose queue grows past
  `stream_max_backlog` is closed with X's operational-disconnect message.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import threading
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import Response, StreamingResponse

from xbot.sim.core.faults import ConnectionDropped
from xbot.sim.x import problems as x_problems
from xbot.sim.x.activity import Event
from xbot.sim.x.gate import admit

if TYPE_CHECKING:
    from xbot.sim.x.backend import XBackend

KEEP_ALIVE = b"\r\n"
STREAM_ACTIONS = ("drop", "lose", "pause", "resume", "duplicate", "reorder", "slow")
#: X's message when it disconnects a consumer that does not keep up (filtered stream wording)
TOO_SLOW = {
    "errors": [
        {
            "title": "operational-disconnect",
            "disconnect_type": "ClientTooSlow",
            "detail": "This stream has been disconnected because your client was unable to keep "
            "up with us.",
            "type": "https://api.twitter.com/2/problems/operational-disconnect",
        }
    ]
}


class _Drop:
    """Tells a connection to close."""


_DROP = _Drop()


@dataclass(eq=False, kw_only=True, slots=True)
class _Connection:
    loop: asyncio.AbstractEventLoop
    queue: asyncio.Queue[Event | _Drop] = field(default_factory=asyncio.Queue)

    def put(self, item: Event | _Drop) -> None:
        with contextlib.suppress(RuntimeError):  # the loop is gone: the server stopped
            self.loop.call_soon_threadsafe(self.queue.put_nowait, item)


@dataclass(kw_only=True, slots=True)
class _Faults:
    paused: bool = False
    losing: bool = False
    duplicate: int = 0
    reorder: int = 0
    slow_seconds: float = 0.0
    held: list[Event] = field(default_factory=list)
    reordering: list[Event] = field(default_factory=list)


class StreamDelivery:
    """The open stream connections and the faults on their deliveries."""

    def __init__(self, fake: XBackend) -> None:
        self.fake = fake
        self._lock = threading.Lock()
        self._connections: list[_Connection] = []
        self._faults = _Faults()
        #: events that waited for a connection (hold_while_disconnected)
        self._waiting: list[Event] = []

    def reset(self) -> None:
        """Clear the faults and close every connection."""
        with self._lock:
            self._faults = _Faults()
            self._waiting.clear()
        self.drop()

    def connected(self) -> int:
        """How many stream connections are open."""
        with self._lock:
            return len(self._connections)

    def deliver(self, event: Event) -> None:
        """Send one event to every connection, through the armed faults."""
        with self._lock:
            faults = self._faults
            if faults.paused:
                faults.held.append(event)
                return
            events = [event]
            if faults.reorder > 0:
                faults.reordering.append(event)
                faults.reorder -= 1
                if faults.reorder > 0:
                    return
                events, faults.reordering = faults.reordering[::-1], []
            if faults.duplicate > 0:
                faults.duplicate -= 1
                events = [item for item in events for _ in (0, 1)]
            self._send(events)

    def apply(self, action: str, *, count: int = 1, seconds: float = 0.0) -> None:
        """Arm or clear one admin fault (see the module docstring)."""
        if action not in STREAM_ACTIONS:
            raise ValueError(f"unknown stream action {action!r}; use one of {STREAM_ACTIONS}")
        with self._lock:
            faults = self._faults
            if action == "pause":
                faults.paused = True
            elif action == "resume":
                faults.paused = False
                held, faults.held = faults.held, []
                self._send(held)
            elif action == "duplicate":
                faults.duplicate = count
            elif action == "reorder":
                faults.reorder = count
            elif action == "slow":
                faults.slow_seconds = seconds
            elif action == "lose":
                faults.losing = True
                self._waiting.clear()
        if action in {"drop", "lose"}:
            self.drop()

    def drop(self) -> None:
        """Close every open connection."""
        with self._lock:
            connections, self._connections = self._connections, []
        for connection in connections:
            connection.put(_DROP)

    def view(self) -> dict[str, Any]:
        """Return the connections and faults as JSON-ready data."""
        with self._lock:
            faults = self._faults
            return {
                "connections": len(self._connections),
                "paused": faults.paused,
                "losing": faults.losing,
                "duplicate": faults.duplicate,
                "reorder": faults.reorder,
                "slow_seconds": faults.slow_seconds,
                "held": len(faults.held),
                "waiting": len(self._waiting),
            }

    async def serve(self, request: Request) -> Response:
        """`GET /2/activity/stream`."""
        call = await admit(self.fake, request, "GET /2/activity/stream", user_context=False)
        if isinstance(call, Response):
            return call
        if not self.fake.settings.activity_api:
            return call.answer(x_problems.client_forbidden(self.fake.auth.client_id), 403)
        connection = self._open(asyncio.get_running_loop())
        return StreamingResponse(
            self._lines(connection), media_type="application/json", headers=call.headers
        )

    def _open(self, loop: asyncio.AbstractEventLoop) -> _Connection:
        connection = _Connection(loop=loop)
        with self._lock:
            self._faults.losing = False
            waiting, self._waiting = self._waiting, []
            self._connections.append(connection)
        for event in waiting:
            connection.queue.put_nowait(event)
        return connection

    def _send(self, events: list[Event]) -> None:
        """Put events on every connection's queue (the lock is held)."""
        if not self._connections:
            if not self._faults.losing and self.fake.settings.stream_hold_while_disconnected:
                self._waiting.extend(events)
            return
        for connection in self._connections:
            for event in events:
                connection.put(event)

    async def _lines(self, connection: _Connection) -> AsyncIterator[bytes]:
        settings = self.fake.settings
        try:
            while True:
                try:
                    item = await asyncio.wait_for(
                        connection.queue.get(), timeout=settings.stream_keepalive_seconds
                    )
                except TimeoutError:
                    yield KEEP_ALIVE
                    continue
                if isinstance(item, _Drop):
                    raise ConnectionDropped
                if connection.queue.qsize() > self.fake.settings.stream_max_backlog:
                    yield json.dumps(TOO_SLOW).encode() + b"\r\n"
                    return
                if self._faults.slow_seconds:
                    await asyncio.sleep(self._faults.slow_seconds)
                self.fake.charge_reads([item.post_id], owned=False, now=self.fake.clock.now())
                yield item.body + b"\r\n"
        finally:
            with self._lock:
                if connection in self._connections:
                    self._connections.remove(connection)
