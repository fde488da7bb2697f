"""Jetstream events read into xbot's Post: which commits summon the account, and their Post.

A Jetstream message (platform-facts §5.4) is one commit:
`{"did", "time_us", "kind": "commit", "commit": {"rev", "operation", "collection", "rkey",
"record", "cid"}}`. Jetstream has no mention filter: every new post of the network comes by, and
`summoning_reason` keeps those that mention the account in a facet (its DID, not its handle),
reply to one of its posts (the parent or the thread's root is ours) or quote one (`embed.record`,
also inside `recordWithMedia`), never the account's own. The reasons are the notification
reasons the poll reads (`mention`, `reply`, `quote`), so `post_from` builds the same Post as the
poll does: the at:// URI as post_id, the strong refs in `meta`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from xbot.domain.posts import Post
from xbot.platforms.bluesky.posts import Me, Seen, mentioned_dids, post_from, quoted_uri
from xbot.platforms.bluesky.records import POST_COLLECTION, post_uri


@dataclass(frozen=True, kw_only=True, slots=True)
class Created:
    """A post creation seen on Jetstream."""

    time_us: int
    did: str
    rkey: str
    cid: str
    record: Mapping[str, Any]

    @property
    def uri(self) -> str:
        """The post's at:// URI (its post_id)."""
        return post_uri(self.did, self.rkey)

    @property
    def seen_at(self) -> str:
        """When Jetstream saw it, as an atproto datetime (caps a claimed `createdAt`)."""
        moment = datetime.fromtimestamp(self.time_us / 1_000_000, tz=UTC)
        return moment.isoformat(timespec="microseconds").replace("+00:00", "Z")


def read_event(raw: str | bytes) -> tuple[int | None, Created | None]:
    """Return (time_us, the post created) of one message; (None, None) for one not understood.

    A message that is not a post creation (a delete, an identity or account event, another
    collection) still carries its `time_us`: the position moves past it.
    """
    try:
        event = json.loads(raw)
    except ValueError:
        return None, None
    time_us = event.get("time_us") if isinstance(event, dict) else None
    if not isinstance(time_us, int) or isinstance(time_us, bool):
        return None, None
    return time_us, _creation(event, time_us)


def _creation(event: Mapping[str, Any], time_us: int) -> Created | None:
    commit = event.get("commit")
    if event.get("kind") != "commit" or not isinstance(commit, dict):
        return None
    if commit.get("operation") != "create" or commit.get("collection") != POST_COLLECTION:
        return None
    did, rkey, cid, record = (event.get("did"), commit.get("rkey"), commit.get("cid"),
                              commit.get("record"))  # fmt: skip
    if not (_text(did) and _text(rkey) and _text(cid) and isinstance(record, dict)):
        return None
    return Created(time_us=time_us, did=str(did), rkey=str(rkey), cid=str(cid), record=record)


def _text(value: object) -> bool:
    return isinstance(value, str) and bool(value)


def _repo(uri: object) -> str | None:
    if not isinstance(uri, str) or not uri.startswith("at://"):
        return None
    return uri.removeprefix("at://").split("/", 1)[0] or None


def _ref_uri(reply: Mapping[str, Any], part: str) -> str | None:
    ref = reply.get(part)
    return ref.get("uri") if isinstance(ref, dict) else None


def summoning_reason(created: Created, did: str) -> str | None:
    """Return why the post concerns account `did` (`reply`, `quote`, `mention`), or None.

    The order is the notification's: a reply in our thread is a `reply` even if it mentions us.
    Our own posts never summon us.
    """
    if created.did == did:
        return None
    record = created.record
    raw_reply = record.get("reply")
    reply: Mapping[str, Any] = raw_reply if isinstance(raw_reply, dict) else {}
    if did in {_repo(_ref_uri(reply, "parent")), _repo(_ref_uri(reply, "root"))}:
        return "reply"
    if _repo(quoted_uri(record)) == did:
        return "quote"
    if did in mentioned_dids(record):
        return "mention"
    return None


def created_post(created: Created, author: Mapping[str, Any], me: Me, reason: str) -> Post:
    """Build the Post as the poll builds it from the notification.

    `author` is the author's profile view (did, handle, labels, viewer), as a notification
    carries it.
    """
    seen = Seen(
        uri=created.uri, cid=created.cid, author=author, record=created.record,
        indexed_at=created.seen_at,
    )  # fmt: skip
    return post_from(seen, me, reason=reason)
