"""A per-account job's world on the in-memory store: no database file, a fake platform."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from permit_world import T0, account
from posting_fakes import FakePlatform
from xbot.config import AccountSettings, Settings
from xbot.domain.meter import Meter
from xbot.domain.posts import Post
from xbot.domain.rate_card import EndpointClass, rate_card
from xbot.jobs.base import Account, JobContext, WorkerIdentity
from xbot.store.memory import MemoryStore

#: a live X account: the operator attests X's Automated label
SETTINGS = Settings(lease_seconds=60, x={"automated_label_attested": True})
WORKER = WorkerIdentity(worker_id="w1", role="worker", git_sha="abc1234", sha_source="env",
                        host="h", pid=1)  # fmt: skip


class MeteredPlatform(FakePlatform):
    """The fake platform pricing its own-post reads in the account's meter, as X's adapter does."""

    def __init__(self, meter: Meter) -> None:
        super().__init__(clock=lambda: T0)
        self.meter = meter

    def own_recent_posts(self, since: str | None = None, limit: int = 100) -> Sequence[Post]:
        posts = super().own_recent_posts(since, limit)
        self.meter.read(EndpointClass.OWNED_READ, [post.post_id for post in posts], self.clock())
        return posts


@dataclass
class World:
    """The store, the account's platform and meter, and contexts at any moment."""

    store: MemoryStore
    platform: MeteredPlatform
    meter: Meter
    account: Account

    @property
    def account_id(self) -> int:
        return self.account.account_id

    def context(self, now: datetime = T0, worker_id: str = "w1") -> JobContext:
        worker = WORKER if worker_id == WORKER.worker_id else WorkerIdentity(
            worker_id=worker_id, role="worker", git_sha="abc1234", sha_source="env", host="h",
            pid=2,
        )  # fmt: skip
        return JobContext(store=self.store, settings=SETTINGS,
                          worker=worker, now=now, account=self.account,
                          platform_for=lambda _account: self.platform,
                          meter_for=lambda _account: self.meter)  # fmt: skip


def world() -> World:
    """Return an X account on a fresh in-memory store, its fake platform clocked at T0."""
    store = MemoryStore(clock=lambda: T0)
    account_id = account(store)
    settings = AccountSettings(platform="x", handle="bot")
    bot = Account(account_id=account_id, platform="x", handle="bot", platform_user_id="1000",
                  settings=settings)  # fmt: skip
    meter = Meter(rate_card("x", {}))
    platform = MeteredPlatform(meter)
    return World(store=store, platform=platform, meter=meter, account=bot)
