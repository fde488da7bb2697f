"""Fault injection for the fakes, per endpoint, as ASGI middleware.

A `Fault` names an endpoint the way the platform documents it (`POST /2/tweets`,
`GET /2/users/:id/mentions`; `:name` matches one path segment, method `*` any method) and
what goes wrong, for the next `count` requests (0 = until cleared):

- `latency`: wait `seconds` (real time), then serve normally;
- `status`: answer `status` with the platform's own error body, without running the handler;
- `reset`: drop the connection before the handler runs (nothing is created);
- `accept_then_timeout`: run the handler (the write is committed), then hold the response
  for `seconds` (past the client's read timeout), or with `drop=True` close the connection;
- `malformed`: answer `status` (default 200) with `body` (default: truncated JSON).

A dropped connection is signalled by raising `ConnectionDropped`; `xbot.sim.core.server` turns it
into a TCP reset and `xbot.sim.core.transport` into `httpx2.ReadError`.
"""

from __future__ import annotations

import asyncio
import re
import threading
from collections.abc import Callable, MutableMapping
from dataclasses import asdict, dataclass
from typing import Any, Literal

from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

FaultKind = Literal["latency", "status", "reset", "accept_then_timeout", "malformed"]
FAULT_KINDS: tuple[str, ...] = ("latency", "status", "reset", "accept_then_timeout", "malformed")
#: how long "accept then timeout" holds a response when no `seconds` is given
DEFAULT_HOLD_SECONDS = 30.0
#: what a `malformed` fault answers by default: JSON cut off mid-way
TRUNCATED_BODY = '{"data":{"id":"19'

#: builds the platform's own error response for a status code
StatusResponder = Callable[[int, Scope], Response]


class ConnectionDropped(Exception):
    """The fake closes the connection without a response (a reset)."""


@dataclass(kw_only=True, slots=True)
class Fault:
    """One scripted failure of one endpoint."""

    endpoint: str
    kind: FaultKind
    seconds: float | None = None
    status: int | None = None
    #: requests left to fail; 0 means until cleared
    count: int = 1
    drop: bool = False
    body: str | None = None
    fired: int = 0

    def matches(self, method: str, path: str) -> bool:
        """Whether this fault applies to a request."""
        wanted_method, _, template = self.endpoint.strip().partition(" ")
        if wanted_method not in {"*", method.upper()}:
            return False
        pattern = re.sub(r":[A-Za-z_]+", "[^/]+", re.escape(template).replace(r"\:", ":"))
        return re.fullmatch(pattern, path) is not None

    def as_dict(self) -> dict[str, Any]:
        """Return the fault as JSON-ready data."""
        return asdict(self)


class FaultBook:
    """The faults currently armed on one fake; safe to use from any thread."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._faults: list[Fault] = []

    def add(self, fault: Fault) -> Fault:
        """Arm a fault; later faults for the same endpoint wait their turn."""
        if fault.kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault kind {fault.kind!r}; use one of {FAULT_KINDS}")
        if fault.count < 0:
            raise ValueError("count must be >= 0 (0 = until cleared)")
        with self._lock:
            self._faults.append(fault)
        return fault

    def clear(self) -> None:
        """Disarm every fault."""
        with self._lock:
            self._faults.clear()

    def armed(self) -> list[Fault]:
        """Return the armed faults."""
        with self._lock:
            return list(self._faults)

    def take(self, method: str, path: str) -> Fault | None:
        """Return the fault to apply to this request, using up one of its count."""
        with self._lock:
            for fault in self._faults:
                if fault.matches(method, path):
                    fault.fired += 1
                    if fault.count == 1:
                        self._faults.remove(fault)
                    elif fault.count > 1:
                        fault.count -= 1
                    return fault
        return None


class FaultMiddleware:
    """Applies armed faults to requests outside the admin prefix."""

    def __init__(
        self, app: ASGIApp, *, book: FaultBook, responder: StatusResponder, skip_prefix: str
    ) -> None:
        self.app = app
        self.book = book
        self.responder = responder
        self.skip_prefix = skip_prefix

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Serve one request, applying a fault when one is armed for it."""
        if scope["type"] != "http" or scope["path"].startswith(self.skip_prefix):
            await self.app(scope, receive, send)
            return
        fault = self.book.take(scope["method"], scope["path"])
        if fault is None:
            await self.app(scope, receive, send)
            return
        scope.setdefault("state", {})["sim_fault"] = fault.kind
        await self._apply(fault, scope, receive, send)

    async def _apply(self, fault: Fault, scope: Scope, receive: Receive, send: Send) -> None:
        if fault.kind == "latency":
            await asyncio.sleep(fault.seconds or 0.0)
            await self.app(scope, receive, send)
        elif fault.kind == "status":
            await self.responder(fault.status or 500, scope)(scope, receive, send)
        elif fault.kind == "reset":
            raise ConnectionDropped
        elif fault.kind == "malformed":
            body = TRUNCATED_BODY if fault.body is None else fault.body
            response = Response(
                body, status_code=fault.status or 200, media_type="application/json"
            )
            await response(scope, receive, send)
        else:
            await self._accept_then_timeout(fault, scope, receive, send)

    async def _accept_then_timeout(
        self, fault: Fault, scope: Scope, receive: Receive, send: Send
    ) -> None:
        held: list[MutableMapping[str, Any]] = []

        async def hold(message: Message) -> None:
            held.append(message)

        await self.app(scope, receive, hold)
        if fault.drop:
            raise ConnectionDropped
        hold_seconds = DEFAULT_HOLD_SECONDS if fault.seconds is None else fault.seconds
        await asyncio.sleep(hold_seconds)
        for message in held:
            await send(message)
