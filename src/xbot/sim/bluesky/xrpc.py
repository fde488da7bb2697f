"""XRPC plumbing of the fake Bluesky: one route `/xrpc/{nsid}`, auth, limits, error bodies.

Errors are `{"error": Name, "message": text}` (platform-facts §2.4): named lexicon errors are
400, missing auth 401, rate limits 429 with `ratelimit-*` headers, unknown methods 501. With the
setting `appview=False` the fake is a PDS with no AppView configured: every `app.bsky.*` call is
400 InvalidRequest "No service configured for <method>".
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Literal

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route
from starlette.types import Scope

from xbot.sim.bluesky.auth import AuthProblemError, Claims, missing_auth
from xbot.sim.core.unicode import well_formed_value

if TYPE_CHECKING:
    from xbot.sim.bluesky.backend import BlueskyBackend

Auth = Literal["none", "optional", "required", "refresh"]
#: the methods a PDS proxies to its AppView
APPVIEW_PREFIX = "app.bsky."
SERVER_ERRORS = {
    500: ("InternalServerError", "Internal Server Error"),
    502: ("UpstreamFailure", "Upstream Failure"),
    503: ("NotEnoughResources", "Not Enough Resources"),
    504: ("UpstreamTimeout", "Upstream Timeout"),
}


class XrpcError(Exception):
    """An XRPC error answer raised from a handler."""

    def __init__(
        self, status: int, error: str, message: str, headers: Mapping[str, str] | None = None
    ) -> None:
        super().__init__(message)
        self.status = status
        self.error = error
        self.message = message
        self.headers = dict(headers or {})


def invalid_request(message: str) -> XrpcError:
    """400 InvalidRequest."""
    return XrpcError(400, "InvalidRequest", message)


def xrpc_json(body: Any, status: int = 200, headers: Mapping[str, str] | None = None) -> Response:
    """Return an XRPC JSON answer."""
    return JSONResponse(body, status_code=status, headers=dict(headers or {}))


@dataclass(kw_only=True, slots=True)
class XrpcCall:
    """One admitted request: who asks, its parameters, and the headers every answer carries."""

    fake: BlueskyBackend
    request: Request
    now: datetime
    claims: Claims | None
    body: Any
    headers: dict[str, str] = field(default_factory=dict)

    @property
    def did(self) -> str:
        """The authenticated account's DID."""
        if self.claims is None:
            raise missing_auth()
        return self.claims.did

    def param(self, name: str, default: str | None = None) -> str | None:
        """Return one query parameter."""
        return self.request.query_params.get(name, default)

    def params(self, name: str) -> list[str]:
        """Return a repeated query parameter (`name` or `name[]`)."""
        query = self.request.query_params
        return [*query.getlist(name), *query.getlist(f"{name}[]")]

    def required(self, name: str) -> str:
        """Return a required query parameter or raise 400."""
        value = self.param(name)
        if not value:
            raise invalid_request(f'Error: Params must have the property "{name}"')
        return value

    def limit(self, default: int, maximum: int = 100) -> int:
        """Return the `limit` parameter within 1..maximum."""
        raw = self.param("limit")
        try:
            value = default if raw is None else int(raw)
        except ValueError:
            raise invalid_request("Error: limit must be an integer") from None
        if not 1 <= value <= maximum:
            raise invalid_request(f"Error: limit must be between 1 and {maximum}")
        return value

    def field(self, name: str) -> Any:
        """Return a required field of the JSON input or raise 400."""
        if not isinstance(self.body, dict) or name not in self.body:
            raise invalid_request(f'Input must have the property "{name}"')
        return self.body[name]

    def answer(self, body: Any, status: int = 200) -> Response:
        """Return a JSON answer with the rate-limit headers."""
        return xrpc_json(body, status, self.headers)


Handler = Callable[[XrpcCall], Response]


