"""A review or shadow account against the fake X over loopback: fetch, schedule, post, on one DB.

`ReviewWorld` runs the real jobs with contexts whose platform adapter talks HTTP to the fake on
127.0.0.1 (uvicorn), and reads the fake's own record of posts (`GET /_sim/posts`).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx2
from sqlalchemy import Engine, select, update

from xbot.config import AccountSettings, BudgetSettings, Settings
from xbot.config_review import ReviewSettings
from xbot.domain.permits import Permit
from xbot.jobs import fetch, post, schedule
from xbot.jobs.base import JobContext, WorkerIdentity
from xbot.notify.webhook import review_webhook
from xbot.serve import load_accounts
from xbot.sim.core.clock import SimClock
from xbot.sim.core.server import SimServer
from xbot.sim.core.world import build_world
from xbot.sim.x.fake import FakeX
from xbot.sim.x.settings import XFakeSettings
from xbot.store.sql import SqlStore
from xbot.store.tables import post_attempts, reply_decisions, system_events
from xbot.wiring import Overrides, PlatformCache, generator_factory

BUDGETS = BudgetSettings(per_hour=100, per_day=500, min_gap_seconds=0, author_cooldown_minutes=0)


@dataclass
class ReviewWorld:
    """The fake X on loopback, one bot account with `account` settings, and the jobs' context."""

    engine: Engine
    fake: FakeX
    server: SimServer
    context: JobContext
    now: datetime

    def mention(self, number: int) -> dict[str, Any]:
        humans = [u.handle for u in self.fake.world.everyone if not u.automated and
                  not u.is_bot_account]  # fmt: skip
        bot = self.fake.bot().handle
        text = f"@{bot} python question {number} from thread {number}"
        return self.fake.post_as(humans[number % len(humans)], text)

    def at(self, now: datetime) -> JobContext:
        return replace(self.context, now=now)

    def fetch_and_schedule(self) -> Any:
        fetch.run_once(self.at(self.now))
        return schedule.run_once(self.at(self.now))

    def post(self, now: datetime | None = None) -> dict[str, Any]:
        return post.run_once(self.at(now or self.now)).as_data()

    def post_all(self, now: datetime | None = None) -> list[dict[str, Any]]:
        runs = []
        for _ in range(20):
            run = self.post(now)
            runs.append(run)
            if not run.get("claimed"):
                return runs
        return runs

    def permits(self) -> list[Permit]:
        with self.engine.connect() as connection:
            rows = connection.execute(
                select(post_attempts).order_by(
                    post_attempts.c.created_at, post_attempts.c.permit_id
                )
            )
            return [Permit.from_row(dict(row)) for row in rows.mappings()]

    def text_of(self, permit: Permit) -> str:
        with self.engine.connect() as connection:
            return str(
                connection.execute(
                    select(reply_decisions.c.reply_text).where(
                        reply_decisions.c.decision_id == permit.decision_id
                    )
                ).scalar_one()
            )

    def tamper(self, permit: Permit, text: str) -> None:
        with self.engine.begin() as connection:
            connection.execute(
                update(reply_decisions)
                .where(reply_decisions.c.decision_id == permit.decision_id)
                .values(reply_text=text)
            )

    def sim_posts(self) -> list[dict[str, Any]]:
        """The bot's replies as the fake's admin API lists them."""
        with httpx2.Client(base_url=self.server.base_url) as client:
            response = client.get("/_sim/posts", params={"author": self.fake.bot().handle})
        response.raise_for_status()
        return [item for item in response.json()["posts"] if item["in_reply_to"]]

    def create_requests(self) -> int:
        return len(self.fake.requests(method="POST", path="/2/tweets"))

    def events(self, event_type: str) -> list[dict[str, Any]]:
        with self.engine.connect() as connection:
            rows = connection.execute(
                select(system_events)
                .where(system_events.c.event_type == event_type)
                .order_by(system_events.c.id)
            )
            return [dict(row) for row in rows.mappings()]


@contextlib.contextmanager
def review_world(engine: Engine, *, webhook_url: str = "", **account: Any) -> Iterator[ReviewWorld]:
    """Yield a ReviewWorld whose account has the given settings (e.g. review="required")."""
    fake = FakeX(
        build_world(seed=11),
        clock=SimClock(speed=0),
        settings=XFakeSettings(history_posts_per_bot=0),
    )
    with SimServer(fake.app) as server:
        bot = fake.bot().handle
        account = {"budgets": BUDGETS} | account
        settings = Settings(
            accounts=[
                AccountSettings(platform="x", handle=bot, base_url=server.base_url,
                                topics=["python"], **account)
            ],
            review=ReviewSettings(webhook_url=webhook_url, console_url="http://console.test"),
        )  # fmt: skip
        [row] = load_accounts(SqlStore(engine), settings)
        worker = WorkerIdentity(
            worker_id="w0", role="worker", git_sha="abc1234", sha_source="test", host="h", pid=1
        )
        platforms = PlatformCache(
            settings, engine, Overrides(credentials={bot: fake.credentials()})
        )
        notifier = review_webhook(settings.review)
        context = JobContext(
            store=SqlStore(engine),
            settings=settings,
            worker=worker,
            now=datetime.now(UTC),
            account=row,
            platform_for=platforms,
            generator_for=generator_factory(settings),
            notify_review=notifier,
        )
        try:
            yield ReviewWorld(
                engine=engine, fake=fake, server=server, context=context, now=datetime.now(UTC)
            )
        finally:
            platforms.close()
            if notifier is not None:
                notifier.close()


def later(world: ReviewWorld, minutes: float) -> datetime:
    return world.now + timedelta(minutes=minutes)
