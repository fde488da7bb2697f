"""The admin API every fake mounts under `/_sim/`, and the wrapper that builds a fake's app.

Routes (JSON in, JSON out):

- `POST /_sim/faults` `{"endpoint": "POST /2/tweets", "kind": "latency|status|reset|
  accept_then_timeout|malformed", "seconds"?, "status"?, "count"? (1; 0 = until cleared),
  "drop"?, "body"?}`; `GET /_sim/faults`; `DELETE /_sim/faults`.
- `POST /_sim/posts` `{"author": handle, "text", "in_reply_to"?, "quote_of"?}`: post as anyone;
  with a bot account as author this is a ghost (a post made outside xbot).
- `GET /_sim/posts?author=HANDLE` -> `{"posts": [{"id", "author", "in_reply_to", "text",
  "created_at"}]}`, oldest first, deleted posts included with `"deleted": true`.
- `POST /_sim/clock` `{"advance_seconds"?, "speed"?}`; `GET /_sim/clock`.
- `GET /_sim/requests?method=&path=` -> `{"requests": [...]}` (the request log).
- `GET /_sim/world` -> the fake's own description (users, bot accounts, credentials).
- `POST /_sim/reset`: back to the seeded state; faults and the request log cleared.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.types import ASGIApp

from xbot.domain.errors import XbotError
from xbot.sim.core.clock import SimClock
from xbot.sim.core.faults import Fault, FaultBook, FaultMiddleware, StatusResponder
from xbot.sim.core.request_log import RequestLog, RequestLogMiddleware

ADMIN_PREFIX = "/_sim"


class SimBackend(Protocol):
    """What a platform fake offers the admin API."""

    def create_post(
        self, *, author: str, text: str, in_reply_to: str | None, quote_of: str | None
    ) -> Mapping[str, Any]:
        """Create a post as any user, bypassing auth, limits and policy; return it."""
        ...

    def list_posts(self, author: str) -> Sequence[Mapping[str, Any]]:
        """Return every post of one user, oldest first."""
        ...

    def reset(self) -> None:
        """Return to the seeded state."""
        ...

    def describe(self) -> Mapping[str, Any]:
        """Return the world as JSON-ready data: users, bot accounts, credentials."""
        ...


class AdminError(XbotError):
    """The admin request is invalid."""


@dataclass(kw_only=True, slots=True)
class FakeParts:
    """The shared machinery around one fake: clock, faults and request log."""

    clock: SimClock
    faults: FaultBook = field(default_factory=FaultBook)
    log: RequestLog = field(default_factory=RequestLog)
    #: answers 404 (no such route) and 405 (wrong method) in the platform's own shape;
    #: None leaves Starlette's plain-text answers
    unknown_route: StatusResponder | None = None


def build_fake_app(
    routes: Sequence[BaseRoute],
    *,
    backend: SimBackend,
    parts: FakeParts,
    responder: StatusResponder,
    extra_admin_routes: Sequence[BaseRoute] = (),
) -> ASGIApp:
    """Return the fake's ASGI app: its routes, the admin API, fault injection and the log."""
    admin = Mount(ADMIN_PREFIX, routes=[*admin_routes(backend, parts), *extra_admin_routes])
    handlers = {} if parts.unknown_route is None else _route_error_handlers(parts.unknown_route)
    app = Starlette(routes=[admin, *routes], exception_handlers=handlers)
    faulty = FaultMiddleware(app, book=parts.faults, responder=responder, skip_prefix=ADMIN_PREFIX)
    return RequestLogMiddleware(faulty, log=parts.log, clock=parts.clock, skip_prefix=ADMIN_PREFIX)


def _route_error_handlers(respond: StatusResponder) -> dict[Any, Any]:
    async def handle(request: Request, exc: Exception) -> Response:
        status = exc.status_code if isinstance(exc, HTTPException) else 500
        return respond(status, request.scope)

    return {404: handle, 405: handle}


