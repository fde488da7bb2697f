"""Read-backs that omit what posts reply to: the permit's post is found by its text, never a ghost.

The fake X's own timeline is set to leave out `referenced_tweets` and `in_reply_to_user_id`
(`timeline_reply_metadata = False`), so every post the bot reads back looks like a non-reply.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import Engine, select

from posting_rows import PermitRows, add_account, add_permit, events, load_permit, make_context
from x_platform import mention_targets, x_platform
from xbot.domain.permits import PermitStatus
from xbot.jobs import ghost_scan, post, reconcile
from xbot.platforms.x import XPlatform
from xbot.sim.core.clock import SimClock
from xbot.sim.core.world import build_world
from xbot.sim.x.fake import FakeX
from xbot.sim.x.settings import XFakeSettings
from xbot.store.tables import ghost_tweets

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@dataclass
class Lossy:
    engine: Engine
    fake: FakeX
    platform: XPlatform
    account_id: int

    def context(self) -> Any:
        return make_context(self.engine, self.account_id, self.platform, now=self.fake.clock.now())

    def unknown_permit(self) -> PermitRows:
        """A permit whose post landed but whose answer was lost: UNKNOWN."""
        [target] = mention_targets(self.fake, 1)
        rows = add_permit(self.engine, self.account_id, target=target, now=self.fake.clock.now())
        self.fake.inject("POST /2/tweets", "accept_then_timeout", drop=True)
        assert post.run_once(self.context()).status == "UNKNOWN"
        return rows

    def bot_reply(self, rows: PermitRows) -> dict[str, Any]:
        [reply] = [item for item in self.fake.posts_of("replybot") if item["in_reply_to"]]
        assert reply["in_reply_to"] == rows.target_post_id
        return reply

    def ghosts(self) -> list[Any]:
        with self.engine.connect() as connection:
            return list(connection.execute(select(ghost_tweets)))


@pytest.fixture
def lossy(engine: Engine) -> Iterator[Lossy]:
    settings = XFakeSettings(search_delay_seconds=0, timeline_reply_metadata=False)
    fake = FakeX(build_world(11), clock=SimClock(start=START, speed=0), settings=settings)
    account_id = add_account(engine, handle="replybot", created_at=START)
    with x_platform(fake) as platform:
        assert all(post.in_reply_to_post_id is None for post in platform.own_recent_posts())
        yield Lossy(engine=engine, fake=fake, platform=platform, account_id=account_id)


def test_reconcile_finds_the_post_by_its_text(lossy: Lossy) -> None:
    rows = lossy.unknown_permit()
    lossy.fake.clock.advance(5)
    summary = reconcile.run_once(lossy.context())
    assert summary.reconciled == 1
    permit = load_permit(lossy.engine, rows.permit_id)
    assert (permit.status, permit.reconciled) == (PermitStatus.USED, True)
    assert permit.actual_tweet_id == lossy.bot_reply(rows)["id"]
    assert ghost_scan.run_once(lossy.context()).ghosts == 0
    assert lossy.ghosts() == []


def test_the_ghost_scan_reconciles_instead_of_reporting_a_ghost(lossy: Lossy) -> None:
    rows = lossy.unknown_permit()
    lossy.fake.clock.advance(5)
    summary = ghost_scan.run_once(lossy.context())
    assert (summary.ghosts, summary.reconciled) == (0, 1)
    assert lossy.ghosts() == []
    permit = load_permit(lossy.engine, rows.permit_id)
    assert permit.status is PermitStatus.USED
    assert permit.actual_tweet_id == lossy.bot_reply(rows)["id"]
    [event] = events(lossy.engine, "permit_reconciled")
    assert event["source"] == "ghost_scan"
