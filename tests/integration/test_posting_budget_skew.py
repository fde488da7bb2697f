"""Budgets hold against a fake X whose clock is hours off, with ambiguous publishes.

Publishes are accepted by the fake and their answer lost (or fail with a 503 that may or may
not have landed), so permits go UNKNOWN and are reconciled with the platform's timestamp, hours
off. The budget counts the local claim time, so at per_hour = 3 no more than three replies go
out within 150 s (before: one per run when the platform's clock was behind).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine

from posting_rows import PermitRows, add_account, add_permit, load_permit, make_context
from x_platform import mention_targets, x_platform
from xbot.domain.permits import Permit, PermitStatus
from xbot.jobs import post, reconcile
from xbot.platforms.x import XPlatform
from xbot.sim.core.clock import SimClock
from xbot.sim.core.world import build_world
from xbot.sim.x.fake import FakeX
from xbot.sim.x.settings import XFakeSettings

LOCAL_START = datetime(2026, 3, 2, 11, 0, tzinfo=UTC)
PER_HOUR = 3
CREATE = "POST /2/tweets"


@pytest.fixture(params=[-3, -2, 3], ids=lambda hours: f"platform{hours:+d}h")
def skew(request: pytest.FixtureRequest) -> timedelta:
    return timedelta(hours=request.param)


@pytest.fixture
def fake(skew: timedelta) -> Iterator[tuple[FakeX, XPlatform]]:
    clock = SimClock(start=LOCAL_START + skew, speed=0)
    fake = FakeX(build_world(11), clock=clock, settings=XFakeSettings(search_delay_seconds=0))
    with x_platform(fake) as platform:
        yield fake, platform


def run_for_150_seconds(
    engine: Engine, x: FakeX, platform: XPlatform, account_id: int
) -> list[dict[str, Any]]:
    """Run post and reconcile every 10 s of local time; return the bot's published replies."""
    now = LOCAL_START
    for _ in range(15):
        context: Any = make_context(engine, account_id, platform, now=now, per_hour=PER_HOUR)
        post.run_once(context)
        reconcile.run_once(context)
        now += timedelta(seconds=10)
        x.clock.advance(10)
    return [item for item in x.posts_of("replybot") if item["in_reply_to"]]


def permits_for(engine: Engine, x: FakeX, account_id: int) -> list[PermitRows]:
    return [
        add_permit(engine, account_id, target=target, text=f"Answer {number}.", now=LOCAL_START)
        for number, target in enumerate(mention_targets(x, 8))
    ]


def used(engine: Engine, permits: list[PermitRows]) -> list[Permit]:
    loaded = [load_permit(engine, rows.permit_id) for rows in permits]
    return [permit for permit in loaded if permit.status is PermitStatus.USED]


def test_ambiguous_publishes_under_a_skewed_clock_keep_the_hourly_budget(
    engine: Engine, fake: tuple[FakeX, XPlatform], skew: timedelta
) -> None:
    x, platform = fake
    account_id = add_account(engine, handle="replybot", created_at=LOCAL_START)
    permits = permits_for(engine, x, account_id)
    x.inject(CREATE, "accept_then_timeout", drop=True, count=0)
    assert len(run_for_150_seconds(engine, x, platform, account_id)) == PER_HOUR
    reconciled = used(engine, permits)
    assert len(reconciled) == PER_HOUR
    for permit in reconciled:
        assert permit.reconciled
        assert permit.claimed_at is not None
        assert LOCAL_START <= permit.claimed_at <= LOCAL_START + timedelta(seconds=150)
        # the platform dates the post hours off; the budget does not care
        assert permit.used_at is not None
        assert abs(permit.used_at - permit.claimed_at - skew) < timedelta(minutes=1)


def test_a_mix_of_ambiguous_outcomes_under_a_skewed_clock_keeps_the_budget(
    engine: Engine, fake: tuple[FakeX, XPlatform]
) -> None:
    x, platform = fake
    account_id = add_account(engine, handle="replybot", created_at=LOCAL_START)
    permits = permits_for(engine, x, account_id)
    for number in range(12):  # landed-but-lost, then surely-not-landed 503s, in turn
        if number % 3 == 1:
            x.inject(CREATE, "status", status=503)
        else:
            x.inject(CREATE, "accept_then_timeout", drop=True)
    replies = run_for_150_seconds(engine, x, platform, account_id)
    assert 1 <= len(replies) <= PER_HOUR
    assert len(used(engine, permits)) == len(replies)
