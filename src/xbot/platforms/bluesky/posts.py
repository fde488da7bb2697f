"""Bluesky's views (postView, notification, record) read into xbot's Post, field by field.

`Post.post_id` is the at:// URI; `Post.meta` carries what a reply needs later: the post's own
strong ref (`uri`, `cid`), its thread root's (`root_uri`, `root_cid`) and the author's DID.
`created_at` is the earlier of `createdAt` (claimed by the client) and `indexedAt` (platform-facts
§2.3).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from xbot.domain.posts import Post, PostId
from xbot.platforms.bluesky.records import MENTION_FEATURE, MENTION_PATTERN

SUMMONING_REASONS = frozenset({"mention", "reply", "quote"})


class MalformedError(ValueError):
    """The body does not have the shape the lexicon documents."""


@dataclass(frozen=True, kw_only=True, slots=True)
class Me:
    """The account the adapter acts for."""

    did: str
    handle: str


def parse_time(raw: object) -> datetime:
    """Read an atproto datetime (RFC 3339, `Z` or an offset)."""
    if not isinstance(raw, str):
        raise MalformedError("a timestamp is missing")
    try:
        moment = datetime.fromisoformat(raw)
    except ValueError:
        raise MalformedError(f"bad timestamp {raw!r}") from None
    if moment.tzinfo is None:
        raise MalformedError(f"timestamp without a zone {raw!r}")
    return moment


def _object(value: object, name: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise MalformedError(f"`{name}` is not an object")
    return value


def _string(item: Mapping[str, Any], name: str) -> str:
    value = item.get(name)
    if not isinstance(value, str) or not value:
        raise MalformedError(f"`{name}` is missing")
    return value


def _uri_of(ref: object) -> str | None:
    return ref.get("uri") if isinstance(ref, dict) and isinstance(ref.get("uri"), str) else None


def quoted_uri(record: Mapping[str, Any]) -> str | None:
    """Return the URI of the post a record quotes (embed.record or recordWithMedia)."""
    embed = record.get("embed")
    if not isinstance(embed, dict):
        return None
    inner = embed.get("record")
    if isinstance(inner, dict) and isinstance(inner.get("record"), dict):
        inner = inner["record"]  # app.bsky.embed.recordWithMedia
    return _uri_of(inner)


def mentioned_dids(record: Mapping[str, Any]) -> set[str]:
    """Return the DIDs the record's mention facets point at."""
    found = set()
    for facet in record.get("facets") or []:
        for feature in (facet or {}).get("features") or []:
            if isinstance(feature, dict) and feature.get("$type") == MENTION_FEATURE:
                found.add(str(feature.get("did")))
    return found


@dataclass(frozen=True, kw_only=True, slots=True)
class Seen:
    """One post as a view shows it."""

    uri: str
    cid: str
    author: Mapping[str, Any]
    record: Mapping[str, Any]
    indexed_at: str | None


def post_from(seen: Seen, me: Me, *, reason: str | None = None) -> Post:
    """Build a Post from a post's parts; `reason` is the notification's, if any."""
    record, author = seen.record, seen.author
    text = record.get("text")
    if not isinstance(text, str):
        raise MalformedError("the record has no text")
    created = parse_time(record.get("createdAt"))
    if seen.indexed_at is not None:
        created = min(created, parse_time(seen.indexed_at))
    raw_reply = record.get("reply")
    reply: Mapping[str, Any] = raw_reply if isinstance(raw_reply, dict) else {}
    parent, root = reply.get("parent"), reply.get("root")
    parent_uri, quote = _uri_of(parent), quoted_uri(record)
    root_uri = _uri_of(root)
    root_cid = root.get("cid") if isinstance(root, dict) and root_uri else seen.cid
    root_ref = {"uri": root_uri or seen.uri, "cid": str(root_cid or "")}
    author_did = _string(author, "did")
    langs = record.get("langs")
    summoned = reason in SUMMONING_REASONS or me.did in mentioned_dids(record)
    summoned = summoned or any(_repo(uri) == me.did for uri in (parent_uri, quote) if uri)
    return Post(
        post_id=PostId(seen.uri),
        author_id=author_did,
        author_handle=_string(author, "handle"),
        text=text,
        created_at=created,
        in_reply_to_post_id=parent_uri,
        conversation_id=root_ref["uri"],
        quoted_post_id=quote,
        mentions=tuple(dict.fromkeys(m.group(1).lower() for m in MENTION_PATTERN.finditer(text))),
        language=langs[0] if isinstance(langs, list) and langs else None,
        author_is_bot=any(
            isinstance(label, dict) and label.get("val") == "bot"
            for label in author.get("labels") or []
        ),
        summoned=summoned and author_did != me.did,
        author_blocks_us=_viewer(author).get("blockedBy") is True,
        meta={
            "uri": seen.uri, "cid": seen.cid,
            "root_uri": root_ref["uri"], "root_cid": root_ref["cid"],
            "author_did": author_did,
        },
    )  # fmt: skip


