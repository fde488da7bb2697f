"""`xbot accounts check` as a real subprocess against the fake Mastodon served on loopback.

The bot flag is missing (exit 1, the fix named), written under `labels.apply = true` (one
update_credentials), then verified; every check is an `account_label_checked` event.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, select

from acceptance.conftest import run_xbot
from xbot.sim.core.clock import SimClock
from xbot.sim.core.world import build_world
from xbot.sim.mastodon.fake import FakeMastodon, MastodonFakeSettings
from xbot.store.tables import system_events


@pytest.fixture
def fake() -> Iterator[FakeMastodon]:
    made = FakeMastodon(
        build_world(seed=7), clock=SimClock(speed=0),
        settings=MastodonFakeSettings(history_posts_per_bot=0),
    )  # fmt: skip
    yield made
    made.close()


def _config(path: Path, handle: str, base_url: str, *, apply: bool) -> None:
    path.write_text(
        f"[labels]\napply = {str(apply).lower()}\n"
        f'[[accounts]]\nplatform = "mastodon"\nhandle = "{handle}"\nbase_url = "{base_url}"\n'
        'credentials = { access_token = "BOT_MASTODON_TOKEN" }\n'
    )


def test_missing_then_applied_then_verified(
    fake: FakeMastodon, xbot_env: dict[str, str], tmp_path: Path
) -> None:
    bot = fake.world.bot_accounts[0].handle
    fake.update_profile(bot, bot="false")
    env = xbot_env | {"BOT_MASTODON_TOKEN": fake.token(bot)}
    config = Path(env["XBOT_CONFIG"])
    with fake.server() as server:
        _config(config, bot, server.base_url, apply=False)
        assert run_xbot(["migrate"], env, tmp_path).returncode == 0

        missing = run_xbot(["accounts", "check", "--by", "ops"], env, tmp_path)
        assert missing.returncode == 1, missing.stderr
        assert missing.stdout.startswith(f"mastodon:{bot} label missing (")
        assert "labels.apply" in missing.stdout
        assert fake.requests(method="PATCH", path="/api/v1/accounts/update_credentials") == []

        _config(config, bot, server.base_url, apply=True)
        applied = run_xbot(["accounts", "check"], env, tmp_path)
        assert applied.returncode == 0, applied.stdout + applied.stderr
        assert applied.stdout.startswith(f"mastodon:{bot} label applied")

        _config(config, bot, server.base_url, apply=False)
        verified = run_xbot(["accounts", "check", "--json"], env, tmp_path)
        assert verified.returncode == 0, verified.stderr
        [row] = json.loads(verified.stdout)
        assert (row["account"], row["state"], row["ok"]) == (f"mastodon:{bot}", "verified", True)
    assert len(fake.requests(method="PATCH", path="/api/v1/accounts/update_credentials")) == 1
    engine = create_engine(env["XBOT_DATABASE_URL"])
    with engine.connect() as connection:
        states = connection.execute(
            select(system_events.c.event_data)
            .where(system_events.c.event_type == "account_label_checked")
            .order_by(system_events.c.id)
        ).scalars()
        assert [data["state"] for data in states] == ["missing", "applied", "verified"]
    engine.dispose()


def test_an_unreachable_account_is_reported_not_hidden(
    xbot_env: dict[str, str], tmp_path: Path
) -> None:
    config = Path(xbot_env["XBOT_CONFIG"])
    _config(config, "bot", "http://127.0.0.1:9", apply=False)  # nothing listens on port 9
    env = xbot_env | {"BOT_MASTODON_TOKEN": "token"}
    assert run_xbot(["migrate"], env, tmp_path).returncode == 0
    checked = run_xbot(["accounts", "check"], env, tmp_path)
    assert checked.returncode == 1
    assert checked.stdout.startswith("mastodon:bot label unreadable")
