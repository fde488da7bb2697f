"""JSON views of the fake Bluesky's AppView: profiles, posts, notifications, threads (LX defs)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from xbot.sim.bluesky.ids import cid_for
from xbot.sim.bluesky.state import Actor, BlueskyStore, PostRecord, bsky_time


def labels_of(actor: Actor) -> list[dict[str, Any]]:
    """Return the actor's self-labels: automated accounts carry `bot`."""
    if not actor.user.automated:
        return []
    profile_uri = f"at://{actor.did}/app.bsky.actor.profile/self"
    return [
        {
            "src": actor.did,
            "uri": profile_uri,
            "cid": cid_for({"profile": actor.did}),
            "val": "bot",
            "cts": bsky_time(actor.user.created_at),
        }
    ]


def profile_basic(actor: Actor) -> dict[str, Any]:
    """app.bsky.actor.defs#profileViewBasic."""
    return {
        "did": actor.did,
        "handle": actor.handle,
        "displayName": actor.user.name,
        "labels": labels_of(actor),
        "createdAt": bsky_time(actor.user.created_at),
    }


def profile_view(actor: Actor) -> dict[str, Any]:
    """app.bsky.actor.defs#profileView."""
    return {
        **profile_basic(actor),
        "description": actor.user.description,
        "indexedAt": bsky_time(actor.user.created_at),
    }


def profile_detailed(actor: Actor, store: BlueskyStore) -> dict[str, Any]:
    """app.bsky.actor.defs#profileViewDetailed."""
    return {
        **profile_view(actor),
        "followersCount": actor.user.followers,
        "followsCount": actor.user.following,
        "postsCount": store.count(lambda record: record.did == actor.did),
    }


def post_view(record: PostRecord, store: BlueskyStore, indexed_at: datetime) -> dict[str, Any]:
    """app.bsky.feed.defs#postView."""
    return {
        "uri": record.uri,
        "cid": record.cid,
        "author": profile_basic(store.actor(record.did)),
        "record": record.value,
        "replyCount": store.count(lambda other: other.parent_uri == record.uri),
        "repostCount": 0,
        "likeCount": 0,
        "quoteCount": store.count(lambda other: other.quote_uri == record.uri),
        "indexedAt": bsky_time(indexed_at),
        "viewer": {},
        "labels": [],
    }


def notification_view(
    record: PostRecord, reason: str, subject: str | None, store: BlueskyStore, indexed_at: datetime
) -> dict[str, Any]:
    """app.bsky.notification.listNotifications#notification."""
    view: dict[str, Any] = {
        "uri": record.uri,
        "cid": record.cid,
        "author": profile_view(store.actor(record.did)),
        "reason": reason,
        "record": record.value,
        "isRead": False,
        "indexedAt": bsky_time(indexed_at),
        "labels": [],
    }
    if subject is not None:
        view["reasonSubject"] = subject
    return view


def not_found_post(uri: str) -> dict[str, Any]:
    """app.bsky.feed.defs#notFoundPost."""
    return {"$type": "app.bsky.feed.defs#notFoundPost", "uri": uri, "notFound": True}
