"""AppView methods of the fake Bluesky: notifications, feeds, search, threads, profiles.

AppView views are eventually consistent (platform-facts §2.6): another account's post shows in
views `view_delay_seconds` after it was written, in notifications after
`notification_delay_seconds` and in search after `search_delay_seconds`. The requester's *own*
posts show at once in getAuthorFeed and getPostThread (the PDS's read-after-write patch).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import Any, TypeVar

from starlette.responses import Response

from xbot.sim.bluesky.state import PostRecord, author_of
from xbot.sim.bluesky.views import (
    not_found_post,
    notification_view,
    post_view,
    profile_detailed,
    reply_disabled,
)
from xbot.sim.bluesky.xrpc import Method, XrpcCall, XrpcError, invalid_request

T = TypeVar("T")
#: (sort time, uri, item): what a page is cut from, newest first
Keyed = tuple[datetime, str, T]


def appview_methods() -> dict[str, Method]:
    """Return the AppView's XRPC methods by NSID."""
    feed = "app.bsky.feed."
    return {
        "app.bsky.notification.listNotifications": Method(
            verb="GET", auth="required", handler=list_notifications
        ),
        feed + "getAuthorFeed": Method(verb="GET", auth="optional", handler=get_author_feed),
        feed + "searchPosts": Method(verb="GET", auth="optional", handler=search_posts),
        feed + "getPostThread": Method(verb="GET", auth="optional", handler=get_post_thread),
        feed + "getPosts": Method(verb="GET", auth="optional", handler=get_posts),
        "app.bsky.actor.getProfile": Method(verb="GET", auth="optional", handler=get_profile),
    }


def page(call: XrpcCall, items: list[Keyed[T]], limit: int) -> tuple[list[Keyed[T]], str | None]:
    """Cut one page after the request's cursor; return it and the next cursor (None at the end)."""
    ordered = sorted(items, key=lambda item: (item[0], item[1]), reverse=True)
    cursor = call.param("cursor")
    if cursor:
        micros, _, uri = cursor.partition("|")
        try:
            after = (int(micros), uri)
        except ValueError:
            raise invalid_request("Malformed cursor") from None
        ordered = [item for item in ordered if (_micros(item[0]), item[1]) < after]
    chunk = ordered[:limit]
    more = len(ordered) > limit
    next_cursor = f"{_micros(chunk[-1][0])}|{chunk[-1][1]}" if more and chunk else None
    return chunk, next_cursor


def _micros(moment: datetime) -> int:
    return int(moment.timestamp() * 1_000_000)


def _seen_at(call: XrpcCall, record: PostRecord, delay: float) -> datetime | None:
    """When an AppView view shows the record, or None while it does not yet."""
    own = call.claims is not None and call.claims.did == record.did
    at = record.indexed_at + timedelta(seconds=0 if own else delay)
    return at if at <= call.now else None


def _reason(record: PostRecord, did: str) -> tuple[str | None, str | None]:
    # the thread's root author hears of every reply in it, like the parent's author
    if did in {author_of(record.parent_uri), author_of(record.root_uri)}:
        return "reply", record.parent_uri
    if author_of(record.quote_uri) == did:
        return "quote", record.quote_uri
    if did in record.mention_dids:
        return "mention", None
    return None, None


def list_notifications(call: XrpcCall) -> Response:
    """app.bsky.notification.listNotifications: mentions, replies and quotes of the account."""
    did, limit, wanted = call.did, call.limit(50), set(call.params("reasons"))
    delay = call.fake.settings.notification_delay_seconds
    items: list[Keyed[dict[str, Any]]] = []
    for record in call.fake.store.select(lambda r: r.did != did):
        reason, subject = _reason(record, did)
        indexed_at = record.indexed_at + timedelta(seconds=delay)
        if reason is None or (wanted and reason not in wanted) or indexed_at > call.now:
            continue
        view = notification_view(record, reason, subject, call.fake.store, indexed_at)
        items.append((indexed_at, record.uri, view))
    chunk, cursor = page(call, items, limit)
    body: dict[str, Any] = {"notifications": [item[2] for item in chunk], "priority": False}
    if cursor:
        body["cursor"] = cursor
    return call.answer(body)


def _posts_page(
    call: XrpcCall, records: Sequence[PostRecord], delay: float, limit: int
) -> tuple[list[dict[str, Any]], str | None]:
    items: list[Keyed[PostRecord]] = []
    for record in records:
        seen = _seen_at(call, record, delay)
        if seen is not None:
            items.append((seen, record.uri, record))
    chunk, cursor = page(call, items, limit)
    return [post_view(record, call.fake.store, seen) for seen, _, record in chunk], cursor


def _actor(call: XrpcCall, name: str = "actor") -> Any:
    actor = call.fake.store.find_actor(call.required(name))
    if actor is None:
        raise invalid_request("Profile not found")
    return actor


