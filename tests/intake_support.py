"""An in-test platform with scripted fetches (and, for the supervisor, a scripted stream)."""

from __future__ import annotations

import threading
from collections.abc import Iterator, Mapping, Sequence
from datetime import UTC, datetime, timedelta

from xbot.config import AccountSettings, Settings
from xbot.domain.intake import MentionStream, StreamDisconnected, StreamItem
from xbot.domain.posts import CandidateBatch, Post, Published, RateLimitState, ReplyTarget
from xbot.domain.stores import Store
from xbot.jobs.base import Account, JobContext, WorkerIdentity

T0 = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
WORKER = WorkerIdentity(worker_id="w1", role="worker", git_sha="abc1234", sha_source="env",
                        host="h", pid=1)  # fmt: skip


def mention(number: int, *, text: str | None = None, author: str = "ann") -> Post:
    """A post by a person that mentions @bot, `number` minutes before T0."""
    return Post(
        post_id=str(number), author_id=f"id-{author}", author_handle=author,
        text=text or f"@bot what do you think about python {number}?",
        created_at=T0 - timedelta(minutes=number), mentions=("bot",), summoned=True,
        conversation_id=str(number), language="en",
    )  # fmt: skip


class ScriptedPlatform:
    """A platform whose fetches return the posts added to it, newer than `since`."""

    name = "mastodon"
    visibility_grace = timedelta(seconds=0)

    def __init__(self) -> None:
        self.posts: list[Post] = []
        self.fetches: list[str | None] = []

    def whoami(self) -> tuple[str, str]:
        return "id-bot", "bot"

    def fetch_candidates(self, since: str | None) -> CandidateBatch:
        self.fetches.append(since)
        newer = [post for post in self.posts if since is None or int(post.post_id) > int(since)]
        newer.sort(key=lambda post: int(post.post_id), reverse=True)
        watermark = newer[0].post_id if newer else None
        return CandidateBatch(posts=tuple(newer), watermark=watermark)

    def publish_reply(self, target: ReplyTarget, text: str, idempotency_key: str) -> Published:
        raise NotImplementedError

    def own_recent_posts(self, since: str | None = None, limit: int = 100) -> Sequence[Post]:
        return []

    def lookup_post(self, post_id: str) -> Post | None:
        return None

    def rate_limits(self) -> Mapping[str, RateLimitState]:
        return {}

    def close(self) -> None:
        pass


def account_on(store: Store, platform: str = "mastodon", handle: str = "bot") -> Account:
    """Sync one account into the store and return it as jobs see it."""
    settings = AccountSettings(platform=platform, handle=handle, topics=["python"])
    (record,) = store.accounts.sync([settings])
    return Account(account_id=record.account_id, platform=platform, handle=handle,
                   platform_user_id=None, settings=settings)  # fmt: skip


def context_for(
    store: Store,
    account: Account,
    platform: ScriptedPlatform,
    now: datetime = T0,
    *,
    settings: Settings | None = None,
    worker: WorkerIdentity = WORKER,
) -> JobContext:
    """A job context on the store for the account, with the scripted platform wired in."""
    return JobContext(store=store, settings=settings or Settings(),
                      worker=worker, now=now, account=account,
                      platform_for=lambda _account: platform)  # fmt: skip


class ScriptedStream:
    """A MentionStream that plays one scripted connection per `listen` call.

    A connection is a list of items, then StreamDisconnected (`drop=True`) or waiting for stop.
    An exception instance in the list is raised at that point.
    """

    name = "mastodon_user"

    def __init__(self) -> None:
        self.connections: list[tuple[list[object], bool]] = []
        self.cursors: list[str | None] = []
        self.closed = False
        self.done = threading.Event()

    def play(self, items: list[object], *, drop: bool) -> None:
        self.connections.append((items, drop))

    def listen(self, cursor: str | None, stop: threading.Event) -> Iterator[StreamItem]:
        self.cursors.append(cursor)
        if not self.connections:
            self.done.set()
            stop.wait()
            return
        items, drop = self.connections.pop(0)
        for item in items:
            if isinstance(item, BaseException):
                raise item
            assert isinstance(item, StreamItem)
            yield item
        if drop:
            raise StreamDisconnected("the connection was reset")
        self.done.set() if not self.connections else None
        stop.wait()

    def close(self) -> None:
        self.closed = True


class StreamingPlatform(ScriptedPlatform):
    """The scripted platform with a push channel."""

    def __init__(self) -> None:
        super().__init__()
        self.stream = ScriptedStream()

    def mention_stream(self) -> MentionStream:
        return self.stream


def opened(at: datetime = T0) -> StreamItem:
    """The keep-alive a stream yields once its connection is open."""
    return StreamItem(post=None, cursor=None, received_at=at)


def pushed(post: Post, cursor: str, at: datetime = T0) -> StreamItem:
    """A delivered post with the stream's position after it."""
    return StreamItem(post=post, cursor=cursor, received_at=at)
