"""Refused credentials block the account until a later platform call succeeds (both dialects)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, select

from xbot.config import AccountSettings, Settings
from xbot.jobs.account_states import read_account_states
from xbot.jobs.base import Account, JobContext, WorkerIdentity
from xbot.jobs.registry import job_specs
from xbot.jobs.runner import JobRunner
from xbot.serve import load_accounts
from xbot.sim.core.clock import SimClock
from xbot.sim.core.world import build_world
from xbot.sim.x.fake import FakeX
from xbot.sim.x.settings import XFakeSettings
from xbot.store.sql import SqlStore
from xbot.store.tables import system_events
from xbot.wiring import Overrides, PlatformCache

WORKER = WorkerIdentity(
    worker_id="w1", role="worker", git_sha="abc", sha_source="test", host="h", pid=1
)


@pytest.fixture
def fake() -> FakeX:
    return FakeX(
        build_world(seed=7),
        clock=SimClock(speed=0),
        settings=XFakeSettings(history_posts_per_bot=0),
    )


@pytest.fixture
def setup(engine: Engine, fake: FakeX) -> tuple[Settings, Account]:
    settings = Settings(
        accounts=[AccountSettings(platform="x", handle=fake.bot().handle, base_url="http://x.sim")]
    )
    [account] = load_accounts(SqlStore(engine), settings)
    return settings, account


def fetch_runner(
    engine: Engine, settings: Settings, account: Account, platforms: PlatformCache
) -> JobRunner:
    context = JobContext(
        store=SqlStore(engine),
        settings=settings,
        worker=WORKER,
        now=datetime.now(UTC),
        platform_for=platforms,
    )
    specs = [spec for spec in job_specs(settings) if spec.name == "fetch"]
    return JobRunner(context, specs, lambda: [account])


@pytest.fixture
def caches(engine: Engine, fake: FakeX, setup: tuple[Settings, Account]) -> Iterator[Any]:
    made: list[PlatformCache] = []

    def cache(credentials: dict[str, str]) -> PlatformCache:
        overrides = Overrides(
            credentials={fake.bot().handle: credentials}, transport=lambda _a: fake.transport()
        )
        made.append(PlatformCache(setup[0], engine, overrides))
        return made[-1]

    yield cache
    for item in made:
        item.close()


def states(engine: Engine, settings: Settings, account: Account) -> list[Any]:
    return read_account_states(
        SqlStore(engine), [account], settings, fence=[], fence_since=None, now=datetime.now(UTC)
    )


def event_types(engine: Engine) -> list[str]:
    with engine.connect() as connection:
        rows = connection.execute(
            select(system_events.c.event_type)
            .where(system_events.c.event_type.like("account_%"))
            .order_by(system_events.c.id)
        )
        return [row.event_type for row in rows]


def test_refused_credentials_block_until_a_fetch_succeeds(
    engine: Engine, fake: FakeX, setup: tuple[Settings, Account], caches: Any
) -> None:
    settings, account = setup
    wrong = dict.fromkeys(fake.credentials(), "wrong")
    refused = fetch_runner(engine, settings, account, caches(wrong))
    refused.schedule(datetime.now(UTC))
    outcome = refused.claim_and_run()
    assert outcome is not None
    assert outcome.status == "failed"
    assert outcome.error is not None
    assert outcome.error.startswith("AuthFailed")
    [state] = states(engine, settings, account)
    assert (state.account, state.state, state.reason) == (
        account.key,
        "blocked",
        "credentials_refused",
    )
    assert state.since is not None
    assert "AuthFailed" not in state.detail
    assert event_types(engine) == ["account_blocked"]

    healed = fetch_runner(engine, settings, account, caches(fake.credentials()))
    healed.schedule(datetime.now(UTC) + timedelta(days=1))  # past the failure's back-off
    outcome = healed.claim_and_run()
    assert outcome is not None
    assert outcome.status == "done", outcome.error
    [state] = states(engine, settings, account)
    assert state.state == "posting"
    assert event_types(engine) == ["account_blocked", "account_unblocked"]


def test_an_adapter_that_cannot_be_built_blocks_as_misconfigured(
    engine: Engine, setup: tuple[Settings, Account], caches: Any
) -> None:
    settings, account = setup
    runner = fetch_runner(engine, settings, account, caches({}))  # no credential at all
    runner.schedule(datetime.now(UTC))
    outcome = runner.claim_and_run()
    assert outcome is not None
    assert outcome.status == "failed"
    [state] = states(engine, settings, account)
    assert (state.state, state.reason) == ("blocked", "platform_misconfigured")
    assert state.detail == outcome.error.split(": ", 1)[1]  # type: ignore[union-attr]
