"""Mastodon's rate limits and error bodies, for the parts the third-party `mastodon-mock` lacks.

mastodon-mock (PyPI) limits nothing by default and, when asked to, sends an epoch
`X-RateLimit-Reset`; real Mastodon sends an ISO 8601 timestamp on fixed windows aligned to
multiples of the period, on every response (platform-facts §3.4). This middleware adds exactly
that, on the fake clock: 300 requests / 5 min per token, and status creation 300 / 3 h per
token, the headers describing the window nearest exhaustion; over a limit it answers 429
`{"error": "Too many requests"}`.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from xbot.sim.core.clock import SimClock

TOO_MANY_REQUESTS = "Too many requests"
_ERRORS = {
    401: "The access token is invalid",
    404: "Record not found",
    422: "Validation failed: Text can't be blank",
    429: TOO_MANY_REQUESTS,
    500: "An unexpected error occurred",
    502: "Bad gateway",
    503: "Service temporarily unavailable",
    504: "Gateway timeout",
}


@dataclass(frozen=True, kw_only=True, slots=True)
class MastodonLimit:
    """N requests per fixed window."""

    count: int
    seconds: int


def iso_reset(moment: datetime) -> str:
    """Return a reset time as Mastodon writes it: ISO 8601 with microseconds."""
    return moment.astimezone(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


def limit_headers(limit: MastodonLimit, used: int, reset: datetime) -> dict[str, str]:
    """Return Mastodon's rate-limit headers for one window."""
    return {
        "X-RateLimit-Limit": str(limit.count),
        "X-RateLimit-Remaining": str(max(limit.count - used, 0)),
        "X-RateLimit-Reset": iso_reset(reset),
    }


def mastodon_error(status: int, clock: SimClock) -> Response:
    """Return Mastodon's answer for an injected status, with limit headers on a 429."""
    headers = {}
    if status == 429:
        reset = clock.now() + timedelta(minutes=5)
        headers = limit_headers(MastodonLimit(count=300, seconds=300), 300, reset)
    body = {"error": _ERRORS.get(status, "An error occurred")}
    return JSONResponse(body, status_code=status, headers=headers)


class MastodonRateLimits:
    """ASGI middleware counting requests per token on aligned fixed windows of the fake clock."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        clock: SimClock,
        requests: Callable[[], MastodonLimit],
        statuses: Callable[[], MastodonLimit],
    ) -> None:
        self.app = app
        self.clock = clock
        self.requests = requests
        self.statuses = statuses
        self._lock = threading.Lock()
        self._used: dict[tuple[str, str, int], int] = {}

    def reset(self) -> None:
        """Forget every window."""
        with self._lock:
            self._used.clear()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Count the request; refuse it over a limit; add the headers to the answer."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        windows = [("requests", self.requests())]
        if scope["method"] == "POST" and scope["path"] == "/api/v1/statuses":
            windows.append(("statuses", self.statuses()))
        headers, exceeded = self._count(_token(scope), windows)
        if exceeded:
            answer = JSONResponse({"error": TOO_MANY_REQUESTS}, status_code=429, headers=headers)
            await answer(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                extra = [(key.lower().encode(), value.encode()) for key, value in headers.items()]
                message = {**message, "headers": [*message.get("headers", []), *extra]}
            await send(message)

        await self.app(scope, receive, with_headers)

    def _count(
        self, key: str, windows: list[tuple[str, MastodonLimit]]
    ) -> tuple[dict[str, str], bool]:
        now = self.clock.timestamp()
        states = []
        with self._lock:
            for name, limit in windows:
                start = int(now // limit.seconds) * limit.seconds  # windows align to the period
                used = self._used.get((name, key, start), 0)
                states.append((name, limit, start, used))
            exceeded = any(used >= limit.count for _, limit, _, used in states)
            if not exceeded:
                for name, _, start, used in states:
                    self._used[(name, key, start)] = used + 1
        tightest = min(states, key=lambda s: s[1].count - s[3] - (0 if exceeded else 1))
        _, limit, start, used = tightest
        spent = used if exceeded else used + 1
        reset = datetime.fromtimestamp(start + limit.seconds, UTC)
        return limit_headers(limit, spent, reset), exceeded


def _token(scope: Scope) -> str:
    for key, value in scope.get("headers", []):
        if key == b"authorization":
            return str(value.decode("latin-1"))
    client = scope.get("client")
    return f"ip:{client[0]}" if client else "anonymous"
