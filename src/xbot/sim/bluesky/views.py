"""JSON views of the fake Bluesky's AppView: profiles, posts, notifications, threads (LX defs)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from xbot.sim.bluesky.state import Actor, BlueskyStore, PostRecord, bsky_time


def labels_of(actor: Actor, store: BlueskyStore) -> list[dict[str, Any]]:
    """Return the actor's self-labels, as the AppView shows those of its profile record."""
    profile = store.other(f"at://{actor.did}/app.bsky.actor.profile/self")
    if profile is None:
        return []
    return [
        {
            "src": actor.did,
            "uri": profile.uri,
            "cid": profile.cid,
            "val": value,
            "cts": bsky_time(actor.user.created_at),
        }
        for value in store.self_labels(actor.did)
    ]


def profile_basic(actor: Actor, store: BlueskyStore) -> dict[str, Any]:
    """app.bsky.actor.defs#profileViewBasic."""
    return {
        "did": actor.did,
        "handle": actor.handle,
        "displayName": actor.user.name,
        "labels": labels_of(actor, store),
        "createdAt": bsky_time(actor.user.created_at),
    }


def profile_view(actor: Actor, store: BlueskyStore) -> dict[str, Any]:
    """app.bsky.actor.defs#profileView."""
    return {
        **profile_basic(actor, store),
        "description": actor.user.description,
        "indexedAt": bsky_time(actor.user.created_at),
    }


def profile_detailed(actor: Actor, store: BlueskyStore) -> dict[str, Any]:
    """app.bsky.actor.defs#profileViewDetailed."""
    return {
        **profile_view(actor, store),
        "followersCount": actor.user.followers,
        "followsCount": actor.user.following,
        "postsCount": store.count(lambda record: record.did == actor.did),
    }


def post_view(record: PostRecord, store: BlueskyStore, indexed_at: datetime) -> dict[str, Any]:
    """app.bsky.feed.defs#postView."""
    return {
        "uri": record.uri,
        "cid": record.cid,
        "author": profile_basic(store.actor(record.did), store),
        "record": record.value,
        "replyCount": store.count(lambda other: other.parent_uri == record.uri),
        "repostCount": 0,
        "likeCount": 0,
        "quoteCount": store.count(lambda other: other.quote_uri == record.uri),
        "indexedAt": bsky_time(indexed_at),
        "viewer": {},
        "labels": [],
        **threadgate_view(record, store),
    }


def threadgate_view(record: PostRecord, store: BlueskyStore) -> dict[str, Any]:
    """Return the root post's `threadgate` (a threadgateView), when its thread has one."""
    if record.root_uri is not None:
        return {}
    gate = store.threadgate(record.uri)
    if gate is None:
        return {}
    return {"threadgate": {"uri": gate.uri, "cid": gate.cid, "record": gate.value, "lists": []}}


def reply_disabled(record: PostRecord, store: BlueskyStore, viewer_did: str | None) -> bool:
    """Whether the thread's gate forbids `viewer_did` to reply (the AppView's viewer.replyDisabled).

    The fake knows no follows or lists: only `mentionRule` can let anyone but the root's author
    reply; an empty `allow` lets nobody; no `allow` lets everybody.
    """
    root = store.live(record.root_uri or record.uri)
    gate = store.threadgate(root.uri) if root is not None else None
    if gate is None or root is None or viewer_did == root.did:
        return False
    allow = gate.value.get("allow")
    if allow is None:
        return False
    mention_rule = "app.bsky.feed.threadgate#mentionRule"
    mentioned = any(isinstance(rule, dict) and rule.get("$type") == mention_rule for rule in allow)
    return not (mentioned and viewer_did in root.mention_dids)


def notification_view(
    record: PostRecord, reason: str, subject: str | None, store: BlueskyStore, indexed_at: datetime
) -> dict[str, Any]:
    """app.bsky.notification.listNotifications#notification."""
    view: dict[str, Any] = {
        "uri": record.uri,
        "cid": record.cid,
        "author": profile_view(store.actor(record.did), store),
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
