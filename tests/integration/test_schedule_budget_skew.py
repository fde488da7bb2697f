"""The scheduler counts a reconciled permit at its claim time, not at the platform's timestamp."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import Engine

from posting_rows import add_permit
from schedule_x import mention, schedule_context
from xbot.config import BudgetSettings
from xbot.jobs import fetch, schedule
from xbot.sim.core.clock import SimClock
from xbot.sim.core.world import build_world
from xbot.sim.x.fake import FakeX
from xbot.sim.x.settings import XFakeSettings


def test_a_post_dated_hours_back_by_the_platform_still_fills_the_hour(engine: Engine) -> None:
    fake = FakeX(
        build_world(seed=11),
        clock=SimClock(speed=0),
        settings=XFakeSettings(history_posts_per_bot=0),
    )
    now = fake.clock.now()
    budgets = BudgetSettings(per_hour=1, per_day=50, min_gap_seconds=0, author_cooldown_minutes=0)
    context = schedule_context(engine, fake, now, budgets)
    assert context.account is not None
    add_permit(
        engine,
        context.account.account_id,
        now=now - timedelta(minutes=2),
        status="USED",
        actual_tweet_id="1999",
        reconciled=True,
        claimed_at=now - timedelta(minutes=1),
        used_at=now - timedelta(hours=2),  # the platform's clock is 2 h behind
    )
    mention(fake, 1)
    assert fetch.run_once(context).queued == 1
    summary = schedule.run_once(context)
    assert (summary.permits_created, summary.budget) == (0, "hourly_budget")
