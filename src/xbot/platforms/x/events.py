"""X Activity API events read into xbot's Post, exactly as the mentions poll reads a post.

An event is `{"data": {"event_uuid", "filter": {"user_id"}, "event_type", "tag"?, "payload": <post>,
"includes": {"users", "tweets"}}}`; the payload is a post object and is read by the poll's own
`post_from`, so a post reaches xbot with the same id, author fields and summoned flag whichever
way it came. Kept: `post.mention.create`, `post.reply.create`, `post.quote.create` for this
account, by someone else, that summon the account. The same parsing serves the stream and the
webhook deliveries.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from xbot.domain.posts import Post
from xbot.platforms.x.posts import Includes, MalformedError, Me, post_from

POST_EVENTS = ("post.mention.create", "post.reply.create", "post.quote.create")


@dataclass(frozen=True, kw_only=True, slots=True)
class ActivityEvent:
    """One event as read: the post it carries when it summons the account, else None."""

    event_type: str
    user_id: str
    post: Post | None


class StreamProblem(ValueError):
    """The stream sent an error object (e.g. X's operational disconnect) instead of an event."""


def parse_event(raw: bytes | str, me: Me) -> ActivityEvent | None:
    """Read one stream line or webhook body; None for a keep-alive.

    Raise MalformedError for something that is not an event, StreamProblem for X's error object.
    """
    text = raw.decode() if isinstance(raw, bytes) else raw
    if not text.strip():
        return None
    try:
        body = json.loads(text)
    except ValueError as exc:
        raise MalformedError(f"an activity event is not JSON: {exc}") from None
    if not isinstance(body, dict):
        raise MalformedError("an activity event is not an object")
    if "data" not in body and isinstance(body.get("errors"), list):
        raise StreamProblem(_problem(body["errors"]))
    data = body.get("data")
    if not isinstance(data, dict):
        raise MalformedError("an activity event has no `data` object")
    return _event(data, me)


def _event(data: dict[str, Any], me: Me) -> ActivityEvent:
    event_type = str(data.get("event_type", ""))
    found = data.get("filter")
    user_id = str(found.get("user_id", "")) if isinstance(found, dict) else ""
    event = ActivityEvent(event_type=event_type, user_id=user_id, post=None)
    if event_type not in POST_EVENTS or user_id != me.user_id:
        return event
    post = post_from(data.get("payload"), Includes.from_body(data), me)
    if post.author_id == me.user_id or not post.summoned:
        return event
    return ActivityEvent(event_type=event_type, user_id=user_id, post=post)


def _problem(errors: list[Any]) -> str:
    first = errors[0] if errors and isinstance(errors[0], dict) else {}
    title = str(first.get("title", "error"))
    detail = str(first.get("detail", ""))[:200]
    return f"{title}: {detail}" if detail else title
