"""Quiet hours never lose a mention; a candidate lost to a hold says which, on both dialects."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Engine, select

from posting_rows import add_permit, events
from schedule_x import mention, schedule_context
from xbot.config import BudgetSettings
from xbot.jobs import fetch, schedule
from xbot.jobs.base import JobContext
from xbot.sim.core.clock import SimClock
from xbot.sim.core.world import build_world
from xbot.sim.x.fake import FakeX
from xbot.sim.x.settings import XFakeSettings
from xbot.store.tables import reply_candidate_queue

EVENING = datetime(2026, 3, 2, 22, 50, tzinfo=UTC)
QUIET = BudgetSettings(
    per_hour=100,
    per_day=500,
    min_gap_seconds=0,
    author_cooldown_minutes=0,
    quiet_hours="23:00-07:00",
    timezone="UTC",
)
MORNING = datetime(2026, 3, 3, 7, 0, tzinfo=UTC)
TTL = timedelta(minutes=30)


def fake_at(start: datetime) -> FakeX:
    settings = XFakeSettings(history_posts_per_bot=0, search_delay_seconds=0)
    return FakeX(build_world(seed=11), clock=SimClock(start=start, speed=0), settings=settings)


def at(engine: Engine, fake: FakeX, moment: datetime, budgets: BudgetSettings) -> JobContext:
    fake.clock.advance((moment - fake.clock.now()).total_seconds())
    return schedule_context(engine, fake, moment, budgets)


def candidates(engine: Engine) -> dict[str, Any]:
    queue = reply_candidate_queue
    with engine.connect() as connection:
        rows = connection.execute(
            select(
                queue.c.candidate_post_id, queue.c.status, queue.c.skip_reason, queue.c.expires_at
            )
        ).all()
    return {row.candidate_post_id: row for row in rows}


def test_a_mention_in_quiet_hours_waits_for_the_morning(engine: Engine) -> None:
    fake = fake_at(EVENING)
    context = at(engine, fake, EVENING + timedelta(minutes=40), QUIET)  # 23:30, quiet
    asked = mention(fake, 1)
    assert fetch.run_once(context).queued == 1
    assert candidates(engine)[asked["id"]].expires_at == MORNING + TTL
    assert schedule.run_once(context).budget == "quiet_hours"
    # old code: gone at 00:00, silently
    summary = schedule.run_once(at(engine, fake, MORNING - timedelta(minutes=1), QUIET))
    assert (summary.expired, summary.queued, summary.budget) == (0, 1, "quiet_hours")
    summary = schedule.run_once(at(engine, fake, MORNING + timedelta(minutes=1), QUIET))
    assert summary.permits_created == 1
    assert candidates(engine)[asked["id"]].status == "selected"


def test_a_mention_queued_before_quiet_hours_is_kept_through_them(engine: Engine) -> None:
    fake = fake_at(EVENING)
    context = at(engine, fake, EVENING, QUIET)  # 22:50: not quiet yet, but the TTL ends at 23:20
    asked = mention(fake, 1)
    assert fetch.run_once(context).queued == 1
    assert candidates(engine)[asked["id"]].expires_at == EVENING + TTL
    summary = schedule.run_once(at(engine, fake, EVENING + timedelta(minutes=15), QUIET))
    assert (summary.kept_for_hold, summary.budget) == (1, "quiet_hours")
    assert candidates(engine)[asked["id"]].expires_at == MORNING + TTL
    summary = schedule.run_once(at(engine, fake, MORNING + timedelta(minutes=5), QUIET))
    assert (summary.expired, summary.permits_created) == (0, 1)


def test_a_mention_lost_to_the_hourly_budget_says_so(engine: Engine) -> None:
    budgets = BudgetSettings(per_hour=1, per_day=50, min_gap_seconds=0, author_cooldown_minutes=0)
    start = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
    fake = fake_at(start)
    context = at(engine, fake, start, budgets)
    assert context.account is not None
    add_permit(
        engine,
        context.account.account_id,
        now=start,
        status="USED",
        actual_tweet_id="1999",
        claimed_at=start,
        used_at=start,
    )
    lost, late = mention(fake, 1), None
    assert fetch.run_once(context).queued == 1
    assert schedule.run_once(context).budget == "hourly_budget"
    summary = schedule.run_once(at(engine, fake, start + TTL + timedelta(minutes=1), budgets))
    assert summary.expired == 1
    row = candidates(engine)[lost["id"]]
    assert (row.status, row.skip_reason) == ("expired", "expired_during_hourly_budget")
    [event] = events(engine, "reply_v2_candidates_expired")
    assert (event["reason"], event["candidate_ids"], event["severity"]) == (
        "expired_during_hourly_budget",
        [int(event["candidate_ids"][0])],
        "warning",
    )
    # with no hold, an expiry is a plain TTL expiry
    later = start + timedelta(hours=2)
    late = mention(fake, 2)
    assert fetch.run_once(at(engine, fake, later, budgets)).queued == 1
    with engine.begin() as connection:
        connection.execute(
            reply_candidate_queue.update()
            .where(reply_candidate_queue.c.candidate_post_id == late["id"])
            .values(status="queued", expires_at=later)
        )
    idle = BudgetSettings(per_hour=100, per_day=500, min_gap_seconds=0, author_cooldown_minutes=0)
    summary = schedule.run_once(at(engine, fake, later + timedelta(seconds=1), idle))
    assert summary.expired == 1
    assert candidates(engine)[late["id"]].skip_reason == "expired"