def _viewer(view: Mapping[str, Any]) -> Mapping[str, Any]:
    viewer = view.get("viewer")
    return viewer if isinstance(viewer, dict) else {}


def reply_disabled(view: Mapping[str, Any], me: Me) -> bool:
    """Return whether a root postView's threadgate forbids our reply (facts §2.7, §5.4).

    The AppView says so for the signed-in viewer (`viewer.replyDisabled`); without that, the
    gate record decides: no `allow` lets everyone reply, an empty one nobody, a `mentionRule`
    the accounts the root mentions; follower, following and list rules cannot be checked
    without more reads, so they count as closed (a skipped reply is safer than a refused one).
    """
    said = _viewer(view).get("replyDisabled")
    if isinstance(said, bool):
        return said
    gate = view.get("threadgate")
    record = gate.get("record") if isinstance(gate, dict) else None
    if not isinstance(record, dict) or "allow" not in record:
        return False
    allow = record.get("allow") or []
    mention_rule = any(
        isinstance(rule, dict) and rule.get("$type") == "app.bsky.feed.threadgate#mentionRule"
        for rule in allow
    )
    root = view.get("record")
    mentioned = isinstance(root, dict) and me.did in mentioned_dids(root)
    author = view.get("author")
    is_author = isinstance(author, dict) and author.get("did") == me.did
    return not (is_author or (mention_rule and mentioned))


def _repo(uri: str) -> str | None:
    parts = uri.removeprefix("at://").split("/")
    return parts[0] if uri.startswith("at://") and parts else None


def from_post_view(view: object, me: Me) -> Post:
    """Read an app.bsky.feed.defs#postView."""
    item = _object(view, "post")
    seen = Seen(
        uri=_string(item, "uri"),
        cid=_string(item, "cid"),
        author=_object(item.get("author"), "author"),
        record=_object(item.get("record"), "record"),
        indexed_at=item.get("indexedAt") if isinstance(item.get("indexedAt"), str) else None,
    )
    return post_from(seen, me)


def from_notification(item: object, me: Me) -> Post | None:
    """Read a notification; None unless it is a mention, reply or quote."""
    notification = _object(item, "notification")
    reason = notification.get("reason")
    if reason not in SUMMONING_REASONS:
        return None
    seen = Seen(
        uri=_string(notification, "uri"),
        cid=_string(notification, "cid"),
        author=_object(notification.get("author"), "author"),
        record=_object(notification.get("record"), "record"),
        indexed_at=_string(notification, "indexedAt"),
    )
    return post_from(seen, me, reason=str(reason))


def from_own_record(body: object, me: Me) -> Post:
    """Read a getRecord answer for one of the account's own posts."""
    item = _object(body, "record")
    seen = Seen(
        uri=_string(item, "uri"),
        cid=_string(item, "cid"),
        author={"did": me.did, "handle": me.handle},
        record=_object(item.get("value"), "value"),
        indexed_at=None,
    )
    return post_from(seen, me)
