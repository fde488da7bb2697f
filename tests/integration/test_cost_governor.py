"""The cost governor against the fake X over loopback, on SQLite and PostgreSQL.

A daily cap of $0.05 stops posting at the count the rate card predicts, xbot's recorded cost
equals the fake's billing counter, and X's 402 blocks the account until the next UTC day or
an operator's resume.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, func, select

from xbot.certify import CertifyOptions, run_certification
from xbot.config import AccountSettings, BudgetSettings, Settings
from xbot.config_cost import AccountCostSettings
from xbot.domain.cost import next_day
from xbot.jobs import fetch, post, schedule
from xbot.jobs.account_states import read_account_states
from xbot.jobs.base import Account, JobContext, WorkerIdentity
from xbot.jobs.costs import written_charges
from xbot.monitoring import cost_series
from xbot.operations import Actor, resume, trace
from xbot.platforms.http import HttpOptions
from xbot.serve import load_accounts
from xbot.sim.core.clock import SimClock
from xbot.sim.core.server import SimServer
from xbot.sim.core.world import build_world
from xbot.sim.x.fake import FakeX
from xbot.sim.x.settings import XFakeSettings
from xbot.store.queries import usage
from xbot.store.sql import SqlStore
from xbot.store.tables import platform_usage, post_attempts, system_events
from xbot.wiring import Overrides, PlatformCache, generator_factory

#: mid-day, so the minutes a test moves never cross a UTC midnight
START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
WORKER = WorkerIdentity(
    worker_id="w1", role="worker", git_sha="abc1234", sha_source="test", host="h", pid=1
)


@dataclass
class Governed:
    """A bot account with a $0.05 daily cap, wired to a fake X served on 127.0.0.1."""

    engine: Engine
    fake: FakeX
    context: JobContext
    account: Account

    def at(self, **moved: float) -> JobContext:
        """The context at the fake's clock, moved by `minutes` if given."""
        return replace(self.context, now=self.fake.clock.now() + timedelta(**moved))

    def flush(self) -> None:
        """Write the meter's pending charges as the runner does after every run."""
        with (
            written_charges(self.context, self.account) as charges,
            self.engine.begin() as connection,
        ):
            usage.add_charges(connection, self.account.account_id, charges, self.context.now)


@pytest.fixture
def governed(engine: Engine) -> Iterator[Governed]:
    with _governed(engine) as world:
        yield world


@contextmanager
def _governed(engine: Engine, read_timeout: float | None = None) -> Iterator[Governed]:
    fake = FakeX(
        build_world(seed=7),
        clock=SimClock(start=START, speed=0),
        settings=XFakeSettings(history_posts_per_bot=0),
    )
    bot = fake.bot().handle
    with SimServer(fake.app) as server:
        account_settings = AccountSettings(
            platform="x",
            handle=bot,
            base_url=server.base_url,
            topics=["python"],
            budgets=BudgetSettings(
                per_hour=100, per_day=500, min_gap_seconds=0, author_cooldown_minutes=0
            ),
            cost=AccountCostSettings(daily_usd=0.05),
        )
        settings = Settings(accounts=[account_settings])
        [account] = load_accounts(SqlStore(engine), settings)
        http = HttpOptions(read_timeout=read_timeout) if read_timeout is not None else None
        overrides = Overrides(credentials={bot: fake.credentials()}, http=http)
        platforms = PlatformCache(settings, engine, overrides)
        context = JobContext(
            store=SqlStore(engine),
            settings=settings,
            worker=WORKER,
            now=fake.clock.now(),
            account=account,
            platform_for=platforms,
            generator_for=generator_factory(settings),
            meter_for=platforms.meter,
        )
        try:
            yield Governed(engine=engine, fake=fake, context=context, account=account)
        finally:
            platforms.close()


def _mentions(fake: FakeX, count: int) -> None:
    people = [u.handle for u in fake.world.everyone if not u.automated and not u.is_bot_account]
    for number in range(count):
        fake.post_as(people[number % len(people)], f"@{fake.bot().handle} python question {number}")


def _post_until_refused(governed: Governed) -> list[dict[str, Any]]:
    results = []
    for _ in range(20):
        result = post.run_once(governed.at(seconds=1)).as_data()
        results.append(result)
        if not result["claimed"]:
            break
    return results


def _recorded_cost(engine: Engine) -> dict[str, int]:
    with engine.connect() as connection:
        rows = connection.execute(
            select(
                platform_usage.c.endpoint_class, func.sum(platform_usage.c.cost_micro_usd)
            ).group_by(platform_usage.c.endpoint_class)
        )
        return {name: int(cost) for name, cost in rows if cost}


def _event_types(engine: Engine) -> list[str]:
    with engine.connect() as connection:
        return list(connection.execute(select(system_events.c.event_type)).scalars())


