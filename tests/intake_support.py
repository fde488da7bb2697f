"""An in-test platform with scripted fetches (and, for the supervisor, a scripted stream)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta

from xbot.config import AccountSettings, Settings
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
    store: Store, account: Account, platform: ScriptedPlatform, now: datetime = T0
) -> JobContext:
    """A job context on the store for the account, with the scripted platform wired in."""
    return JobContext(engine=None, store=store, settings=Settings(), worker=WORKER, now=now,  # type: ignore[arg-type]
                      account=account, platform_for=lambda _account: platform)  # fmt: skip
