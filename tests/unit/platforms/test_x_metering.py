"""The X adapter prices every call as it is made, and its sum equals what the fake X billed."""

from __future__ import annotations

import pytest

from x_platform import x_platform
from xbot.domain.posts import ReplyTarget
from xbot.domain.rate_card import EndpointClass
from xbot.sim.core.clock import SimClock
from xbot.sim.core.world import build_world
from xbot.sim.x.fake import FakeX
from xbot.sim.x.settings import XFakeSettings


@pytest.fixture
def fake() -> FakeX:
    return FakeX(build_world(seed=3), clock=SimClock(speed=0), settings=XFakeSettings(credits=10.0))


def _people(fake: FakeX) -> list[str]:
    return [
        user.handle
        for user in fake.world.everyone
        if not user.automated and not user.is_bot_account
    ]


def test_reads_and_writes_are_priced_like_the_fake_bills_them(fake: FakeX) -> None:
    bot = fake.bot().handle
    people = _people(fake)
    for number in range(3):
        fake.post_as(people[number], f"@{bot} question number {number}")
    with x_platform(fake, bot) as platform:
        batch = platform.fetch_candidates(None)
        assert len(batch.posts) == 3
        first, second = batch.posts[0], batch.posts[1]
        platform.publish_reply(
            ReplyTarget(post_id=first.post_id, author_handle="", meta=first.meta), "thanks!", "k1"
        )
        platform.publish_reply(
            ReplyTarget(post_id=second.post_id, author_handle="", meta=second.meta),
            "read https://docs.python.org",
            "k2",
        )
        platform.own_recent_posts()
        platform.own_recent_posts()  # the same posts again: billed once per UTC day
        platform.lookup_post(first.post_id)
        charges = platform.meter.take()
    billed = fake.billing()
    by_class: dict[str, int] = {}
    for charge in charges:
        by_class[charge.endpoint_class] = by_class.get(charge.endpoint_class, 0) + charge.cost_micro
    assert by_class[EndpointClass.SUMMONED_REPLY] == 10_000
    assert by_class[EndpointClass.POST_CREATE_URL] == 200_000
    assert {name: c["cost_micro_usd"] for name, c in billed["classes"].items()} == {
        name: cost for name, cost in by_class.items() if cost or name in billed["classes"]
    }
    assert sum(by_class.values()) == billed["total_micro_usd"]
    assert billed["balance"] == pytest.approx(10.0 - billed["total_micro_usd"] / 1e6)
