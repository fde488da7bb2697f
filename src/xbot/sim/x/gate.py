"""What every request to the fake X passes first: auth, rate limits, credits, the usage cap."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from starlette.requests import Request
from starlette.responses import Response

from xbot.sim.x import problems as x_problems
from xbot.sim.x.auth import Principal
from xbot.sim.x.limits import DAILY_POST_LIMITS, DAY_SECONDS, Limit
from xbot.sim.x.problems import x_json

if TYPE_CHECKING:
    from xbot.sim.x.backend import XBackend


@dataclass(kw_only=True, slots=True)
class Call:
    """An admitted request: who makes it, when, and the headers every answer carries."""

    principal: Principal
    now: datetime
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)

    @property
    def user_id(self) -> str:
        """Return the acting user (user-context calls only)."""
        if self.principal.user_id is None:
            raise RuntimeError("an app-only call has no user")
        return self.principal.user_id

    def answer(self, body: object, status: int = 200) -> Response:
        """Return a JSON answer with the rate-limit headers."""
        return x_json(body, status, self.headers)


async def admit(
    fake: XBackend, request: Request, endpoint: str, *, user_context: bool, write: bool = False
) -> Call | Response:
    """Authenticate, count and bill one request; return the Call, or the error answer."""
    fake.catch_up()
    body = await request.body()
    principal = _authorize(fake, request, body, user_context=user_context, write=write)
    if isinstance(principal, Response):
        return principal
    call = Call(principal=principal, now=fake.clock.now(), body=body)
    if principal.via == "oauth1":  # X tells a 1.0a user token its app's permission [OBS]
        call.headers["x-access-level"] = fake.settings.app_permission
    refusal = _count(fake, call, endpoint)
    if refusal is None and fake.depleted():
        refusal = call.answer(x_problems.credits_depleted(), 402)
    if refusal is None and not write and fake.capped():
        refusal = call.answer(x_problems.usage_capped(), 429)
    return refusal or call


def _authorize(
    fake: XBackend, request: Request, body: bytes, *, user_context: bool, write: bool
) -> Principal | Response:
    principal = fake.auth.authenticate(
        uri=str(request.url), method=request.method, headers=dict(request.headers), body=body
    )
    if principal is None:
        return x_json(x_problems.unauthorized(), 401)
    if user_context and principal.kind == "app":
        return x_json(x_problems.unsupported_authentication(), 403)
    if write and principal.via == "oauth1" and fake.settings.app_permission == "read":
        return x_json(x_problems.oauth1_permissions(), 403)
    if write and principal.via == "oauth2" and "tweet.write" not in principal.scope.split():
        return x_json(x_problems.missing_scope(), 403)
    return principal


def _count(fake: XBackend, call: Call, endpoint: str) -> Response | None:
    limit = fake.limit_for(endpoint, app=call.principal.kind == "app")
    if limit is None:
        return None
    now = call.now.timestamp()
    verdict = fake.consume(endpoint, call.principal.limit_key, limit, now)
    call.headers.update(verdict.headers())
    exceeded = verdict.exceeded
    if endpoint == "POST /2/tweets":
        exceeded = _count_daily(fake, call, now) or exceeded
    if exceeded:
        return call.answer(x_problems.too_many_requests(), 429)
    return None


def _count_daily(fake: XBackend, call: Call, now: float) -> bool:
    exceeded = False
    for scope, key in (("app", "app"), ("user", call.principal.limit_key)):
        limit = Limit(count=DAILY_POST_LIMITS[scope], window_seconds=DAY_SECONDS)
        verdict = fake.consume(f"POST /2/tweets 24h {scope}", key, limit, now)
        call.headers.update(verdict.headers(f"x-{scope}-limit-24hour"))
        exceeded = exceeded or verdict.exceeded
    return exceeded


def query_params(request: Request) -> Mapping[str, str]:
    """Return the query parameters (last value wins, as X reads them)."""
    return dict(request.query_params)
