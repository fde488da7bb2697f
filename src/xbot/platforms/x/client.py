"""The X adapter: one account on X API v2 through httpx2, implementing `xbot.domain.ports.Platform`.

Candidates are the account's mentions (`GET /2/users/:id/mentions`; replies to our posts carry
our @handle, so they are mentions too) plus quotes of our posts found by recent search:
`(url:"x.com/<handle>/status" OR url:"twitter.com/<handle>/status") is:quote -from:<handle>`
(a quote carries the quoted post's permalink as a URL entity, which `url:` matches). The
watermark is the newest id of the first page of each stream (platform-facts §1.4); search
re-reads `search_overlap` before it, because a post enters the search index late, and never
asks for more than 7 days. Duplicates across streams and overlaps are removed here; the
fetch job's unique key drops the rest.

It never retries a write. The one re-send: after a 401 with an OAuth 2 refresh token, the
token is refreshed and the request sent once more; X answers 401 before acting on a request.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from xbot.domain.cost import reply_charge
from xbot.domain.errors import Ambiguous, NotFound, PlatformError
from xbot.domain.intake import StreamUnavailable
from xbot.domain.meter import Meter
from xbot.domain.posts import CandidateBatch, Post, PostId, Published, RateLimitState, ReplyTarget
from xbot.domain.rate_card import EndpointClass, rate_card
from xbot.platforms.http import Exchange, excerpt, unreadable_body
from xbot.platforms.x.errors import LIMITS, status_error
from xbot.platforms.x.posts import (
    FIELD_PARAMETERS,
    Includes,
    MalformedError,
    Me,
    post_from,
    posts_from,
)
from xbot.platforms.x.stream import StreamOptions, XActivityStream
from xbot.platforms.x.wire import Wire

#: X's snowflake epoch in Unix milliseconds; ids encode their creation time
SNOWFLAKE_EPOCH_MS = 1288834974657
#: recent search reaches back 7 days; stay a little inside that
SEARCH_REACH = timedelta(days=7) - timedelta(hours=1)


@dataclass(frozen=True, kw_only=True, slots=True)
class FetchOptions:
    """How much one fetch reads."""

    #: pages per stream per fetch (100 posts a page)
    max_pages: int = 5
    #: search re-reads this much before the watermark (index lag)
    search_overlap: timedelta = timedelta(minutes=2)
    #: look for quotes of our posts with recent search
    quotes: bool = True


class XPlatform:
    """One X account (DESIGN §9)."""

    name = "x"

    def __init__(  # noqa: PLR0913 - every part but the wire is optional
        self,
        *,
        wire: Wire,
        visibility_grace: timedelta = timedelta(seconds=60),
        fetch: FetchOptions | None = None,
        now: Callable[[], datetime] | None = None,
        meter: Meter | None = None,
        stream: StreamOptions | None = None,
    ) -> None:
        self.visibility_grace = visibility_grace
        #: prices every call as it is made (platform-facts §1.5); jobs write the charges
        self.meter = meter or Meter(rate_card("x"))
        self._wire = wire
        self._fetch = fetch or FetchOptions()
        self._stream_options = stream or StreamOptions()
        self._replayed = threading.Event()
        self._now = now or (lambda: datetime.now(UTC))
        self._me: Me | None = None
        self._limits: dict[str, RateLimitState] = {}

    # --- Platform ---

    def whoami(self) -> tuple[str, str]:
        """Return (user id, handle) from `GET /2/users/me` (asked once, then remembered)."""
        me = self._whoami()
        return me.user_id, me.handle

    def fetch_candidates(self, since: str | None) -> CandidateBatch:
        """Return mentions and quotes newer than `since`, newest first, and the next watermark.

        A watermark that is not a post id (a damaged store) counts as none: read from the top.
        """
        me = self._whoami()
        since = since if since and since.isdigit() else None
        params = {"since_id": since} if since else {}
        path = f"/2/users/{me.user_id}/mentions"
        posts, newest = self._pages(
            "GET /2/users/:id/mentions", path, params, me, EndpointClass.OWNED_READ
        )
        if self._fetch.quotes:
            quotes, newest_quote = self._pages(
                "GET /2/tweets/search/recent",
                "/2/tweets/search/recent",
                self._quote_params(me, since),
                me,
                EndpointClass.POST_READ,
            )
            posts += quotes
            newest += newest_quote
        unique = {post.post_id: post for post in posts}
        ordered = sorted(unique.values(), key=lambda post: int(post.post_id), reverse=True)
        return CandidateBatch(posts=tuple(ordered), watermark=_newest([since, *newest]))

    def publish_reply(self, target: ReplyTarget, text: str, idempotency_key: str) -> Published:
        """`POST /2/tweets` once. X has no idempotency key: a retry re-sends the same text."""
        del idempotency_key  # X has none; its duplicate-content 403 plays that role
        body = {"text": text, "reply": {"in_reply_to_tweet_id": target.post_id}}
        charge = reply_charge(self.meter.card, text, summoned=target.meta.get("summoned") is True)
        try:
            exchange = self._call("POST /2/tweets", "/2/tweets", json=body, write=True)
        except Ambiguous:
            self.meter.write(charge)  # it may have been created, and so billed: count it
            raise
        self.meter.write(charge)
        data = self._object(exchange, "data", write=True)
        post_id = data.get("id")
        if not isinstance(post_id, str) or not post_id.isdigit():
            raise Ambiguous(
                "X accepted POST /2/tweets but its answer has no post id; read back",
                status=exchange.status,
                excerpt=excerpt(exchange.body, self._wire.secrets()),
            )
        return Published(post_id=PostId(post_id))

    def own_recent_posts(self, since: str | None = None, limit: int = 100) -> Sequence[Post]:
        """Return the account's own posts, replies included, newest first."""
        me = self._whoami()
        params: dict[str, str] = {"max_results": str(min(max(limit, 5), 100))}
        if since:
            params["since_id"] = since
        found: list[Post] = []
        token: str | None = None
        while len(found) < limit:
            page_params = {**params, **({"pagination_token": token} if token else {})}
            path = f"/2/users/{me.user_id}/tweets"
            exchange = self._call(
                "GET /2/users/:id/tweets", path, params={**page_params, **FIELD_PARAMETERS}
            )
            page, token = self._page(exchange, me)
            self._billed(EndpointClass.OWNED_READ, page)
            found += page
            if token is None:
                break
        return found[:limit]

    def lookup_post(self, post_id: str) -> Post | None:
        """One post by id, or None when X has no such post (200 errors-only, or 404)."""
        try:
            exchange = self._call(
                "GET /2/tweets/:id", f"/2/tweets/{post_id}", params=FIELD_PARAMETERS
            )
        except NotFound:
            return None
        body = self._json(exchange, write=False)
        if "data" not in body and isinstance(body.get("errors"), list):
            return None
        try:
            post = post_from(body.get("data"), Includes.from_body(body), self._whoami())
        except MalformedError as exc:
            raise self._malformed(exchange, exc) from None
        owned = post.author_id == self._whoami().user_id
        self._billed(EndpointClass.OWNED_READ if owned else EndpointClass.POST_READ, [post])
        return post

    def mention_stream(self) -> XActivityStream:
        """Return the account's Activity API stream (the optional `Streaming` capability).

        Raise StreamUnavailable when the adapter was built without one (an in-process transport
        in tests: there is no connection to hold open).
        """
        if self._stream_options.unavailable:
            raise StreamUnavailable(self._stream_options.unavailable)
        return XActivityStream(
            wire=self._wire, whoami=self._whoami, now=self._now, meter=self.meter,
            options=self._stream_options, replayed=self._replayed,
        )  # fmt: skip

    def rate_limits(self) -> Mapping[str, RateLimitState]:
        """Return the last `x-rate-limit-*` headers seen, per endpoint."""
        return dict(self._limits)

    def close(self) -> None:
        """Release connections."""
        self._wire.close()

    # --- helpers ---

    def _whoami(self) -> Me:
        if self._me is None:
            exchange = self._call("GET /2/users/me", "/2/users/me")
            data = self._object(exchange, "data", write=False)
            user_id, handle = data.get("id"), data.get("username")
            if not isinstance(user_id, str) or not isinstance(handle, str):
                raise self._malformed(exchange, MalformedError("users/me lacks `id` or `username`"))
            self._me = Me(user_id=user_id, handle=handle)
            # the account's own user: priced as an owned read, like the fake X bills it
            self.meter.read(EndpointClass.OWNED_READ, [f"user:{user_id}"], self._now())
        return self._me

    def _quote_params(self, me: Me, since: str | None) -> dict[str, str]:
        handle = me.handle
        urls = f'(url:"x.com/{handle}/status" OR url:"twitter.com/{handle}/status")'
        query = f"{urls} is:quote -from:{handle}"
        floor = snowflake_at(self._now() - SEARCH_REACH)
        start = floor
        if since:
            start = max(floor, int(since) - _snowflake_span(self._fetch.search_overlap))
        return {"query": query, "since_id": str(start)}

    def _pages(
        self,
        endpoint: str,
        path: str,
        params: Mapping[str, str],
        me: Me,
        billed_as: EndpointClass,
    ) -> tuple[list[Post], list[str | None]]:
        """Follow `next_token` with the same since_id; the first page's newest_id is the mark."""
        found: list[Post] = []
        newest: str | None = None
        token: str | None = None
        for index in range(self._fetch.max_pages):
            page_params = {**params, "max_results": "100", **FIELD_PARAMETERS}
            if token:
                page_params["pagination_token"] = token
            exchange = self._call(endpoint, path, params=page_params)
            page, token = self._page(exchange, me)
            self._billed(billed_as, page)
            if index == 0:
                newest = self._meta(exchange).get("newest_id")
            found += page
            if token is None:
                break
        return found, [newest]

    def _billed(self, endpoint_class: EndpointClass, posts: Sequence[Post]) -> None:
        """Price one read call by the posts it returned (X bills per resource)."""
        self.meter.read(endpoint_class, [post.post_id for post in posts], self._now())

    def _page(self, exchange: Exchange, me: Me) -> tuple[list[Post], str | None]:
        body = self._json(exchange, write=False)
        try:
            posts = posts_from(body, me)
        except MalformedError as exc:
            raise self._malformed(exchange, exc) from None
        token = self._meta(exchange).get("next_token")
        return posts, token if isinstance(token, str) and token else None

    def _call(
        self,
        endpoint: str,
        path: str,
        *,
        params: Mapping[str, str] | None = None,
        json: Any = None,
        write: bool = False,
    ) -> Exchange:
        exchange = self._wire.exchange(endpoint, path, params=params, json=json, write=write)
        self._note_limits(endpoint, exchange.headers)
        if not 200 <= exchange.status < 300:
            raise status_error(
                exchange.status, exchange.body, exchange.headers,
                endpoint=endpoint, write=write, secrets=self._wire.secrets(),
            )  # fmt: skip
        return exchange

    def _json(self, exchange: Exchange, *, write: bool) -> dict[str, Any]:
        try:
            body = exchange.json()
        except ValueError as exc:
            raise self._malformed(exchange, exc, write=write) from None
        if not isinstance(body, dict):
            raise self._malformed(
                exchange, MalformedError("the body is not an object"), write=write
            )
        return body

    def _malformed(
        self, exchange: Exchange, exc: Exception, *, write: bool = False
    ) -> PlatformError:
        return unreadable_body("X", exchange, exc, write=write, secrets=self._wire.secrets())

    def _object(self, exchange: Exchange, name: str, *, write: bool) -> dict[str, Any]:
        body = self._json(exchange, write=write)
        value = body.get(name)
        if not isinstance(value, dict):
            raise self._malformed(exchange, MalformedError(f"no object `{name}`"), write=write)
        return value

    def _meta(self, exchange: Exchange) -> dict[str, Any]:
        meta = self._json(exchange, write=False).get("meta", {})
        return meta if isinstance(meta, dict) else {}

    def _note_limits(self, endpoint: str, headers: Mapping[str, str]) -> None:
        if (state := LIMITS.state(endpoint, headers)) is not None:
            self._limits[endpoint] = state


def snowflake_at(moment: datetime) -> int:
    """Return the smallest snowflake id X could give a post created at `moment`."""
    return max(int(moment.timestamp() * 1000) - SNOWFLAKE_EPOCH_MS, 0) << 22


def _snowflake_span(span: timedelta) -> int:
    return int(span.total_seconds() * 1000) << 22


def _newest(ids: Sequence[str | None]) -> str | None:
    numbers = [int(value) for value in ids if value and value.isdigit()]
    return str(max(numbers)) if numbers else None
