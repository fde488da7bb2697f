"""The adapter's reads: notifications, search, the own feed, one own record, threadgates.

Each function takes the client's `read` (one GET, limits noted, errors raised) and `Answers`
(JSON decoding). There is no `since_id` on Bluesky: the watermark is the newest `indexedAt`
seen, and paging from the top stops at the first notification older than it (platform facts
§2.3).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from xbot.domain.errors import NotFound
from xbot.domain.posts import Post
from xbot.platforms.bluesky.answers import (
    Answers,
    cursor_param,
    listed,
    member,
    next_cursor,
    parsed,
)
from xbot.platforms.bluesky.posts import (
    Me,
    from_notification,
    from_own_record,
    from_post_view,
    parse_time,
    reply_disabled,
)
from xbot.platforms.bluesky.records import POST_COLLECTION, bluesky_time
from xbot.platforms.http import Exchange

LIST_NOTIFICATIONS = "app.bsky.notification.listNotifications"
GET_AUTHOR_FEED = "app.bsky.feed.getAuthorFeed"
SEARCH_POSTS = "app.bsky.feed.searchPosts"
GET_RECORD = "com.atproto.repo.getRecord"
GET_POSTS = "app.bsky.feed.getPosts"
GET_PROFILE = "app.bsky.actor.getProfile"
#: getPosts takes at most this many URIs
POSTS_PER_LOOKUP = 25

Read = Callable[[str, Mapping[str, Any]], Exchange]


def notifications(
    read: Read, answers: Answers, me: Me, floor: datetime | None, *, max_pages: int
) -> tuple[list[Post], datetime | None]:
    """Return mention/reply/quote posts indexed at or after `floor`, and the newest indexedAt."""
    posts: list[Post] = []
    newest = floor
    cursor: str | None = None
    for _ in range(max_pages):
        body = answers.json(read(LIST_NOTIFICATIONS, {"limit": "100", **cursor_param(cursor)}))
        older_seen = False
        for item in listed(body, "notifications"):
            indexed = parsed(parse_time, member(item, "indexedAt"))
            if floor is not None and indexed < floor:
                older_seen = True
                break
            newest = indexed if newest is None else max(newest, indexed)
            post = parsed(from_notification, item, me)
            if post is not None:
                posts.append(post)
        cursor = next_cursor(body)
        if older_seen or cursor is None:
            break
    return posts, newest


def search(read: Read, answers: Answers, me: Me, query: str, since: datetime | None) -> list[Post]:
    """Read one searchPosts query's posts indexed since `since` (the caller adds the overlap)."""
    params = {"q": query, "sort": "latest", "limit": "100"}
    if since is not None:
        params["since"] = bluesky_time(since)
    body = answers.json(read(SEARCH_POSTS, params))
    return [parsed(from_post_view, view, me) for view in listed(body, "posts")]


def own_feed(read: Read, answers: Answers, me: Me, since: str | None, limit: int) -> list[Post]:
    """Return own posts from the AppView's getAuthorFeed, newest first, down to `since`."""
    found: list[Post] = []
    cursor: str | None = None
    while len(found) < limit:
        params = {
            "actor": me.did,
            "filter": "posts_with_replies",
            "limit": str(min(max(limit, 1), 100)),
        }
        body = answers.json(read(GET_AUTHOR_FEED, {**params, **cursor_param(cursor)}))
        for item in listed(body, "feed"):
            if not isinstance(item, dict) or item.get("reason"):
                continue  # a repost is not our post
            post = parsed(from_post_view, item.get("post"), me)
            if post.post_id == since:
                return found[:limit]
            if post.author_id == me.did:
                found.append(post)
        cursor = next_cursor(body)
        if cursor is None:
            break
    return found[:limit]


def own_post(read: Read, answers: Answers, me: Me, rkey: str) -> Post | None:
    """Return the own post under `rkey`, or None when there is no such record."""
    params = {"repo": me.did, "collection": POST_COLLECTION, "rkey": rkey}
    try:
        body = answers.json(read(GET_RECORD, params))
    except NotFound:
        return None
    return parsed(from_own_record, body, me)


def gated_roots(read: Read, answers: Answers, me: Me, roots: set[str]) -> set[str]:
    """Return the thread roots whose threadgate forbids our reply (getPosts, 25 a call)."""
    ordered = sorted(roots)
    gated: set[str] = set()
    for start in range(0, len(ordered), POSTS_PER_LOOKUP):
        chunk = ordered[start : start + POSTS_PER_LOOKUP]
        body = answers.json(read(GET_POSTS, {"uris": chunk}))
        for view in listed(body, "posts"):
            if isinstance(view, dict) and reply_disabled(view, me):
                gated.add(str(view.get("uri")))
    return gated


def profile(read: Read, answers: Answers, did: str) -> dict[str, Any]:
    """Return an account's profile view (`app.bsky.actor.getProfile`): handle, labels, viewer."""
    return answers.json(read(GET_PROFILE, {"actor": did}))
