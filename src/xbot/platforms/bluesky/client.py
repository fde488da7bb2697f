"""The Bluesky adapter: one account over XRPC through httpx2, implementing the Platform port.

Candidates are the account's notifications with reason mention, reply or quote
(`app.bsky.notification.listNotifications`), optionally plus `searchPosts` results; the reads
live in `reading`, the profile's bot self-label in `labels`.

A reply is `com.atproto.repo.createRecord` under the record key derived from the permit id
(`records.rkey_for`), after a `getRecord` of that key: if the record exists, an earlier attempt
landed and its URI is returned; nothing is ever created twice. A failed create that may mean
"already exists" (500, or the named 400) is answered by reading the record back.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from xbot.domain.errors import Ambiguous, NotFound, PlatformError, PlatformMisconfigured
from xbot.domain.intake import StreamUnavailable
from xbot.domain.posts import CandidateBatch, Post, PostId, Published, RateLimitState, ReplyTarget
from xbot.platforms.bluesky import labels, reading
from xbot.platforms.bluesky.answers import Answers, parsed
from xbot.platforms.bluesky.errors import maybe_exists
from xbot.platforms.bluesky.own_posts import own_posts_from_repo
from xbot.platforms.bluesky.posts import MalformedError, Me, from_post_view, parse_time
from xbot.platforms.bluesky.profiles import AuthorProfiles
from xbot.platforms.bluesky.records import (
    POST_COLLECTION,
    mention_facets,
    post_uri,
    reply_record,
    rkey_for,
)
from xbot.platforms.bluesky.stream import (
    BuiltPosts,
    JetstreamOptions,
    JetstreamStream,
    StreamLookups,
)
from xbot.platforms.bluesky.wire import XrpcWire
from xbot.platforms.http import Exchange, excerpt

GET_POST_THREAD = "app.bsky.feed.getPostThread"
CREATE_RECORD = "com.atproto.repo.createRecord"
GET_SESSION = "com.atproto.server.getSession"
RESOLVE_HANDLE = "com.atproto.identity.resolveHandle"
#: Bluesky's text limit (the content guard enforces it; the PDS would refuse longer text)
MAX_GRAPHEMES = 300


@dataclass(frozen=True, kw_only=True, slots=True)
class FetchOptions:
    """How much one fetch reads."""

    #: notification pages per fetch (100 a page)
    max_pages: int = 5
    #: searchPosts queries to read besides notifications (opt-in: bots should wait to be tagged)
    search_queries: tuple[str, ...] = ()
    #: search re-reads this much before the watermark (the search index lags)
    search_overlap: timedelta = timedelta(minutes=5)


class BlueskyPlatform:
    """One Bluesky account (DESIGN §9)."""

    name = "bluesky"
    max_graphemes = MAX_GRAPHEMES

    def __init__(
        self,
        *,
        wire: XrpcWire,
        visibility_grace: timedelta = timedelta(seconds=60),
        fetch: FetchOptions | None = None,
        now: Callable[[], datetime] | None = None,
        jetstream: JetstreamOptions | None = None,
    ) -> None:
        self.visibility_grace = visibility_grace
        self._wire = wire
        self._fetch = fetch or FetchOptions()
        self._now = now or (lambda: datetime.now(UTC))
        self._answers = Answers(wire.secrets)
        self._jetstream = jetstream
        self._profiles = AuthorProfiles(lambda did: reading.profile(self._read, self._answers, did))
        self._streamed = BuiltPosts()

    # --- Platform ---

    def whoami(self) -> tuple[str, str]:
        """Return (DID, handle) of the session's account."""
        me = self._me()
        return me.did, me.handle

    def check_session(self) -> tuple[str, str]:
        """Ask the server who the session is (`getSession`): (DID, handle); beyond the port."""
        body = self._answers.json(self._read(GET_SESSION, {}))
        did, handle = body.get("did"), body.get("handle")
        if not isinstance(did, str) or not isinstance(handle, str):
            return self.whoami()
        return did, handle

    def fetch_candidates(self, since: str | None) -> CandidateBatch:
        """Mentions, replies and quotes indexed at or after `since`, newest first."""
        me = self._me()
        floor = parse_time(since) if since else None
        options = self._fetch
        posts, newest = reading.notifications(
            self._read, self._answers, me, floor, max_pages=options.max_pages
        )
        for query in options.search_queries:
            since_floor = floor - options.search_overlap if floor else None
            posts += reading.search(self._read, self._answers, me, query, since_floor)
        unique = {post.post_id: post for post in posts if post.author_id != me.did}
        roots = {str(post.meta["root_uri"]) for post in unique.values()}
        gated = reading.gated_roots(self._read, self._answers, me, roots)
        marked = [
            replace(post, reply_disabled=True) if post.meta["root_uri"] in gated else post
            for post in unique.values()
        ]
        ordered = sorted(marked, key=lambda post: post.created_at, reverse=True)
        watermark = newest.isoformat() if newest else since
        return CandidateBatch(posts=tuple(ordered), watermark=watermark)

    def publish_reply(self, target: ReplyTarget, text: str, idempotency_key: str) -> Published:
        """Create the reply under the permit's record key, unless that record already exists."""
        me = self._me()
        rkey = rkey_for(idempotency_key)
        existing = self._own_post(me, rkey)
        if existing is not None:
            return Published(post_id=existing.post_id, created_at=existing.created_at)
        parent, root = self._refs(target, me)
        now = self._now()
        facets = mention_facets(text, self._resolver(target, me))
        record = reply_record(text, created_at=now, root=root, parent=parent, facets=facets)
        body = {"repo": me.did, "collection": POST_COLLECTION, "rkey": rkey, "record": record}
        exchange = self._wire.call("POST", CREATE_RECORD, json=body, write=True)
        self._answers.note_limits(exchange)
        if not 200 <= exchange.status < 300:
            return self._after_refused_create(exchange, me, rkey)
        uri = self._answers.json(exchange, write=True).get("uri")
        if not isinstance(uri, str) or not uri.startswith("at://"):
            raise self._answers.malformed(exchange, MalformedError("no `uri`"), write=True)
        return Published(post_id=PostId(uri), created_at=now)

    def own_recent_posts(self, since: str | None = None, limit: int = 100) -> Sequence[Post]:
        """Return the account's own posts, replies included, newest first, down to `since`.

        They come from the AppView's getAuthorFeed or, when the PDS has no AppView configured,
        from the repository itself (`own_posts.own_posts_from_repo`). A failing AppView (5xx)
        stays Transient: the next read tries it again.
        """
        me = self._me()
        try:
            return reading.own_feed(self._read, self._answers, me, since, limit)
        except PlatformMisconfigured:
            return own_posts_from_repo(self._read, self._answers, me, since=since, limit=limit)

    def lookup_post(self, post_id: str) -> Post | None:
        """One post by at:// URI: own posts from the repository, others from the AppView."""
        me = self._me()
        prefix = f"at://{me.did}/{POST_COLLECTION}/"
        if post_id.startswith(prefix):
            return self._own_post(me, post_id.removeprefix(prefix))
        params = {"uri": post_id, "depth": "0", "parentHeight": "0"}
        try:
            body = self._answers.json(self._read(GET_POST_THREAD, params))
        except NotFound:
            return None
        thread = body.get("thread")
        if not isinstance(thread, dict) or "post" not in thread:
            return None  # notFoundPost or blockedPost
        return parsed(from_post_view, thread["post"], me)

    def rate_limits(self) -> Mapping[str, RateLimitState]:
        """Return the last `ratelimit-*` headers seen, per endpoint."""
        return dict(self._answers.limits)

    def close(self) -> None:
        """Release connections."""
        self._wire.close()

    # --- Streaming ---

    def mention_stream(self) -> JetstreamStream:
        """Return the account's Jetstream consumer (`stream`): summoning posts as they are made.

        Raise StreamUnavailable when the adapter was built without a Jetstream (an in-process
        transport in tests: there is no network to stream over).
        """
        if self._jetstream is None:
            raise StreamUnavailable("no Jetstream for this Bluesky adapter (in-process transport)")
        lookups = StreamLookups(
            me=self._me,
            author=self._profiles.get,
            gated=lambda me, roots: reading.gated_roots(self._read, self._answers, me, roots),
        )
        return JetstreamStream(self._jetstream, lookups, now=self._now, built=self._streamed)

    # --- labels ---

    def bot_label(self) -> bool:
        """Return whether the profile record carries the `bot` self-label (facts §2.7, §5.4)."""
        return labels.has_bot_label(self._read, self._answers, self._me())

    def apply_bot_label(self) -> None:
        """Add the `bot` self-label to the profile record, keeping every other field."""
        labels.apply_bot_label(self._read, self._write, self._answers, self._me())

    # --- reading ---

    def _me(self) -> Me:
        session = self._wire.session()
        return Me(did=session.did, handle=session.handle)

    def _own_post(self, me: Me, rkey: str) -> Post | None:
        return reading.own_post(self._read, self._answers, me, rkey)

    def _read(self, nsid: str, params: Mapping[str, Any]) -> Exchange:
        exchange = self._wire.call("GET", nsid, params=params)
        self._answers.note_limits(exchange)
        if not 200 <= exchange.status < 300:
            raise self._answers.error(exchange, write=False)
        return exchange

    def _write(self, nsid: str, body: Mapping[str, Any]) -> Exchange:
        exchange = self._wire.call("POST", nsid, json=dict(body), write=True)
        self._answers.note_limits(exchange)
        if not 200 <= exchange.status < 300:
            raise self._answers.error(exchange, write=True)
        return exchange

    # --- writing ---

    def _refs(self, target: ReplyTarget, me: Me) -> tuple[dict[str, str], dict[str, str]]:
        """Return (parent, root) strong refs, from the target's meta or by looking it up."""
        meta = target.meta
        if not meta.get("cid"):
            found = self.lookup_post(target.post_id)
            if found is None:
                raise NotFound(f"the post to reply to is gone: {target.post_id}")
            meta = found.meta
        parent = {"uri": target.post_id, "cid": str(meta["cid"])}
        root_uri, root_cid = meta.get("root_uri"), meta.get("root_cid")
        root = {"uri": str(root_uri), "cid": str(root_cid)} if root_uri and root_cid else parent
        del me
        return parent, root

    def _resolver(self, target: ReplyTarget, me: Me) -> Callable[[str], str | None]:
        known: dict[str, str | None] = {me.handle.lower(): me.did}
        if target.meta.get("author_did"):
            known[target.author_handle.lower()] = str(target.meta["author_did"])

        def resolve(handle: str) -> str | None:
            if handle in known:
                return known[handle]
            try:
                body = self._answers.json(self._read(RESOLVE_HANDLE, {"handle": handle}))
            except PlatformError as exc:
                if exc.status not in {400, 404}:
                    raise  # nothing is sent yet: a transient failure defers the whole reply
                body = {}
            did = body.get("did")
            known[handle] = did if isinstance(did, str) and did.startswith("did:") else None
            return known[handle]

        return resolve

    def _after_refused_create(self, exchange: Exchange, me: Me, rkey: str) -> Published:
        if not maybe_exists(exchange.status, exchange.body):
            raise self._answers.error(exchange, write=True)
        try:
            existing = self._own_post(me, rkey)
        except PlatformError as exc:
            raise Ambiguous(
                f"createRecord answered {exchange.status} and the read-back failed: {exc}"
            ) from None
        if existing is None:
            raise Ambiguous(
                f"Bluesky answered {exchange.status} to createRecord and the record "
                f"{post_uri(me.did, rkey)} is not there; read back before any retry",
                status=exchange.status, excerpt=excerpt(exchange.body, self._wire.secrets()),
            )  # fmt: skip
        return Published(post_id=existing.post_id, created_at=existing.created_at)
