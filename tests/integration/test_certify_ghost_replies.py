"""Check H counts ghost replies and bot replies together per target, on both dialects."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine

from certify_world import World, certify, healthy, minutes, result
from xbot.certify import Status

TARGET = "t-answered"


def bot_reply(world: World, account_id: int, post_id: str, ago: float = 6) -> None:
    """A USED permit of the bot that answered TARGET with post `post_id`."""
    at = world.now - minutes(ago)
    candidate_id = world.candidate(account_id, at - minutes(2), status="replied")
    decision_id = world.decision(account_id, candidate_id, at - minutes(1), target_post_id=TARGET)
    world.permit(
        account_id, decision_id, at - minutes(1), status="USED", actual_tweet_id=post_id, used_at=at
    )


@pytest.mark.parametrize("acknowledged", [False, True])
def test_a_ghost_reply_and_a_bot_reply_to_one_target_fail_h(
    engine: Engine, acknowledged: bool
) -> None:
    world = World(engine)
    account_id = healthy(world)
    world.ghost(account_id, world.now - minutes(10), in_reply_to=TARGET, acknowledged=acknowledged)
    bot_reply(world, account_id, "p-bot")
    report = certify(engine)
    check = result(report, "H")
    assert check.status is Status.FAIL
    assert f"{TARGET} (1 bot, 1 ghost replies)" in check.explanation
    [row] = check.facts.as_data()["duplicates"]
    assert (row["answers"], row["used_permits"], row["ghost_replies"]) == (2, 1, 1)


def test_two_ghost_replies_to_one_target_fail_h(engine: Engine) -> None:
    world = World(engine)
    account_id = healthy(world)
    for ago in (12, 9):
        world.ghost(account_id, world.now - minutes(ago), in_reply_to=TARGET)
    check = result(certify(engine), "H")
    assert check.status is Status.FAIL
    assert f"{TARGET} (0 bot, 2 ghost replies)" in check.explanation


def test_a_ghost_that_is_the_bots_own_post_counts_once(engine: Engine) -> None:
    # recorded as a ghost before its permit was reconciled: the same post, one answer
    world = World(engine)
    account_id = healthy(world)
    world.ghost(account_id, world.now - minutes(10), in_reply_to=TARGET, tweet_id="p-bot")
    bot_reply(world, account_id, "p-bot")
    assert result(certify(engine), "H").status is Status.PASS


def test_a_ghost_reply_before_the_deployment_with_no_new_answer_passes_h(engine: Engine) -> None:
    world = World(engine)
    account_id = healthy(world)
    world.ghost(account_id, world.now - minutes(70), in_reply_to=TARGET)
    check = result(certify(engine), "H")
    assert check.status is Status.PASS
    assert "bot and ghost replies together" in check.explanation
