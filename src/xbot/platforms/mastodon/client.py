"""The Mastodon adapter: one account on one instance through httpx2, implementing the Platform port.

Candidates are mention notifications (`GET /api/v1/notifications?types[]=mention`), optionally
plus hashtag timelines; each stream's watermark is the newest id of its first page, sent back
as `since_id`, and later pages follow the `Link` header's `max_id` with the same `since_id`
(platform-facts §3.3; see `watermark` for how the streams share one string).

A reply is `POST /api/v1/statuses` with `in_reply_to_id`, the account's configured visibility,
and `Idempotency-Key: <permit id>`: Mastodon answers a repeat of the key within an hour with the
original status instead of posting again, so a retry after an ambiguous outcome is safe.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Literal, TypeVar

from xbot.domain.errors import BadResponse, NotFound, PlatformError
from xbot.domain.intake import StreamUnavailable
from xbot.domain.posts import CandidateBatch, Post, PostId, Published, RateLimitState, ReplyTarget
from xbot.platforms.http import Exchange, unreadable_body
from xbot.platforms.mastodon import relationships
from xbot.platforms.mastodon.errors import LIMITS, status_error
from xbot.platforms.mastodon.statuses import (
    MalformedError,
    Me,
    newest_id,
    next_max_id,
    post_from,
    summons,
)
from xbot.platforms.mastodon.stream import MastodonUserStream, StreamOptions, streaming_base
from xbot.platforms.mastodon.watermark import Watermark
from xbot.platforms.mastodon.wire import MastodonWire

T = TypeVar("T")
Visibility = Literal["public", "unlisted", "private", "direct"]
#: Mastodon's default status length; an instance may configure another (`text_limit()`)
DEFAULT_MAX_CHARACTERS = 500
#: page sizes: notifications take up to 80 on Mastodon (40 on some servers), statuses 40
PAGE_SIZE = 40


@dataclass(frozen=True, kw_only=True, slots=True)
class FetchOptions:
    """How much one fetch reads."""

    #: pages per stream per fetch
    max_pages: int = 5
    #: hashtag timelines to read besides mentions (opt-in: bots should wait to be mentioned)
    hashtags: tuple[str, ...] = ()


class MastodonPlatform:
    """One Mastodon account (DESIGN §9)."""

    name = "mastodon"

    def __init__(  # noqa: PLR0913 - every part but the wire is optional
        self,
        *,
        wire: MastodonWire,
        visibility: Visibility = "public",
        visibility_grace: timedelta = timedelta(seconds=30),
        fetch: FetchOptions | None = None,
        now: Callable[[], datetime] | None = None,
        stream: StreamOptions | None = None,
        streaming: bool = True,
    ) -> None:
        self.visibility = visibility
        self.visibility_grace = visibility_grace
        self._wire = wire
        self._fetch = fetch or FetchOptions()
        self._stream = stream or StreamOptions()
        self._streaming = streaming
        self._now = now or (lambda: datetime.now(UTC))
        self._me: Me | None = None
        self._limits: dict[str, RateLimitState] = {}
        self._relationship_cache = relationships.RelationshipCache()

    # --- Platform ---

    def whoami(self) -> tuple[str, str]:
        """Return (account id, acct) from verify_credentials (asked once, then remembered)."""
        me = self._whoami()
        return me.account_id, me.acct

    def fetch_candidates(self, since: str | None) -> CandidateBatch:
        """Mention notifications (and hashtag posts) newer than the watermark, newest first."""
        me = self._whoami()
        mark = Watermark.parse(since)
        found: dict[str, Post] = {}
        tags: dict[str, str] = {}
        for tag in self._fetch.hashtags:
            statuses, newest_tag = self._paged(
                "GET /api/v1/timelines/tag/:hashtag", f"/api/v1/timelines/tag/{tag}", {},
                mark.tags.get(tag),
            )  # fmt: skip
            for status in statuses:
                post = _parsed(post_from, status, me, summoned=summons(status, me))
                found[post.post_id] = post
            tags[tag] = newest_id([mark.tags.get(tag), newest_tag]) or ""
        items, newest = self._paged(
            "GET /api/v1/notifications", "/api/v1/notifications", {"types[]": "mention"},
            mark.notifications,
        )  # fmt: skip
        for item in items:
            if _is_mention(item):
                post = self._candidate(item, me)
                found[post.post_id] = post  # a mention wins over the same post seen by hashtag
        posts = [post for post in found.values() if post.author_id != me.account_id]
        posts = relationships.with_relationships(posts, self._relationships) if posts else posts
        ordered = sorted(posts, key=lambda post: (len(post.post_id), post.post_id), reverse=True)
        notifications = newest_id([mark.notifications, newest])
        watermark = Watermark(
            notifications=notifications, tags={k: v for k, v in tags.items() if v}
        )
        return CandidateBatch(posts=tuple(ordered), watermark=watermark.dump())

    def publish_reply(self, target: ReplyTarget, text: str, idempotency_key: str) -> Published:
        """`POST /api/v1/statuses` once, with the permit id as its Idempotency-Key."""
        body = {"status": text, "in_reply_to_id": target.post_id, "visibility": self.visibility}
        exchange = self._call(
            "POST /api/v1/statuses", "/api/v1/statuses", json=body,
            headers={"Idempotency-Key": idempotency_key}, write=True,
        )  # fmt: skip
        status = self._json(exchange, write=True)
        post_id = status.get("id")
        if not isinstance(post_id, str) or not post_id:
            raise self._malformed(exchange, MalformedError("no status `id`"), write=True)
        created = status.get("created_at")
        try:
            created_at = datetime.fromisoformat(created) if isinstance(created, str) else None
        except ValueError:
            created_at = None
        return Published(post_id=PostId(post_id), created_at=created_at)

    def own_recent_posts(self, since: str | None = None, limit: int = 100) -> Sequence[Post]:
        """Return the account's own statuses, replies included, newest first."""
        me = self._whoami()
        base = {"limit": str(min(max(limit, 1), PAGE_SIZE)), "exclude_reblogs": "true"}
        if since:
            base["since_id"] = since
        found: list[Post] = []
        max_id: str | None = None
        path = f"/api/v1/accounts/{me.account_id}/statuses"
        while len(found) < limit:
            params = {**base, **_max_id(max_id)}
            exchange = self._call("GET /api/v1/accounts/:id/statuses", path, params=params)
            items = self._list(exchange)
            found += [_parsed(post_from, item, me) for item in items]
            max_id = next_max_id(exchange.headers)
            if not items or max_id is None:
                break
        return found[:limit]

    def lookup_post(self, post_id: str) -> Post | None:
        """One status by id, or None when the instance has no such status (404)."""
        try:
            exchange = self._call("GET /api/v1/statuses/:id", f"/api/v1/statuses/{post_id}")
        except NotFound:
            return None
        return _parsed(post_from, self._json(exchange), self._whoami())

    def rate_limits(self) -> Mapping[str, RateLimitState]:
        """Return the last `X-RateLimit-*` headers seen, per endpoint."""
        return dict(self._limits)

    def close(self) -> None:
        """Release connections."""
        self._wire.close()

    # --- beyond the port ---

    def text_limit(self) -> int:
        """Return the instance's status length limit (`GET /api/v2/instance`), default 500."""
        exchange = self._call("GET /api/v2/instance", "/api/v2/instance")
        configuration = self._json(exchange).get("configuration")
        statuses = configuration.get("statuses") if isinstance(configuration, dict) else None
        limit = statuses.get("max_characters") if isinstance(statuses, dict) else None
        return limit if isinstance(limit, int) and limit > 0 else DEFAULT_MAX_CHARACTERS

    # --- Streaming (xbot.domain.intake) ---

    def mention_stream(self) -> MastodonUserStream:
        """Return the account's `user:notification` stream (mentions pushed as they happen)."""
        if not self._streaming:
            raise StreamUnavailable("the adapter talks to an in-process transport: no websocket")
        return MastodonUserStream(
            streaming_url=self.streaming_url, token=self._wire.token(), me=self._whoami,
            options=self._stream, now=self._now, mark=self._streamed_relationships,
        )  # fmt: skip

    def _streamed_relationships(self, post: Post) -> Post:
        # the poll's rule for a streamed mention: blocks and mutes opt its author out
        (marked,) = self._relationship_cache.mark([post], self._relationships, self._now())
        return marked

    def streaming_url(self) -> str:
        """Return the websocket origin of the streaming API (`configuration.urls.streaming`)."""
        exchange = self._call("GET /api/v2/instance", "/api/v2/instance")
        configuration = self._json(exchange).get("configuration")
        urls = configuration.get("urls") if isinstance(configuration, dict) else None
        advertised = urls.get("streaming") if isinstance(urls, dict) else None
        return streaming_base(advertised, self._wire.base_url())

    # --- labels ---

    def bot_label(self) -> bool:
        """Return whether the account's `bot` flag is set (verify_credentials, facts §3.5)."""
        path = "/api/v1/accounts/verify_credentials"
        account = self._json(self._call("GET /api/v1/accounts/verify_credentials", path))
        return account.get("bot") is True

    def apply_bot_label(self) -> None:
        """Set the `bot` flag: `PATCH /api/v1/accounts/update_credentials` `bot=true`."""
        path = "/api/v1/accounts/update_credentials"
        self._call("PATCH /api/v1/accounts/update_credentials", path, form={"bot": "true"},
                   write=True)  # fmt: skip

    # --- helpers ---

    def _whoami(self) -> Me:
        if self._me is None:
            path = "/api/v1/accounts/verify_credentials"
            exchange = self._call("GET /api/v1/accounts/verify_credentials", path)
            account = self._json(exchange)
            account_id, acct = account.get("id"), account.get("acct") or account.get("username")
            if not isinstance(account_id, str) or not isinstance(acct, str):
                raise self._malformed(exchange, MalformedError("the account lacks `id` or `acct`"))
            self._me = Me(account_id=account_id, acct=acct)
        return self._me

    def _relationships(self, account_ids: Sequence[str]) -> list[Any]:
        params = relationships.relationship_params(account_ids)
        return self._list(self._call(relationships.ENDPOINT, relationships.PATH, params=params))

    def _candidate(self, item: Mapping[str, Any], me: Me) -> Post:
        return _parsed(post_from, item.get("status"), me, summoned=True)

    def _paged(
        self, endpoint: str, path: str, params: Mapping[str, str], since: str | None
    ) -> tuple[list[Any], str | None]:
        """Read up to max_pages with a fixed since_id; the mark is the first page's newest id."""
        base = {**params, "limit": str(PAGE_SIZE), **({"since_id": since} if since else {})}
        found: list[Any] = []
        newest: str | None = None
        max_id: str | None = None
        for index in range(self._fetch.max_pages):
            exchange = self._call(endpoint, path, params={**base, **_max_id(max_id)})
            items = self._list(exchange)
            if index == 0:
                newest = newest_id(
                    [str(item.get("id")) for item in items if isinstance(item, dict)]
                )
            found += items
            max_id = next_max_id(exchange.headers)
            if not items or max_id is None:
                break
        return found, newest

    def _call(  # noqa: PLR0913 - one request's parts
        self,
        endpoint: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        headers: Mapping[str, str] | None = None,
        write: bool = False,
        form: Mapping[str, str] | None = None,
    ) -> Exchange:
        exchange = self._wire.exchange(
            endpoint, path, params=params, json=json, headers=headers, write=write, form=form
        )
        self._note_limits(endpoint, exchange.headers)
        if not 200 <= exchange.status < 300:
            raise status_error(
                exchange.status, exchange.body, exchange.headers,
                endpoint=endpoint, write=write, secrets=self._wire.secrets(),
            )  # fmt: skip
        return exchange

    def _json(self, exchange: Exchange, *, write: bool = False) -> dict[str, Any]:
        try:
            body = exchange.json()
        except ValueError as exc:
            raise self._malformed(exchange, exc, write=write) from None
        if not isinstance(body, dict):
            raise self._malformed(exchange, MalformedError("not an object"), write=write)
        return body

    def _list(self, exchange: Exchange) -> list[Any]:
        try:
            body = exchange.json()
        except ValueError as exc:
            raise self._malformed(exchange, exc) from None
        if not isinstance(body, list):
            raise self._malformed(exchange, MalformedError("not a list"))
        return body

    def _malformed(
        self, exchange: Exchange, exc: Exception, *, write: bool = False
    ) -> PlatformError:
        return unreadable_body("Mastodon", exchange, exc, write=write, secrets=self._wire.secrets())

    def _note_limits(self, endpoint: str, headers: Mapping[str, str]) -> None:
        if (state := LIMITS.state(endpoint, headers)) is not None:
            self._limits[endpoint] = state


def _max_id(max_id: str | None) -> dict[str, str]:
    return {"max_id": max_id} if max_id else {}


def _is_mention(item: object) -> bool:
    return (
        isinstance(item, dict) and item.get("type") == "mention" and item.get("status") is not None
    )


def _parsed(read: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    try:
        return read(*args, **kwargs)
    except MalformedError as exc:
        raise BadResponse(f"Mastodon answered an unreadable status: {exc}") from None
