"""A target a ghost reply answers is never replied to again: scheduler skips, claim refuses."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from sqlalchemy import Engine, select, update

from posting_rows import (
    add_account,
    add_permit,
    candidate_status,
    events,
    load_permit,
    make_context,
)
from schedule_x import mention, schedule_context
from x_platform import mention_targets, x_platform
from xbot.domain.permits import PermitStatus
from xbot.jobs import fetch, ghost_scan, post, schedule
from xbot.platforms.x import XPlatform
from xbot.sim.core.clock import SimClock
from xbot.sim.core.world import build_world
from xbot.sim.x.fake import FakeX
from xbot.sim.x.settings import XFakeSettings
from xbot.store.queries.ghosts import ghost_answered_targets
from xbot.store.tables import ghost_tweets, reply_candidate_queue

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def ghost_rows(engine: Engine) -> list[dict[str, object]]:
    with engine.connect() as connection:
        return [dict(row) for row in connection.execute(select(ghost_tweets)).mappings()]


@pytest.mark.parametrize("acknowledged", [False, True])
def test_the_scheduler_skips_a_target_a_ghost_answered(engine: Engine, acknowledged: bool) -> None:
    fake = FakeX(
        build_world(seed=11),
        clock=SimClock(speed=0),
        settings=XFakeSettings(history_posts_per_bot=0, search_delay_seconds=0),
    )
    context = schedule_context(engine, fake, fake.clock.now())
    assert context.account is not None
    fake.clock.advance(60)  # after the account's registration: not the baseline
    answered, fresh = mention(fake, 1), mention(fake, 2)
    # a second install with the same credentials answers the first mention
    ghost = fake.ghost("Same answer, posted by another install.", in_reply_to=answered["id"])
    fake.clock.advance(60)
    context = schedule_context(engine, fake, fake.clock.now())
    assert ghost_scan.run_once(context).ghosts == 1
    [row] = ghost_rows(engine)
    assert (row["tweet_id"], row["in_reply_to"]) == (ghost["id"], answered["id"])
    if acknowledged:  # an operator vouching for the post does not unsay the reply
        with engine.begin() as connection:
            connection.execute(
                update(ghost_tweets).values(acknowledged_at=START, acknowledged_by="ops")
            )
    assert fetch.run_once(context).queued == 2
    summary = schedule.run_once(context)
    assert summary.permits_created == 1
    assert summary.skipped == {"target_already_answered": 1}
    with engine.connect() as connection:
        statuses = dict(
            connection.execute(
                select(
                    reply_candidate_queue.c.candidate_post_id, reply_candidate_queue.c.skip_reason
                )
            ).all()
        )
    assert statuses == {answered["id"]: "target_already_answered", fresh["id"]: None}
    [skipped] = events(engine, "reply_v2_candidate_skipped")
    assert (skipped["reason"], skipped["ghost_post_id"]) == ("target_already_answered", ghost["id"])


@pytest.fixture
def fake() -> Iterator[tuple[FakeX, XPlatform]]:
    clock = SimClock(start=START, speed=0)
    fake = FakeX(build_world(11), clock=clock, settings=XFakeSettings(search_delay_seconds=0))
    with x_platform(fake) as platform:
        yield fake, platform


def test_the_claim_withdraws_a_permit_whose_target_a_ghost_answered(
    engine: Engine, fake: tuple[FakeX, XPlatform]
) -> None:
    x, platform = fake
    account_id = add_account(engine, handle="replybot", created_at=START)
    answered_target, other_target = mention_targets(x, 2)
    # decided before the ghost appeared: the scheduler could not know
    answered = add_permit(engine, account_id, target=answered_target, now=START)
    x.clock.advance(10)
    other = add_permit(engine, account_id, target=other_target, now=x.clock.now())
    ghost = x.ghost("An answer made outside xbot.", in_reply_to=answered_target)
    x.clock.advance(60)
    assert (
        ghost_scan.run_once(make_context(engine, account_id, platform, now=x.clock.now())).ghosts
        == 1
    )
    context = make_context(engine, account_id, platform, now=x.clock.now())
    first = post.run_once(context).as_data()
    assert first["claimed"] == 0
    assert context.wakeups.take() == [], "nothing claimed: the post job waits for its slot"
    permit = load_permit(engine, answered.permit_id)
    assert (permit.status, permit.attempts) == (PermitStatus.FAILED, 0)
    assert permit.failure_reason == f"target_already_answered: ghost reply {ghost['id']}"
    assert candidate_status(engine, answered.candidate_id) == "skipped"
    [failed] = events(engine, "permit_failed")
    assert (failed["reason"], failed["ghost_post_id"]) == ("target_already_answered", ghost["id"])
    # the next permit is not held up by it
    second = post.run_once(context).as_data()
    assert (second["permit_id"], second["status"]) == (other.permit_id, "USED")
    assert context.wakeups.take() == [("post", account_id)], "claimed: the next permit next"
    replies = [item for item in x.posts_of("replybot") if item["in_reply_to"] == answered_target]
    assert [item["id"] for item in replies] == [ghost["id"]]


def test_a_ghost_that_is_the_bots_own_post_does_not_count(engine: Engine) -> None:
    account_id = add_account(engine, handle="replybot", created_at=START)
    add_permit(engine, account_id, target="t-1", status="USED", actual_tweet_id="p-own")
    with engine.begin() as connection:
        for tweet_id in ("p-own", "p-other"):
            connection.execute(
                ghost_tweets.insert().values(
                    account_id=account_id,
                    tweet_id=tweet_id,
                    in_reply_to="t-1" if tweet_id == "p-own" else "t-2",
                    classification="matches_decision_text",
                    detected_at=START,
                )
            )
        found = ghost_answered_targets(connection, account_id, ["t-1", "t-2", "t-3"])
    assert found == {"t-2": "p-other"}
