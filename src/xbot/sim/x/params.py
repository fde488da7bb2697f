"""Query parameters of the fake X's list endpoints: validation (400s as X words them) and paging."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from xbot.domain.errors import XbotError
from xbot.sim.x.problems import invalid_request
from xbot.sim.x.shapes import (
    TWEET_EXPANSIONS,
    TWEET_FIELDS,
    TWEET_FIELDS_PARAMETERS,
    USER_EXPANSIONS,
    USER_FIELDS,
    Shape,
)
from xbot.sim.x.state import Tweet

_POST_ID = re.compile(r"^[0-9]{1,19}$")
_TOKEN_PREFIX = "7140d"  # noqa: S105 - a page token prefix, not a password
#: parameters every post-returning endpoint accepts
SHAPE_PARAMETERS = frozenset(
    {
        "expansions",
        "user.fields",
        "media.fields",
        "place.fields",
        "poll.fields",
        *TWEET_FIELDS_PARAMETERS,
    }
)
TIMELINE_PARAMETERS = SHAPE_PARAMETERS | {
    "since_id", "until_id", "max_results", "pagination_token", "start_time", "end_time",
}  # fmt: skip
USER_POSTS_PARAMETERS = TIMELINE_PARAMETERS | {"exclude"}
SEARCH_PARAMETERS = TIMELINE_PARAMETERS | {"query", "next_token", "sort_order"}


class InvalidParameterError(XbotError):
    """A query parameter is not valid; `body` is X's 400 body."""

    def __init__(self, name: str, value: str, message: str) -> None:
        super().__init__(message)
        self.body = invalid_request(name, [value], message)


@dataclass(frozen=True, kw_only=True, slots=True)
class Window:
    """Which posts a list request wants."""

    since_id: int | None = None
    until_id: int | None = None
    start_time: datetime | None = None
    end_time: datetime | None = None
    max_results: int = 10
    #: page boundary from a pagination token: posts older than this id
    before_id: int | None = None

    def admits(self, tweet: Tweet) -> bool:
        """Whether a post falls inside the window (ids exclusive, as on X)."""
        value = tweet.int_id
        return not (
            (self.since_id is not None and value <= self.since_id)
            or (self.until_id is not None and value >= self.until_id)
            or (self.start_time is not None and tweet.created_at < self.start_time)
            or (self.end_time is not None and tweet.created_at >= self.end_time)
        )


def check_names(params: Mapping[str, str], allowed: frozenset[str]) -> None:
    """Refuse parameters the endpoint does not know."""
    for name, value in params.items():
        if name not in allowed:
            listing = ",".join(sorted(allowed))
            raise InvalidParameterError(
                name, value, f"The query parameter [{name}] is not one of [{listing}]"
            )


def shape_from(params: Mapping[str, str], *, user_endpoint: bool = False) -> Shape:
    """Parse `tweet.fields`, `user.fields` and `expansions`."""
    tweet_fields: set[str] = set()
    for name in TWEET_FIELDS_PARAMETERS:
        tweet_fields |= _listed(params, name, TWEET_FIELDS)
    expansions = USER_EXPANSIONS if user_endpoint else TWEET_EXPANSIONS
    return Shape(
        tweet_fields=frozenset(tweet_fields),
        user_fields=frozenset(_listed(params, "user.fields", USER_FIELDS)),
        expansions=frozenset(_listed(params, "expansions", expansions)),
    )


def window_from(params: Mapping[str, str], *, bounds: tuple[int, int]) -> Window:
    """Parse since/until ids and times, `max_results` within `bounds`, and the page token."""
    token = params.get("pagination_token") or params.get("next_token")
    return Window(
        since_id=_post_id(params, "since_id"),
        until_id=_post_id(params, "until_id"),
        start_time=time_param(params, "start_time"),
        end_time=time_param(params, "end_time"),
        max_results=_max_results(params, bounds),
        before_id=None if token is None else decode_token(token),
    )


def page(tweets: Sequence[Tweet], window: Window) -> tuple[list[Tweet], dict[str, Any]]:
    """Cut one page from posts sorted newest first; return it with X's `meta`."""
    admitted = [t for t in tweets if window.admits(t)]
    if window.before_id is not None:
        admitted = [t for t in admitted if t.int_id < window.before_id]
    chunk = admitted[: window.max_results]
    if not chunk:
        return [], {"result_count": 0}
    meta: dict[str, Any] = {
        "newest_id": chunk[0].id,
        "oldest_id": chunk[-1].id,
        "result_count": len(chunk),
    }
    if len(admitted) > len(chunk):
        meta["next_token"] = encode_token(chunk[-1].int_id)
    return chunk, meta


def encode_token(before_id: int) -> str:
    """Return an opaque, stable, never-expiring page token (lower-case base 36)."""
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    value, out = before_id, ""
    while value:
        value, remainder = divmod(value, 36)
        out = digits[remainder] + out
    return _TOKEN_PREFIX + (out or "0")


def decode_token(token: str) -> int:
    """Read a page token back, or raise InvalidParameterError."""
    digits = token.removeprefix(_TOKEN_PREFIX)
    if token.startswith(_TOKEN_PREFIX) and digits.isalnum() and digits.isascii():
        return int(digits, 36)
    message = f"The `pagination_token` query parameter value [{token}] is not valid"
    raise InvalidParameterError("pagination_token", token, message)


def _listed(params: Mapping[str, str], name: str, valid: frozenset[str]) -> set[str]:
    raw = params.get(name)
    if raw is None:
        return set()
    values = {value for value in raw.split(",") if value}
    for value in sorted(values):
        if value not in valid:
            listing = ",".join(sorted(valid))
            raise InvalidParameterError(
                name,
                value,
                f"The `{name}` query parameter value [{value}] is not one of [{listing}]",
            )
    return values


def path_post_id(raw: str) -> str:
    """Check an id in the path (`/2/tweets/:id`, `/2/users/:id/...`): 400 as X words it."""
    _post_id({"id": raw}, "id")
    return raw


def _post_id(params: Mapping[str, str], name: str) -> int | None:
    raw = params.get(name)
    if raw is None:
        return None
    if not _POST_ID.match(raw):
        message = f"The `{name}` query parameter value [{raw}] does not match ^[0-9]{{1,19}}$"
        raise InvalidParameterError(name, raw, message)
    return int(raw)


def time_param(params: Mapping[str, str], name: str) -> datetime | None:
    """Parse an RFC 3339 time parameter, or raise InvalidParameterError."""
    raw = params.get(name)
    if raw is None:
        return None
    try:
        moment = datetime.fromisoformat(raw)
    except ValueError:
        moment = None
    if moment is None or moment.tzinfo is None:
        message = f"The `{name}` query parameter value [{raw}] is not a valid RFC 3339 timestamp"
        raise InvalidParameterError(name, raw, message)
    return moment


def _max_results(params: Mapping[str, str], bounds: tuple[int, int]) -> int:
    raw = params.get("max_results")
    if raw is None:
        return 10
    low, high = bounds
    try:
        value = int(raw)
    except ValueError:
        value = None
    if value is None or not low <= value <= high:
        message = f"The `max_results` query parameter value [{raw}] is not between {low} and {high}"
        raise InvalidParameterError("max_results", raw, message)
    return value
