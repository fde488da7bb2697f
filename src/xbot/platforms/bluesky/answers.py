"""Reading Bluesky's answers: JSON bodies checked, errors mapped, rate-limit headers kept."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from xbot.domain.errors import BadResponse, PlatformError, PlatformMisconfigured
from xbot.domain.posts import RateLimitState
from xbot.platforms.bluesky.errors import LIMITS, status_error
from xbot.platforms.bluesky.posts import MalformedError
from xbot.platforms.http import Exchange, unreadable_body

T = TypeVar("T")


class Answers:
    """Turns exchanges into JSON or one error of the taxonomy; remembers rate-limit states."""

    def __init__(self, secrets: Callable[[], list[str]]) -> None:
        self.secrets = secrets
        self.limits: dict[str, RateLimitState] = {}

    def error(self, exchange: Exchange, *, write: bool) -> PlatformError | PlatformMisconfigured:
        """Map a non-2xx answer."""
        return status_error(
            exchange.status, exchange.body, exchange.headers,
            endpoint=exchange.endpoint, write=write, secrets=self.secrets(),
        )  # fmt: skip

    def json(self, exchange: Exchange, *, write: bool = False) -> dict[str, Any]:
        """Return the body as a JSON object, or raise BadResponse (Ambiguous on a write)."""
        try:
            body = exchange.json()
        except ValueError as exc:
            raise self.malformed(exchange, exc, write=write) from None
        if not isinstance(body, dict):
            raise self.malformed(exchange, MalformedError("not an object"), write=write)
        return body

    def malformed(self, exchange: Exchange, exc: Exception, *, write: bool) -> PlatformError:
        """Return the error for an unreadable body."""
        return unreadable_body("Bluesky", exchange, exc, write=write, secrets=self.secrets())

    def note_limits(self, exchange: Exchange) -> None:
        """Keep the `ratelimit-*` headers of an answer."""
        if (state := LIMITS.state(exchange.endpoint, exchange.headers)) is not None:
            self.limits[exchange.endpoint] = state


def parsed(read: Callable[..., T], *args: Any) -> T:
    """Call a view reader; a malformed view is a BadResponse."""
    try:
        return read(*args)
    except MalformedError as exc:
        raise BadResponse(f"Bluesky answered an unreadable view: {exc}") from None


def cursor_param(cursor: str | None) -> dict[str, str]:
    """Return the `cursor` parameter, if there is a cursor."""
    return {"cursor": cursor} if cursor else {}


def listed(body: Mapping[str, Any], name: str) -> list[Any]:
    """Return a list member of a body, or raise BadResponse."""
    value = body.get(name, [])
    if not isinstance(value, list):
        raise BadResponse(f"Bluesky answered a `{name}` that is not a list")
    return value


def member(item: object, name: str) -> object:
    """Return one member of an object, or None."""
    return item.get(name) if isinstance(item, dict) else None


def next_cursor(body: Mapping[str, Any]) -> str | None:
    """Return the body's cursor; None on the last page."""
    cursor = body.get("cursor")
    return cursor if isinstance(cursor, str) and cursor else None