@dataclass(frozen=True, kw_only=True, slots=True)
class Method:
    """One XRPC method: HTTP verb, auth requirement and handler."""

    verb: Literal["GET", "POST"]
    auth: Auth
    handler: Handler


def bluesky_routes(fake: BlueskyBackend, methods: Mapping[str, Method]) -> list[BaseRoute]:
    """Return the single XRPC route, dispatching by NSID."""

    async def dispatch(request: Request) -> Response:
        try:
            return await _serve(fake, methods, request)
        except XrpcError as exc:
            body = {"error": exc.error, "message": exc.message}
            return xrpc_json(body, exc.status, exc.headers)
        except AuthProblemError as exc:
            return xrpc_json({"error": exc.error, "message": exc.message}, exc.status)

    return [Route("/xrpc/{nsid}", dispatch, methods=["GET", "POST"])]


async def _serve(fake: BlueskyBackend, methods: Mapping[str, Method], request: Request) -> Response:
    nsid = request.path_params["nsid"]
    if nsid.startswith(APPVIEW_PREFIX) and not fake.settings.appview:
        raise invalid_request(f"No service configured for {nsid}")
    method = methods.get(nsid)
    if method is None:
        raise XrpcError(501, "MethodNotImplemented", "Method Not Implemented")
    if request.method != method.verb:
        raise invalid_request(f"Incorrect HTTP method ({request.method}) expected {method.verb}")
    fake.catch_up()
    now = fake.clock.now()
    client = request.client.host if request.client else "unknown"
    verdict = fake.consume("ip", client, now.timestamp())
    if verdict.exceeded:
        raise rate_limit_exceeded(verdict.headers())
    headers = verdict.headers()
    try:
        claims = _claims(fake, request, method.auth)
        body = await _json_body(request) if method.verb == "POST" else None
        call = XrpcCall(
            fake=fake, request=request, now=now, claims=claims, body=body, headers=headers
        )
        return method.handler(call)
    except AuthProblemError as exc:  # every answer carries the rate-limit headers, errors too
        raise XrpcError(exc.status, exc.error, exc.message, headers) from None
    except XrpcError as exc:
        exc.headers = {**headers, **exc.headers}
        raise


def rate_limit_exceeded(headers: Mapping[str, str]) -> XrpcError:
    """429 RateLimitExceeded, verbatim."""
    return XrpcError(429, "RateLimitExceeded", "Rate Limit Exceeded", headers)


def _claims(fake: BlueskyBackend, request: Request, auth: Auth) -> Claims | None:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if auth == "none":
        return None
    if scheme.lower() != "bearer" or not token:
        if auth == "optional":
            return None
        raise missing_auth()
    if auth == "refresh":
        return fake.auth.rotate(token)
    return fake.auth.check_access(token)


async def _json_body(request: Request) -> Any:
    raw = await request.body()
    if not raw:
        return None
    try:
        return well_formed_value(json.loads(raw))  # a PDS reads UTF-8: no lone surrogates
    except ValueError:
        raise invalid_request("Request body is not valid JSON") from None


def bluesky_status_response(fake: BlueskyBackend) -> Callable[[int, Scope], Response]:
    """Return what an injected status fault answers: Bluesky's body for it, with limit headers."""

    def respond(status: int, scope: Scope) -> Response:
        del scope
        if status == 429:
            reset = int((fake.clock.now() + timedelta(minutes=5)).timestamp())
            headers = {
                "ratelimit-limit": "3000",
                "ratelimit-remaining": "0",
                "ratelimit-reset": str(reset),
                "ratelimit-policy": "3000;w=300",
            }
            return xrpc_json(
                {"error": "RateLimitExceeded", "message": "Rate Limit Exceeded"}, 429, headers
            )
        if status == 401:
            return xrpc_json(
                {"error": "AuthenticationRequired", "message": "Authentication Required"}, 401
            )
        name, message = SERVER_ERRORS.get(status, ("InvalidRequest", "Invalid Request"))
        return xrpc_json({"error": name, "message": message}, status)

    return respond
