"""fetch → queue → schedule against the fake X (in process), on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import Engine, select

from xbot.config import AccountSettings, BudgetSettings, Settings
from xbot.jobs import fetch, schedule
from xbot.jobs.base import Account, JobContext, WorkerIdentity
from xbot.serve import load_accounts
from xbot.sim.core.clock import SimClock
from xbot.sim.core.world import build_world
from xbot.sim.x.fake import FakeX
from xbot.sim.x.settings import XFakeSettings
from xbot.store.sql import SqlStore
from xbot.store.tables import post_attempts, reply_candidate_queue, reply_decisions, system_events
from xbot.wiring import Overrides, PlatformCache, generator_factory

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
def wired(engine: Engine, fake: FakeX) -> Iterator[tuple[JobContext, Account]]:
    bot = fake.bot().handle
    account_settings = AccountSettings(
        platform="x",
        handle=bot,
        base_url="http://x.sim",
        topics=["python", "sqlite"],
        budgets=BudgetSettings(
            per_hour=10, per_day=50, min_gap_seconds=0, author_cooldown_minutes=0
        ),
    )
    settings = Settings(accounts=[account_settings])
    [account] = load_accounts(SqlStore(engine), settings)
    overrides = Overrides(
        credentials={bot: fake.credentials()}, transport=lambda _account: fake.transport()
    )
    platforms = PlatformCache(settings, engine, overrides)
    context = JobContext(
        store=SqlStore(engine),
        settings=settings,
        worker=WORKER,
        now=datetime.now(UTC),
        account=account,
        platform_for=platforms,
        generator_for=generator_factory(settings),
    )
    yield context, account
    platforms.close()


def people(fake: FakeX, automated: bool) -> list[str]:
    return [
        user.handle
        for user in fake.world.everyone
        if user.automated == automated and not user.is_bot_account
    ]


def rows(engine: Engine, table: Any) -> list[Any]:
    with engine.connect() as connection:
        return list(connection.execute(select(table)))


def test_mentions_become_candidates_then_one_permit_per_thread(
    engine: Engine, fake: FakeX, wired: tuple[JobContext, Account]
) -> None:
    context, account = wired
    humans, automated = people(fake, False), people(fake, True)
    bot = account.handle
    first = fake.post_as(humans[0], f"@{bot} how do python generators work?")
    fake.post_as(humans[1], f"@{bot} me too, python generators please", in_reply_to=first["id"])
    fake.post_as(humans[2], f"@{bot} is sqlite good for a small bot?")
    fake.post_as(automated[0], f"@{bot} python python python")
    fake.post_as(humans[3], "a post that does not mention anyone")
    fake.ghost(f"@{bot} talking to myself")

    fetched = fetch.run_once(replace(context, now=fake.clock.now()))
    assert fetched.new == fetched.fetched
    assert fetched.queued == 3
    assert fetched.skipped == {"known_bot": 1, "own_post": 1}

    again = fetch.run_once(replace(context, now=fake.clock.now()))
    assert (again.new, again.queued) == (0, 0)

    scheduled = schedule.run_once(replace(context, now=datetime.now(UTC)))
    assert scheduled.permits_created == 2
    assert context.wakeups.take() == [("post", account.account_id)], "permits wake the post job"
    assert scheduled.skipped == {"thread_already_replied": 1}

    permits = rows(engine, post_attempts)
    assert sorted(row.status for row in permits) == ["PENDING", "PENDING"]
    assert {row.pipeline_source for row in permits} == {"reply_v2_scheduler"}
    decisions = rows(engine, reply_decisions)
    assert {row.decision_id for row in decisions} == {row.decision_id for row in permits}
    assert all(row.reply_text for row in decisions)
    statuses = sorted(row.status for row in rows(engine, reply_candidate_queue))
    assert statuses == ["selected", "selected", "skipped", "skipped", "skipped"]
    created = [
        row for row in rows(engine, system_events) if row.event_type == "reply_v2_attempt_created"
    ]
    assert {row.event_data["permit_id"] for row in created} == {row.permit_id for row in permits}

    nothing = schedule.run_once(replace(context, now=datetime.now(UTC)))
    assert nothing.permits_created == 0
    assert context.wakeups.take() == []


def test_budget_caps_permits_per_hour(
    engine: Engine, fake: FakeX, wired: tuple[JobContext, Account]
) -> None:
    context, account = wired
    capped = account.settings.model_copy(
        update={
            "budgets": BudgetSettings(
                per_hour=1, per_day=5, min_gap_seconds=0, author_cooldown_minutes=0
            )
        }
    )
    context = replace(context, account=replace(account, settings=capped))
    for number, human in enumerate(people(fake, False)[:4]):
        fake.post_as(human, f"@{account.handle} python question number {number}")
    assert fetch.run_once(replace(context, now=fake.clock.now())).queued == 4
    first = schedule.run_once(replace(context, now=datetime.now(UTC)))
    assert first.permits_created == 1
    assert first.budget == "hourly_budget"
    assert len(rows(engine, post_attempts)) == 1


def test_world_traffic_counts_match_the_fake(
    engine: Engine, wired: tuple[JobContext, Account], fake: FakeX
) -> None:
    context, account = wired
    fake.configure(traffic_per_minute=30.0)
    fake.reset()
    fake.advance(20 * 60)
    fake.catch_up()
    bot = account.handle
    automated = {user.handle for user in fake.world.everyone if user.automated}
    mentions = [
        post
        for user in fake.world.everyone
        for post in fake.posts_of(user.handle)
        if f"@{bot}" in post["text"].lower()
    ]
    assert mentions, "the world generated no mention of the bot"

    summary = fetch.run_once(replace(context, now=fake.clock.now()))
    stored = rows(engine, reply_candidate_queue)
    by_post = {row.candidate_post_id: row for row in stored}
    assert summary.new == len(stored) == summary.fetched
    for post in mentions:
        row = by_post[post["id"]]
        if post["author"] == bot:
            assert row.skip_reason == "own_post"
        elif post["author"] in automated:
            assert row.skip_reason == "known_bot"
    skipped = dict(summary.skipped)
    assert summary.queued + sum(skipped.values()) == len(stored)
    # the queue keeps the best max_queue; the rest expire at once with a reason
    trimmed = summary.trimmed
    assert trimmed == max(0, summary.queued - account.settings.max_queue)
    assert sum(row.status == "queued" for row in stored) == summary.queued - trimmed
    assert sum(row.skip_reason == "queue_full" for row in stored) == trimmed
    for reason, count in skipped.items():
        assert sum(row.skip_reason == reason and row.status == "skipped" for row in stored) == count
    queued_rows = [row for row in stored if row.status == "queued"]
    assert all(0 <= row.score <= 1 and row.score_parts for row in queued_rows)
    assert all(row.summoned for row in queued_rows)

    scheduled = schedule.run_once(replace(context, now=fake.clock.now()))
    permits = rows(engine, post_attempts)
    assert len(permits) == scheduled.permits_created > 0
    threads = [
        row.conversation_id
        for row in rows(engine, reply_candidate_queue)
        if row.status == "selected"
    ]
    assert len(threads) == len(set(threads)) == len(permits)
