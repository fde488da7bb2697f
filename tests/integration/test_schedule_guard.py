"""The schedule job hands the guard every configured secret value (Settings.secret_values)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine, select

from integration.test_schedule_x import context_for, mention_many
from xbot.jobs import fetch, schedule
from xbot.sim.core.clock import SimClock
from xbot.sim.core.world import build_world
from xbot.sim.x.fake import FakeX
from xbot.sim.x.settings import XFakeSettings
from xbot.store.tables import system_events


@pytest.fixture
def fake() -> FakeX:
    return FakeX(
        build_world(seed=11),
        clock=SimClock(speed=0),
        settings=XFakeSettings(history_posts_per_bot=0),
    )


def test_a_reply_holding_a_configured_credential_is_refused_without_echoing_it(
    engine: Engine, fake: FakeX, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CANARY_TOKEN", "pelican-harbor-42")
    bank = tmp_path / "bank.toml"
    bank.write_text(
        '[[reply]]\nid = "leaky"\ntext = "Thanks @{author}! The word is Pelican Harbor 42."\n',
        encoding="utf-8",
    )
    context = context_for(
        engine, fake, "w0", bank_file=str(bank), credentials={"canary": "CANARY_TOKEN"}
    )
    mention_many(fake, 1)
    assert fetch.run_once(replace(context, now=fake.clock.now())).queued == 1
    summary = schedule.run_once(replace(context, now=datetime.now(UTC)))
    assert summary.skipped == {"guard_secret": 1}
    with engine.connect() as connection:
        [event] = connection.execute(
            select(system_events.c.event_data).where(
                system_events.c.event_type == "reply_v2_candidate_skipped"
            )
        )
    assert event.event_data["detail"] == "configured_secret, 12 characters"
    assert "pelican" not in str(event.event_data).casefold()
