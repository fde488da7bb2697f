"""A permit whose 429 back-off ends after its expiry expires at once, saying why."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine

from posting_rows import (
    add_account,
    add_permit,
    candidate_status,
    events,
    load_permit,
    make_context,
)
from x_platform import mention_targets, x_platform
from xbot.domain.permits import PermitStatus
from xbot.jobs import post
from xbot.platforms.x import XPlatform
from xbot.sim.core.clock import SimClock
from xbot.sim.core.world import build_world
from xbot.sim.x.fake import FakeX
from xbot.sim.x.settings import XFakeSettings

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@pytest.fixture
def fake() -> Iterator[tuple[FakeX, XPlatform]]:
    clock = SimClock(start=START, speed=0)
    fake = FakeX(build_world(11), clock=clock, settings=XFakeSettings(search_delay_seconds=0))
    with x_platform(fake) as platform:
        yield fake, platform


def test_a_back_off_past_the_expiry_expires_the_permit_with_its_reason(
    engine: Engine, fake: tuple[FakeX, XPlatform]
) -> None:
    x, platform = fake
    account_id = add_account(engine, handle="replybot", created_at=START)
    [target] = mention_targets(x, 1)
    rows = add_permit(engine, account_id, target=target, now=START, expires_in=timedelta(minutes=5))
    x.inject("POST /2/tweets", "status", status=429)
    assert post.run_once(make_context(engine, account_id, platform, now=START)).status == "PENDING"
    deferred = load_permit(engine, rows.permit_id)
    assert deferred.not_before is not None
    assert deferred.expires_at is not None
    assert deferred.not_before > deferred.expires_at
    # the next run, long before expires_at: the permit can never be claimed, so it expires now
    later = START + timedelta(seconds=10)
    assert post.run_once(make_context(engine, account_id, platform, now=later)).expired == 1
    permit = load_permit(engine, rows.permit_id)
    assert permit.status is PermitStatus.EXPIRED
    assert str(permit.failure_reason).startswith("deferred past expiry")
    [event] = events(engine, "posting_blocked_expired")
    assert event["reason"] == "deferred_past_expiry"
    assert event["not_before"] == deferred.not_before.isoformat()
    assert event["expires_at"] == deferred.expires_at.isoformat()
    assert str(event["backoff"]).startswith("rate_limited")
    assert event["severity"] == "warning"
    assert candidate_status(engine, rows.candidate_id) == "expired"
    assert len(x.requests(method="POST", path="/2/tweets")) == 1


def test_a_plain_expiry_still_says_expired(engine: Engine, fake: tuple[FakeX, XPlatform]) -> None:
    x, platform = fake
    account_id = add_account(engine, handle="replybot", created_at=START)
    [target] = mention_targets(x, 1)
    add_permit(engine, account_id, target=target, now=START, expires_in=timedelta(minutes=5))
    later = START + timedelta(minutes=5)
    assert post.run_once(make_context(engine, account_id, platform, now=later)).expired == 1
    [event] = events(engine, "posting_blocked_expired")
    assert (event["reason"], event["detail"]) == ("expired", "expired before it was used")
    assert "not_before" not in event
    assert x.requests(method="POST", path="/2/tweets") == []
