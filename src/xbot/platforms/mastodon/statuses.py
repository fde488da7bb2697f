"""Mastodon's JSON (posts are "statuses" on the wire) read into xbot's Post, field by field."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from xbot.domain.posts import Post, PostId
from xbot.platforms.mastodon.content import html_to_text

_NEXT_LINK = re.compile(r"<([^>]+)>\s*;\s*rel=\"?next\"?")
_MAX_ID = re.compile(r"[?&]max_id=([^&]+)")


class MalformedError(ValueError):
    """The body does not have the shape Mastodon documents."""


@dataclass(frozen=True, kw_only=True, slots=True)
class Me:
    """The account the adapter acts for."""

    account_id: str
    acct: str


def newest_id(ids: list[str | None]) -> str | None:
    """Return the newest of Mastodon ids: compare length first, then lexically (facts §3.3)."""
    present = [value for value in ids if value]
    return max(present, key=lambda value: (len(value), value)) if present else None


def next_max_id(headers: Mapping[str, str]) -> str | None:
    """Return the `max_id` of the `Link: <...>; rel="next"` page, if there is one."""
    link = _NEXT_LINK.search(headers.get("link", ""))
    found = _MAX_ID.search(link.group(1)) if link else None
    return found.group(1) if found else None


def _string(item: Mapping[str, Any], name: str) -> str:
    value = item.get(name)
    if not isinstance(value, str) or not value:
        raise MalformedError(f"`{name}` is missing")
    return value


def _time(raw: object) -> datetime:
    if not isinstance(raw, str):
        raise MalformedError("`created_at` is missing")
    try:
        moment = datetime.fromisoformat(raw)
    except ValueError:
        raise MalformedError(f"bad timestamp {raw!r}") from None
    if moment.tzinfo is None:
        raise MalformedError(f"timestamp without a zone {raw!r}")
    return moment


def _quoted(status: Mapping[str, Any]) -> str | None:
    quote = status.get("quote")
    if isinstance(quote, dict) and isinstance(quote.get("quoted_status"), dict):
        quoted = quote["quoted_status"].get("id")
        return quoted if isinstance(quoted, str) else None
    return None


#: "#nobot" as a hashtag, not inside a longer one (#nobots, #nobotanist)
_NOBOT = re.compile(r"(?<![\w#])#nobot(?![\w])", re.IGNORECASE)


def says_nobot(account: Mapping[str, Any]) -> bool:
    """Return whether the author's profile note or fields carry `#nobot`.

    The Mastodon convention for "do not interact" (platform-facts §3.5, §5.5), not enforced by
    the API.
    """
    parts = [account.get("note")]
    for field in account.get("fields") or []:
        if isinstance(field, dict):
            parts += [field.get("name"), field.get("value")]
    texts = (html_to_text(part) for part in parts if isinstance(part, str))
    return any(_NOBOT.search(text) for text in texts)


def summons(status: Mapping[str, Any], me: Me) -> bool:
    """Whether a status mentions the account or replies to one of its statuses."""
    mentioned = any(
        isinstance(mention, dict) and mention.get("id") == me.account_id
        for mention in status.get("mentions") or []
    )
    return mentioned or status.get("in_reply_to_account_id") == me.account_id


def post_from(status: object, me: Me, *, summoned: bool = False) -> Post:
    """Read one Status."""
    if not isinstance(status, dict):
        raise MalformedError("a status is not an object")
    account = status.get("account")
    if not isinstance(account, dict):
        raise MalformedError("a status has no `account`")
    content = status.get("content")
    if not isinstance(content, str):
        raise MalformedError("a status has no `content`")
    mentions = tuple(
        str(mention.get("acct", "")).lower()
        for mention in status.get("mentions") or []
        if isinstance(mention, dict) and mention.get("acct")
    )
    author_id = _string(account, "id")
    followers = account.get("followers_count")
    return Post(
        post_id=PostId(_string(status, "id")),
        author_id=author_id,
        author_handle=_string(account, "acct"),
        text=html_to_text(content),
        created_at=_time(status.get("created_at")),
        in_reply_to_post_id=status.get("in_reply_to_id") or None,
        quoted_post_id=_quoted(status),
        mentions=mentions,
        language=status.get("language") or None,
        author_followers=followers if isinstance(followers, int) else None,
        author_is_bot=account.get("bot") is True,
        author_nobot=says_nobot(account),
        summoned=summoned and author_id != me.account_id,
        meta={"visibility": str(status.get("visibility", "")), "url": str(status.get("url") or "")},
    )
