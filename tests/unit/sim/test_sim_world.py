from __future__ import annotations

import pytest

from xbot.sim.core.world import UnknownUserError, build_world


def test_the_same_seed_builds_the_same_world() -> None:
    assert build_world(5) == build_world(5)
    assert build_world(5).users != build_world(6).users


def test_users_are_unique_varied_and_some_are_automated() -> None:
    world = build_world(3, bot_handles=("replybot", "helpbot"), user_count=60)
    handles = [user.handle.lower() for user in world.everyone]
    ids = [user.user_id for user in world.everyone]
    assert len(set(handles)) == len(handles) == 62
    assert len(set(ids)) == len(ids)
    assert any(user.automated for user in world.users)
    assert not all(user.automated for user in world.users)
    assert {user.language for user in world.users} > {"en"}
    assert all(bot.is_bot_account and bot.automated for bot in world.bot_accounts)
    assert not any(user.is_bot_account for user in world.users)


def test_users_are_found_by_handle_or_id() -> None:
    world = build_world(1)
    bot = world.bot_accounts[0]
    assert world.user("@REPLYBOT") == bot
    assert world.user_by_id(bot.user_id) == bot
    with pytest.raises(UnknownUserError, match="nobody"):
        world.user("nobody")
    with pytest.raises(UnknownUserError):
        world.user_by_id("0")


def test_secrets_are_stable_per_seed_and_label() -> None:
    world = build_world(9)
    assert world.secret("a", 50) == build_world(9).secret("a", 50)
    assert len(world.secret("a", 50)) == 50
    assert world.secret("a") != world.secret("b")
    assert world.secret("a").isalnum()
    assert world.secret("a") != build_world(10).secret("a")