def test_a_daily_cap_stops_posting_at_the_right_count_and_costs_match_the_fake(
    governed: Governed,
) -> None:
    _mentions(governed.fake, 8)
    fetched = fetch.run_once(governed.at())
    assert fetched.queued == 8
    governed.flush()  # reads: the bot's own user and 8 mentions at $0.001, an empty search
    assert schedule.run_once(governed.at()).permits_created == 8

    results = _post_until_refused(governed)

    # $0.009 of reads, then summoned replies at $0.010 while they fit under $0.05: four
    assert [r.get("status") for r in results if r["claimed"]] == ["USED"] * 4
    assert results[-1] == {"expired": 0, "claimed": 0, "blocked": "cost_cap"}
    assert "posting_blocked_cost_cap" in _event_types(governed.engine)
    governed.flush()
    recorded = _recorded_cost(governed.engine)
    billed = governed.fake.billing()
    assert recorded == {"owned_read": 9_000, "summoned_reply": 40_000}
    assert recorded == {
        name: counter["cost_micro_usd"]
        for name, counter in billed["classes"].items()
        if counter["cost_micro_usd"]
    }
    assert sum(recorded.values()) == billed["total_micro_usd"] == 49_000

    # what is left ($0.001) pays for no reply: the fetch reads nothing, the account is blocked
    _mentions(governed.fake, 1)
    assert fetch.run_once(governed.at(seconds=2)).cost_cap is not None
    assert governed.fake.billing()["total_micro_usd"] == 49_000
    now = governed.at(seconds=2).now
    [state] = read_account_states(
        SqlStore(governed.engine), [governed.account], governed.context.settings, fence=(),
        fence_since=None, now=now,
    )  # fmt: skip
    assert (state.state, state.reason, state.until) == ("blocked", "cost_cap", next_day(now))
    assert "account daily cap $0.05 reached" in state.describe()
    _costs_are_shown(governed, now)


def _costs_are_shown(governed: Governed, now: datetime) -> None:
    """Trace, /metrics and certify's check I show what was spent."""
    with governed.engine.connect() as connection:
        used = (
            connection.execute(
                select(post_attempts.c.actual_tweet_id).where(post_attempts.c.status == "USED")
            )
            .scalars()
            .first()
        )
    found = trace(governed.engine, str(used))
    assert found is not None
    assert found.cost is not None
    assert (found.cost.write_micro, found.cost.billed_as) == (10_000, "summoned_reply")
    assert found.cost.reads_micro == 9_000 // found.cost.reads_shared_by
    with governed.engine.connect() as connection:
        series = dict(cost_series(connection))
    account = governed.account.key
    assert series == {
        (account, "owned_read"): 0.009,
        (account, "post_read"): 0.0,  # the quote search found nothing: a call, no resource
        (account, "summoned_reply"): 0.04,
    }
    report = run_certification(governed.engine, governed.context.settings, CertifyOptions(now=now))
    [check] = [check for check in report.checks if check.key == "I"]
    assert "cost_cap" in check.explanation
    assert f"spend: {account} today $0.0490 of $0.05" in check.explanation


def test_a_402_blocks_the_account_until_the_next_utc_day_or_a_resume(governed: Governed) -> None:
    _mentions(governed.fake, 2)
    fetch.run_once(governed.at())
    assert schedule.run_once(governed.at()).permits_created == 2
    governed.fake.configure(credits=0.0)  # X answers 402 credits-depleted to every request

    refused = post.run_once(governed.at(seconds=1)).as_data()
    assert refused["status"] == "PENDING"
    assert "account_blocked" in _event_types(governed.engine)

    later = governed.at(minutes=11)  # past the permit's back-off: the stop refuses the claim
    assert post.run_once(later).as_data() == {"expired": 0, "claimed": 0, "blocked": "cost_cap"}
    assert fetch.run_once(later).cost_cap is not None
    [state] = read_account_states(
        SqlStore(governed.engine), [governed.account], governed.context.settings, fence=(),
        fence_since=None, now=later.now,
    )  # fmt: skip
    assert (state.state, state.reason, state.until) == ("blocked", "cost_cap", next_day(later.now))
    assert "credits_depleted" in state.detail

    tomorrow = replace(later, now=next_day(later.now) + timedelta(minutes=1))
    [state] = read_account_states(
        SqlStore(governed.engine), [governed.account], governed.context.settings, fence=(),
        fence_since=None, now=tomorrow.now,
    )  # fmt: skip
    assert state.state == "posting"

    governed.fake.configure(credits=5.0)
    resume(governed.engine, Actor(name="ops"))
    posted = post.run_once(later).as_data()
    assert posted["status"] == "USED"
    with governed.engine.connect() as connection:
        statuses = sorted(connection.execute(select(post_attempts.c.status)).scalars())
    assert statuses == ["PENDING", "USED"]


def test_a_write_whose_answer_was_lost_is_charged_and_traced(engine: Engine) -> None:
    """A reply X accepted but never answered (UNKNOWN) was billed: trace shows its write cost."""
    with _governed(engine, read_timeout=0.5) as governed:
        _mentions(governed.fake, 1)
        assert fetch.run_once(governed.at()).queued == 1
        assert schedule.run_once(governed.at()).permits_created == 1
        governed.fake.inject("POST /2/tweets", "accept_then_timeout", seconds=2, count=1)
        assert post.run_once(governed.at()).status == "UNKNOWN"
    with engine.connect() as connection:
        permit_id = connection.execute(select(post_attempts.c.permit_id)).scalar_one()
    found = trace(engine, str(permit_id))
    assert found is not None
    assert found.cost is not None
    assert (found.cost.write_micro, found.cost.billed_as) == (10_000, "summoned_reply")