def get_author_feed(call: XrpcCall) -> Response:
    """app.bsky.feed.getAuthorFeed; replies included unless filter=posts_no_replies."""
    actor = _actor(call)
    limit = call.limit(50)
    no_replies = call.param("filter") == "posts_no_replies"
    records = call.fake.store.select(
        lambda r: r.did == actor.did and not (no_replies and r.parent_uri)
    )
    views, cursor = _posts_page(call, records, call.fake.settings.view_delay_seconds, limit)
    body: dict[str, Any] = {"feed": [{"post": view} for view in views]}
    if cursor:
        body["cursor"] = cursor
    return call.answer(body)


def _search_filter(call: XrpcCall) -> Callable[[PostRecord], bool]:
    terms = [term.lower() for term in call.required("q").split()]
    author = _actor(call, "author").did if call.param("author") else None
    mentions = _actor(call, "mentions").did if call.param("mentions") else None
    lang = call.param("lang")

    def keep(record: PostRecord) -> bool:
        text = record.text.lower()
        return (
            all(term in text for term in terms)
            and (author is None or record.did == author)
            and (mentions is None or mentions in record.mention_dids)
            and (lang is None or lang in (record.value.get("langs") or []))
        )

    return keep


def search_posts(call: XrpcCall) -> Response:
    """app.bsky.feed.searchPosts (sort latest); new posts show only after the search delay."""
    keep = _search_filter(call)
    limit = call.limit(25)
    delay = call.fake.settings.search_delay_seconds
    records = [
        record
        for record in call.fake.store.select(keep)
        if record.indexed_at + timedelta(seconds=delay) <= call.now
    ]
    views, cursor = _posts_page(call, records, delay, limit)
    body: dict[str, Any] = {"posts": views, "hitsTotal": len(records)}
    if cursor:
        body["cursor"] = cursor
    return call.answer(body)


def _thread(call: XrpcCall, record: PostRecord, depth: int, height: int) -> dict[str, Any]:
    delay = call.fake.settings.view_delay_seconds
    seen = _seen_at(call, record, delay) or call.now
    thread: dict[str, Any] = {
        "$type": "app.bsky.feed.defs#threadViewPost",
        "post": _viewed(call, record, post_view(record, call.fake.store, seen)),
    }
    if record.parent_uri and height > 0:
        parent = call.fake.store.live(record.parent_uri)
        visible = parent is not None and _seen_at(call, parent, delay) is not None
        thread["parent"] = (
            _thread(call, parent, 0, height - 1)
            if parent is not None and visible
            else not_found_post(record.parent_uri)
        )
    if depth > 0:
        replies = call.fake.store.select(lambda r: r.parent_uri == record.uri)
        thread["replies"] = [
            _thread(call, reply, depth - 1, 0)
            for reply in replies
            if _seen_at(call, reply, delay) is not None
        ]
    return thread


def _int_param(call: XrpcCall, name: str, default: int) -> int:
    try:
        value = int(call.param(name) or default)
    except ValueError:
        raise invalid_request(f"Error: {name} must be an integer") from None
    if not 0 <= value <= 1000:
        raise invalid_request(f"Error: {name} must be between 0 and 1000")
    return value


def get_post_thread(call: XrpcCall) -> Response:
    """app.bsky.feed.getPostThread; a post not (yet) visible is NotFound."""
    uri = call.required("uri")
    depth, height = _int_param(call, "depth", 6), _int_param(call, "parentHeight", 80)
    record = call.fake.store.live(uri)
    delay = call.fake.settings.view_delay_seconds
    if record is None or _seen_at(call, record, delay) is None:
        raise XrpcError(400, "NotFound", f"Post not found: {uri}")
    return call.answer({"thread": _thread(call, record, depth, height)})


def get_posts(call: XrpcCall) -> Response:
    """app.bsky.feed.getPosts: up to 25 URIs; missing or not yet visible posts are left out."""
    uris = call.params("uris")
    if len(uris) > 25:
        raise invalid_request("Error: uris must not have more than 25 elements")
    delay = call.fake.settings.view_delay_seconds
    views = []
    for uri in uris:
        record = call.fake.store.live(uri)
        seen = _seen_at(call, record, delay) if record is not None else None
        if record is not None and seen is not None:
            views.append(_viewed(call, record, post_view(record, call.fake.store, seen)))
    return call.answer({"posts": views})


def _viewed(call: XrpcCall, record: PostRecord, view: dict[str, Any]) -> dict[str, Any]:
    """Add what the signed-in viewer may do: `viewer.replyDisabled` under a threadgate."""
    if call.claims is not None and reply_disabled(record, call.fake.store, call.claims.did):
        view["viewer"] = {**view["viewer"], "replyDisabled": True}
    return view


def get_profile(call: XrpcCall) -> Response:
    """app.bsky.actor.getProfile."""
    return call.answer(profile_detailed(_actor(call), call.fake.store))
