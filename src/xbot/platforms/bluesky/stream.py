"""The Bluesky MentionStream: a Jetstream consumer for one account (issue 16, platform-facts §5.4).

    stream = platform.mention_stream()                 # JetstreamStream, name "jetstream"
    for item in stream.listen(cursor, stop):           # StreamItem(post, cursor, received_at)
        ...

It subscribes to `<jetstream_url>/subscribe?wantedCollections=app.bsky.feed.post` (every new post
of the network; Jetstream cannot filter by mention) and keeps the posts that mention the account,
reply in its threads or quote it (`jetstream.summoning_reason`), built the way the poll builds them
from notifications: the author's profile is read once (`profiles`), a threadgate on a reply's
root is honoured (`reading.gated_roots`).

The cursor is Jetstream's `time_us`. On connect the stream resumes from the stored cursor minus
`margin` (5 s by default): posts seen again are no-ops downstream (and are not looked up again:
the adapter keeps the posts it built), and events that arrived out of order around the cursor
are not skipped. A post's item carries the highest `time_us` seen so
far; between posts a cursor-only item reports progress at most every `progress_seconds`, and a
quiet connection yields a keep-alive (no post, no cursor) every `receive_timeout`, so `listen`
notices `stop` within that time; the first keep-alive comes as soon as the connection is open
(the supervisor backfills then). Without a stored cursor the stream starts live; the supervisor's
backfill (the poll) covers the past and any gap.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode, urlsplit

from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidStatus, InvalidURI
from websockets.sync.client import ClientConnection, connect

from xbot.domain.errors import PlatformError
from xbot.domain.intake import StreamDisconnected, StreamItem, StreamUnavailable
from xbot.domain.posts import Post
from xbot.platforms.bluesky.jetstream import Created, created_post, read_event, summoning_reason
from xbot.platforms.bluesky.posts import MalformedError, Me
from xbot.platforms.bluesky.records import POST_COLLECTION

#: Bluesky's public Jetstream (one of four: jetstream{1,2}.us-{east,west}.bsky.network)
DEFAULT_JETSTREAM_URL = "wss://jetstream2.us-east.bsky.network"
SUBSCRIBE_PATH = "/subscribe"
#: post URIs remembered per connection to skip events delivered twice, and posts kept built
SEEN_LIMIT = 10_000
#: a Jetstream message is small; refuse anything absurd
MAX_MESSAGE_BYTES = 4 * 1024 * 1024
#: HTTP answers to the handshake that mean "no Jetstream here" rather than "try again"
NO_SERVICE_STATUSES = frozenset({400, 404, 410})


@dataclass(frozen=True, kw_only=True, slots=True)
class JetstreamOptions:
    """Where the Jetstream is and how the consumer reads it."""

    #: ws:// or wss:// base URL (`/subscribe` is added unless present)
    url: str = DEFAULT_JETSTREAM_URL
    #: resume this much before the stored cursor
    margin: timedelta = timedelta(seconds=5)
    #: seconds one receive waits: the longest `listen` takes to notice `stop`
    receive_timeout: float = 0.5
    #: seconds the websocket handshake may take
    open_timeout: float = 10.0
    #: seconds between cursor-only items while no post concerns the account
    progress_seconds: float = 5.0
    user_agent: str = "xbot"


@dataclass(frozen=True, kw_only=True, slots=True)
class StreamLookups:
    """What the stream asks the adapter: who we are, an author's profile, gated roots."""

    me: Callable[[], Me]
    #: the profile view (did, handle, labels, viewer) of a DID
    author: Callable[[str], Mapping[str, Any]]
    #: of these thread roots, those whose threadgate forbids our reply
    gated: Callable[[Me, set[str]], set[str]]


def subscribe_url(base: str, since_us: int | None) -> str:
    """Return the subscription URL for posts, from `since_us` when given."""
    url = base.rstrip("/")
    if not url.endswith(SUBSCRIBE_PATH):
        url += SUBSCRIBE_PATH
    query: dict[str, str] = {"wantedCollections": POST_COLLECTION}
    if since_us is not None:
        query["cursor"] = str(since_us)
    return f"{url}?{urlencode(query)}"


def resume_point(cursor: str | None, margin: timedelta) -> int | None:
    """Return the `time_us` to resume from: the cursor minus the margin; None: start live."""
    if cursor is None or not cursor.strip().isdigit():
        return None
    return max(0, int(cursor) - int(margin.total_seconds() * 1_000_000))


