"""X's JSON (posts are "tweets" on the wire) read into xbot's Post, checked field by field."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from xbot.domain.posts import Post, PostId

#: what the adapter asks X for, so every Post field can be filled (platform-facts §1.2)
TWEET_FIELDS = (
    "author_id,conversation_id,created_at,in_reply_to_user_id,referenced_tweets,entities,"
    "reply_settings,lang"
)
EXPANSIONS = "author_id,referenced_tweets.id,referenced_tweets.id.author_id"
USER_FIELDS = "description,public_metrics"
FIELD_PARAMETERS = {
    "tweet.fields": TWEET_FIELDS,
    "expansions": EXPANSIONS,
    "user.fields": USER_FIELDS,
}
#: X's API has no "automated" flag; its label says "Automated by @owner", bios usually say so
_AUTOMATED = re.compile(r"\bautomated\b|\bbot account\b", re.IGNORECASE)
_POST_ID = re.compile(r"^[0-9]{1,19}$")


class MalformedError(ValueError):
    """The body does not have the shape X documents."""


@dataclass(frozen=True, kw_only=True, slots=True)
class Me:
    """The account the adapter acts for."""

    user_id: str
    handle: str


def posts_from(body: Mapping[str, Any], me: Me) -> list[Post]:
    """Read `data` (a list, possibly absent when empty) with its `includes`, newest first."""
    data = body.get("data", [])
    if not isinstance(data, list):
        raise MalformedError("`data` is not a list")
    includes = Includes.from_body(body)
    return [post_from(item, includes, me) for item in data]


def post_from(item: object, includes: Includes, me: Me) -> Post:
    """Read one post object."""
    if not isinstance(item, dict):
        raise MalformedError("a post is not an object")
    post_id, text = item.get("id"), item.get("text")
    if not isinstance(post_id, str) or not _POST_ID.match(post_id) or not isinstance(text, str):
        raise MalformedError("a post lacks a valid `id` or `text`")
    author_id = _required_str(item, "author_id")
    references = _references(item.get("referenced_tweets"))
    mentions = _mentions(item.get("entities"))
    author = includes.users.get(author_id, {})
    quoted = references.get("quoted")
    summoned = (
        me.handle.lower() in mentions
        or item.get("in_reply_to_user_id") == me.user_id
        or (quoted is not None and includes.tweet_authors.get(quoted) == me.user_id)
    )
    return Post(
        post_id=PostId(post_id),
        author_id=author_id,
        author_handle=str(author.get("username", "")),
        text=text,
        created_at=_time(_required_str(item, "created_at")),
        in_reply_to_post_id=references.get("replied_to"),
        conversation_id=_optional_str(item, "conversation_id"),
        quoted_post_id=quoted,
        mentions=mentions,
        language=_optional_str(item, "lang"),
        author_followers=_followers(author),
        author_is_bot=bool(_AUTOMATED.search(str(author.get("description", "")))),
        summoned=summoned,
        # "summoned" prices the reply: X bills a summoned reply $0.010, a create $0.015
        meta={"reply_settings": item.get("reply_settings", "everyone"), "summoned": summoned},
    )


@dataclass(frozen=True, kw_only=True, slots=True)
class Includes:
    """The expanded objects of one page: users by id, and referenced posts' authors."""

    users: Mapping[str, Mapping[str, Any]]
    tweet_authors: Mapping[str, str]

    @classmethod
    def from_body(cls, body: Mapping[str, Any]) -> Includes:
        """Read `includes` (absent when nothing was expanded)."""
        includes = body.get("includes", {})
        if not isinstance(includes, dict):
            raise MalformedError("`includes` is not an object")
        users = {
            u["id"]: u for u in _objects(includes.get("users")) if isinstance(u.get("id"), str)
        }
        authors = {
            t["id"]: str(t.get("author_id", ""))
            for t in _objects(includes.get("tweets"))
            if isinstance(t.get("id"), str)
        }
        return cls(users=users, tweet_authors=authors)


def _objects(value: object) -> Sequence[dict[str, Any]]:
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
        raise MalformedError("an `includes` list holds something other than objects")
    return value


def _required_str(item: Mapping[str, Any], name: str) -> str:
    value = item.get(name)
    if not isinstance(value, str) or not value:
        raise MalformedError(f"a post lacks `{name}`")
    return value


def _optional_str(item: Mapping[str, Any], name: str) -> str | None:
    value = item.get(name)
    return value if isinstance(value, str) else None


def _time(raw: str) -> datetime:
    try:
        moment = datetime.fromisoformat(raw)
    except ValueError:
        raise MalformedError(f"`created_at` is not a timestamp: {raw[:40]!r}") from None
    if moment.tzinfo is None:
        raise MalformedError("`created_at` has no time zone")
    return moment


def _references(value: object) -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, list):
        raise MalformedError("`referenced_tweets` is not a list")
    found: dict[str, str] = {}
    for reference in value:
        if isinstance(reference, dict) and isinstance(reference.get("id"), str):
            found.setdefault(str(reference.get("type")), reference["id"])
    return found


def _mentions(value: object) -> tuple[str, ...]:
    if not isinstance(value, dict):
        return ()
    mentions = value.get("mentions") or []
    if not isinstance(mentions, list):
        raise MalformedError("`entities.mentions` is not a list")
    return tuple(
        str(m["username"]).lower() for m in mentions if isinstance(m, dict) and m.get("username")
    )


def _followers(author: Mapping[str, Any]) -> int | None:
    metrics = author.get("public_metrics")
    count = metrics.get("followers_count") if isinstance(metrics, dict) else None
    return count if isinstance(count, int) else None
