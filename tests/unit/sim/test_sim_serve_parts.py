"""The parts of `xbot sim serve` that need no socket: account configs and the text output."""

from __future__ import annotations

from xbot.config import AccountSettings
from xbot.sim.stack import ServeOptions, SimStack, account_config, describe_text
from xbot.sim.x.fake import FakeX


def test_an_x_bot_becomes_an_account_setting_and_its_variables() -> None:
    fake = FakeX()
    bot = fake.describe()["bot_accounts"][0]
    account, env = account_config("x", "http://127.0.0.1:9", bot)
    settings = AccountSettings(**account)
    assert (settings.platform, settings.handle, settings.base_url) == (
        "x",
        "replybot",
        "http://127.0.0.1:9",
    )
    assert set(settings.credentials) == {
        "consumer_key",
        "consumer_secret",
        "access_token",
        "access_token_secret",
    }
    assert env[settings.credentials["access_token"]] == bot["credentials"]["access_token"]
    assert account_config("openai", "http://x", bot) == ({}, {})
    mastodon, mastodon_env = account_config(
        "mastodon", "http://m", {"handle": "b", "credentials": {"access_token": "t"}}
    )
    assert mastodon["credentials"] == {"access_token": "SIM_MASTODON_B_ACCESS_TOKEN"}
    assert mastodon_env == {"SIM_MASTODON_B_ACCESS_TOKEN": "t"}


def test_a_stack_shares_one_world_and_clock_before_it_starts() -> None:
    stack = SimStack(options=ServeOptions(seed=5, speed=0, bots=("a_bot", "b_bot")))
    assert [bot.handle for bot in stack.world.bot_accounts] == ["a_bot", "b_bot"]
    assert stack.clock.speed == 0
    assert stack.describe()["fakes"] == {}
    stack.stop()


def test_the_text_lists_urls_credentials_and_exports() -> None:
    bot = {"handle": "replybot", "credentials": {"consumer_key": "ck"}}
    x = {"base_url": "http://h:1", "admin_url": "http://h:1/_sim", "bot_accounts": [bot]}
    description = {
        "seed": 1,
        "speed": 2.0,
        "fakes": {"x": x},
        "env": {"SIM_X_REPLYBOT_CONSUMER_KEY": "ck"},
    }
    text = describe_text(description)
    assert text.splitlines() == [
        "xbot sim: fake platforms on loopback (seed 1, speed 2.0x). Ctrl-C stops them.",
        "x        http://h:1   admin http://h:1/_sim",
        "  @replybot",
        "    consumer_key = ck",
        "environment for the accounts above:",
        "  export SIM_X_REPLYBOT_CONSUMER_KEY=ck",
    ]
