"""Posts as every platform adapter returns them: the platform's word stops at the adapter."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, NewType

PostId = NewType("PostId", str)


@dataclass(frozen=True, kw_only=True, slots=True)
class Post:
    """Anything published on a platform, known by the platform's id."""

    post_id: PostId
    author_id: str
    author_handle: str
    text: str
    created_at: datetime
    in_reply_to_post_id: str | None = None
    conversation_id: str | None = None
    quoted_post_id: str | None = None
    #: handles mentioned in the text, lower case, without "@"
    mentions: tuple[str, ...] = ()
    language: str | None = None
    author_followers: int | None = None
    author_is_bot: bool = False
    #: the author's profile says "#nobot" (Mastodon convention, platform-facts §3.5, §5.5)
    author_nobot: bool = False
    #: the platform says the author blocks our account (Bluesky `viewer.blockedBy`, Mastodon
    #: relationships `blocked_by`)
    author_blocks_us: bool = False
    #: our account mutes or blocks the author (Mastodon relationships `muting`/`blocking`)
    author_muted: bool = False
    #: the thread's gate does not let our account reply (Bluesky threadgate, §2.7, §5.4)
    reply_disabled: bool = False
    #: the post mentions or quotes our account, or replies to one of our posts
    summoned: bool = False
    #: platform material the reply needs later (Bluesky uri/cid and root refs)
    meta: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, kw_only=True, slots=True)
class CandidateBatch:
    """What one fetch read: posts newest first, and the watermark to store for the next fetch."""

    posts: tuple[Post, ...]
    watermark: str | None


@dataclass(frozen=True, kw_only=True, slots=True)
class ReplyTarget:
    """The post a reply answers, with whatever the platform needs to address it."""

    post_id: str
    author_handle: str
    meta: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, kw_only=True, slots=True)
class Published:
    """The platform's synchronous proof that a post exists."""

    post_id: PostId
    created_at: datetime | None = None


@dataclass(frozen=True, kw_only=True, slots=True)
class RateLimitState:
    """The platform's last word on one endpoint's rate limit."""

    endpoint: str
    limit: int | None
    remaining: int | None
    reset_at: datetime | None
