"""The schedule job's context against a fake X: one bot account, bank replies, loose budgets."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Engine

from xbot.config import AccountSettings, BudgetSettings, Settings
from xbot.jobs.base import JobContext, WorkerIdentity
from xbot.serve import load_accounts
from xbot.sim.x.fake import FakeX
from xbot.store.sql import SqlStore
from xbot.wiring import Overrides, PlatformCache, generator_factory


def schedule_context(
    engine: Engine,
    fake: FakeX,
    now: datetime,
    budgets: BudgetSettings | None = None,
    worker_id: str = "w0",
    **account: Any,
) -> JobContext:
    """Return a fetch/schedule context for the fake's bot (per_hour 100, no gaps by default)."""
    bot = fake.bot().handle
    budgets = budgets or BudgetSettings(
        per_hour=100, per_day=500, min_gap_seconds=0, author_cooldown_minutes=0
    )
    settings = Settings(
        accounts=[
            AccountSettings(
                platform="x",
                handle=bot,
                base_url="http://x.sim",
                topics=["python"],
                budgets=budgets,
                **account,
            )
        ]
    )
    [row] = load_accounts(SqlStore(engine), settings)
    worker = WorkerIdentity(
        worker_id=worker_id, role="worker", git_sha="abc", sha_source="test", host="h", pid=1
    )
    platforms = PlatformCache(
        settings,
        engine,
        Overrides(
            credentials={bot: fake.credentials()}, transport=lambda _account: fake.transport()
        ),
    )
    return JobContext(
        store=SqlStore(engine),
        settings=settings,
        worker=worker,
        now=now,
        account=row,
        platform_for=platforms,
        generator_for=generator_factory(settings),
    )


def mention(fake: FakeX, number: int) -> dict[str, Any]:
    """A person asks the bot a python question in a thread of its own."""
    humans = [
        user.handle
        for user in fake.world.everyone
        if not user.automated and not user.is_bot_account
    ]
    return fake.post_as(
        humans[number % len(humans)],
        f"@{fake.bot().handle} python question {number} from thread {number}",
    )