def admin_routes(backend: SimBackend, parts: FakeParts) -> list[BaseRoute]:
    """Return the admin routes shared by every fake."""
    handlers = _AdminHandlers(backend, parts)
    return [
        Route("/faults", handlers.add_fault, methods=["POST"]),
        Route("/faults", handlers.list_faults, methods=["GET"]),
        Route("/faults", handlers.clear_faults, methods=["DELETE"]),
        Route("/posts", handlers.create_post, methods=["POST"]),
        Route("/posts", handlers.list_posts, methods=["GET"]),
        Route("/clock", handlers.move_clock, methods=["POST"]),
        Route("/clock", handlers.read_clock, methods=["GET"]),
        Route("/requests", handlers.requests, methods=["GET"]),
        Route("/world", handlers.world, methods=["GET"]),
        Route("/reset", handlers.reset, methods=["POST"]),
    ]


async def json_object(request: Request) -> dict[str, Any]:
    """Return the request's JSON object body, or raise AdminError."""
    try:
        body = json.loads(await request.body() or b"{}")
    except ValueError as exc:
        raise AdminError(f"body is not JSON: {exc}") from exc
    if not isinstance(body, dict):
        raise AdminError("body must be a JSON object")
    return body


def admin_error(exc: Exception) -> JSONResponse:
    """Return the admin API's error answer."""
    return JSONResponse({"error": str(exc)}, status_code=400)


def fault_from(body: Mapping[str, Any]) -> Fault:
    """Build a Fault from an admin request body."""
    try:
        return Fault(
            endpoint=str(body["endpoint"]),
            kind=body["kind"],
            seconds=None if body.get("seconds") is None else float(body["seconds"]),
            status=None if body.get("status") is None else int(body["status"]),
            count=int(body.get("count", 1)),
            drop=bool(body.get("drop", False)),
            body=None if body.get("body") is None else str(body["body"]),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise AdminError(f"invalid fault: {exc!r}") from exc


class _AdminHandlers:
    def __init__(self, backend: SimBackend, parts: FakeParts) -> None:
        self.backend = backend
        self.parts = parts

    async def add_fault(self, request: Request) -> JSONResponse:
        try:
            fault = self.parts.faults.add(fault_from(await json_object(request)))
        except (AdminError, ValueError) as exc:
            return admin_error(exc)
        return JSONResponse({"fault": fault.as_dict()}, status_code=201)

    async def list_faults(self, request: Request) -> JSONResponse:
        del request
        return JSONResponse({"faults": [fault.as_dict() for fault in self.parts.faults.armed()]})

    async def clear_faults(self, request: Request) -> JSONResponse:
        del request
        self.parts.faults.clear()
        return JSONResponse({"faults": []})

    async def create_post(self, request: Request) -> JSONResponse:
        try:
            body = await json_object(request)
            post = self.backend.create_post(
                author=str(body["author"]),
                text=str(body["text"]),
                in_reply_to=_optional_str(body.get("in_reply_to")),
                quote_of=_optional_str(body.get("quote_of")),
            )
        except (KeyError, XbotError) as exc:
            return admin_error(exc)
        return JSONResponse({"post": dict(post)}, status_code=201)

    async def list_posts(self, request: Request) -> JSONResponse:
        author = request.query_params.get("author")
        if not author:
            return admin_error(AdminError("query parameter 'author' is required"))
        try:
            posts = self.backend.list_posts(author)
        except XbotError as exc:
            return admin_error(exc)
        return JSONResponse({"posts": [dict(post) for post in posts]})

    async def move_clock(self, request: Request) -> JSONResponse:
        try:
            body = await json_object(request)
            if body.get("speed") is not None:
                self.parts.clock.set_speed(float(body["speed"]))
            self.parts.clock.advance(float(body.get("advance_seconds", 0)))
        except (AdminError, TypeError, ValueError) as exc:
            return admin_error(exc)
        return await self.read_clock(request)

    async def read_clock(self, request: Request) -> JSONResponse:
        del request
        clock = self.parts.clock
        return JSONResponse({"now": clock.now().isoformat(), "speed": clock.speed})

    async def requests(self, request: Request) -> JSONResponse:
        method = request.query_params.get("method")
        path = request.query_params.get("path")
        return JSONResponse({"requests": self.parts.log.as_dicts(method=method, path=path)})

    async def world(self, request: Request) -> JSONResponse:
        del request
        return JSONResponse(dict(self.backend.describe()))

    async def reset(self, request: Request) -> JSONResponse:
        del request
        self.backend.reset()
        self.parts.faults.clear()
        self.parts.log.clear()
        return JSONResponse({"reset": True})


def _optional_str(value: object) -> str | None:
    return None if value is None else str(value)