class BuiltPosts:
    """Posts already built, by URI (the newest `SEEN_LIMIT`); thread-safe.

    The margin's replay after a reconnect yields them again without reading profiles or gates.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._posts: OrderedDict[str, Post] = OrderedDict()

    def get(self, uri: str) -> Post | None:
        """Return the post built for `uri`, if kept."""
        with self._lock:
            return self._posts.get(uri)

    def put(self, post: Post) -> None:
        """Keep a built post."""
        with self._lock:
            self._posts[post.post_id] = post
            if len(self._posts) > SEEN_LIMIT:
                self._posts.popitem(last=False)


class JetstreamStream:
    """One account's Jetstream consumer (the MentionStream `jetstream`)."""

    name = "jetstream"

    def __init__(
        self,
        options: JetstreamOptions,
        lookups: StreamLookups,
        *,
        now: Callable[[], datetime] | None = None,
        built: BuiltPosts | None = None,
    ) -> None:
        self.options = options
        self._lookups = lookups
        self._now = now or (lambda: datetime.now(UTC))
        self._lock = threading.Lock()
        self._connection: ClientConnection | None = None
        self._built = built or BuiltPosts()

    def listen(self, cursor: str | None, stop: threading.Event) -> Iterator[StreamItem]:
        """Connect from `cursor` minus the margin and yield items until `stop` is set.

        Raise StreamDisconnected when the connection fails or drops, StreamUnavailable when
        there is no Jetstream at the configured URL.
        """
        me = self._who()
        connection = self._connect(resume_point(cursor, self.options.margin))
        try:
            yield from self._read(connection, me, cursor, stop)
        finally:
            self._forget(connection)

    def close(self) -> None:
        """Close the open connection, if any (a `listen` in progress then ends)."""
        with self._lock:
            connection = self._connection
        if connection is not None:
            connection.close()

    # --- connecting ---

    def _who(self) -> Me:
        try:
            return self._lookups.me()
        except PlatformError as exc:
            raise StreamDisconnected(
                f"Bluesky session not available for Jetstream: {exc}"
            ) from None

    def _connect(self, since_us: int | None) -> ClientConnection:
        url = subscribe_url(self.options.url, since_us)
        host = urlsplit(url).netloc or self.options.url
        try:
            connection = connect(
                url, open_timeout=self.options.open_timeout, close_timeout=1.0,
                max_size=MAX_MESSAGE_BYTES, user_agent_header=self.options.user_agent, legacy=True,
            )  # fmt: skip
        except InvalidURI:
            raise StreamUnavailable(
                f"[bluesky] jetstream_url {self.options.url!r} is not a ws:// or wss:// URL"
            ) from None
        except InvalidStatus as exc:
            status = exc.response.status_code
            if status in NO_SERVICE_STATUSES:
                raise StreamUnavailable(
                    f"no Jetstream at {host} (it answered {status}); check [bluesky] jetstream_url"
                ) from None
            raise StreamDisconnected(
                f"Jetstream at {host} refused the connection ({status})"
            ) from None
        except (OSError, TimeoutError, InvalidHandshake) as exc:
            raise StreamDisconnected(f"cannot connect to Jetstream at {host}: {exc}") from None
        with self._lock:
            self._connection = connection
        return connection

    def _forget(self, connection: ClientConnection) -> None:
        with self._lock:
            if self._connection is connection:
                self._connection = None
        connection.close()

    # --- reading ---

    def _read(
        self, connection: ClientConnection, me: Me, cursor: str | None, stop: threading.Event
    ) -> Iterator[StreamItem]:
        position = int(cursor) if cursor and cursor.isdigit() else None
        reported, reported_at = position, time.monotonic()
        seen: set[str] = set()
        yield StreamItem(post=None, cursor=None, received_at=self._now())  # open: backfill now
        while not stop.is_set():
            try:
                raw = connection.recv(timeout=self.options.receive_timeout)
            except TimeoutError:
                fresh = position if position != reported else None
                reported, reported_at = position, time.monotonic()
                yield StreamItem(post=None, cursor=_text(fresh), received_at=self._now())
                continue
            except ConnectionClosed as exc:
                raise StreamDisconnected(f"Jetstream closed the connection: {exc}") from None
            time_us, created = read_event(raw)
            if time_us is not None:
                position = time_us if position is None else max(position, time_us)
            post = self._post(created, me) if created is not None else None
            if post is not None and post.post_id not in seen:
                if len(seen) >= SEEN_LIMIT:
                    seen.clear()
                seen.add(post.post_id)
                reported, reported_at = position, time.monotonic()
                yield StreamItem(post=post, cursor=_text(position), received_at=self._now())
            elif position != reported and (
                time.monotonic() - reported_at >= self.options.progress_seconds
            ):
                reported, reported_at = position, time.monotonic()
                yield StreamItem(post=None, cursor=_text(position), received_at=self._now())

    def _post(self, created: Created, me: Me) -> Post | None:
        """Return the Post for a creation that summons the account, or None."""
        reason = summoning_reason(created, me.did)
        if reason is None:
            return None
        known = self._built.get(created.uri)
        if known is not None:
            return known
        post = self._build(created, me, reason)
        if post is not None:
            self._built.put(post)
        return post

    def _build(self, created: Created, me: Me, reason: str) -> Post | None:
        try:
            post = created_post(created, self._lookups.author(created.did), me, reason)
            root = str(post.meta["root_uri"])
            # a post that starts its thread was made a moment ago: no AppView shows it (or a
            # gate on it) yet, so only a reply asks whether its thread is gated
            if root != post.post_id and root in self._lookups.gated(me, {root}):
                post = replace(post, reply_disabled=True)
        except MalformedError:
            return None  # a record without text or date: the poll would not take it either
        except PlatformError as exc:
            # not past it: the cursor stays before this post, the reconnect reads it again
            raise StreamDisconnected(f"reading the author of {created.uri} failed: {exc}") from None
        return post


def _text(position: int | None) -> str | None:
    return None if position is None else str(position)
