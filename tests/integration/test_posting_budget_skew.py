"""Budgets hold against the fake X whose clock runs 2 h behind, with every publish ambiguous.

Each publish is accepted by the fake and its answer lost, so every permit goes UNKNOWN and is
reconciled with the platform's timestamp, 2 h in the past. The budget counts the local claim
time, so at per_hour = 3 no more than three replies go out (before: one per run).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine

from posting_rows import add_account, add_permit, load_permit, make_context
from x_platform import mention_targets, x_platform
from xbot.domain.permits import PermitStatus
from xbot.jobs import post, reconcile
from xbot.platforms.x import XPlatform
from xbot.sim.clock import SimClock
from xbot.sim.world import build_world
from xbot.sim.x_fake import FakeX, XFakeSettings

LOCAL_START = datetime(2026, 3, 2, 11, 0, tzinfo=UTC)
SKEW = timedelta(hours=-2)
PER_HOUR = 3


@pytest.fixture
def fake() -> Iterator[tuple[FakeX, XPlatform]]:
    clock = SimClock(start=LOCAL_START + SKEW, speed=0)
    fake = FakeX(build_world(11), clock=clock, settings=XFakeSettings(search_delay_seconds=0))
    with x_platform(fake) as platform:
        yield fake, platform


def test_ambiguous_publishes_under_a_skewed_clock_keep_the_hourly_budget(
    engine: Engine, fake: tuple[FakeX, XPlatform]
) -> None:
    x, platform = fake
    account_id = add_account(engine, handle="replybot", created_at=LOCAL_START)
    permits = [
        add_permit(engine, account_id, target=target, text=f"Answer {number}.", now=LOCAL_START)
        for number, target in enumerate(mention_targets(x, 8))
    ]
    x.inject("POST /2/tweets", "accept_then_timeout", drop=True, count=0)
    now = LOCAL_START
    for _ in range(15):  # 150 s of local time
        context: Any = make_context(engine, account_id, platform, now=now, per_hour=PER_HOUR)
        post.run_once(context)
        reconcile.run_once(context)
        now += timedelta(seconds=10)
        x.clock.advance(10)
    replies = [item for item in x.posts_of("replybot") if item["in_reply_to"]]
    assert len(replies) == PER_HOUR
    used = [load_permit(engine, rows.permit_id) for rows in permits]
    used = [permit for permit in used if permit.status is PermitStatus.USED]
    assert len(used) == PER_HOUR
    for permit in used:
        assert permit.reconciled
        assert permit.claimed_at is not None
        assert LOCAL_START <= permit.claimed_at <= now
        # the platform dates the post 2 h earlier; the budget does not care
        assert permit.used_at is not None
        assert permit.used_at < permit.claimed_at - timedelta(hours=1)
