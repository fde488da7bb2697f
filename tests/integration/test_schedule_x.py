"""The schedule job under races and broken generators, against the fake X."""

from __future__ import annotations

import threading
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, func, select

from schedule_x import schedule_context
from xbot.config import BudgetSettings
from xbot.domain.drafts import NEAR_DUPLICATE_WINDOW
from xbot.generate.bank import alike
from xbot.jobs import fetch, schedule
from xbot.jobs.base import JobContext
from xbot.sim.core.clock import SimClock
from xbot.sim.core.world import build_world
from xbot.sim.x.fake import FakeX
from xbot.sim.x.settings import XFakeSettings
from xbot.store.queries import decisions
from xbot.store.tables import post_attempts, reply_candidate_queue, reply_decisions, system_events


def context_for(engine: Engine, fake: FakeX, worker_id: str, **account: Any) -> JobContext:
    return schedule_context(engine, fake, datetime.now(UTC), worker_id=worker_id, **account)


@pytest.fixture
def fake() -> FakeX:
    return FakeX(
        build_world(seed=11),
        clock=SimClock(speed=0),
        settings=XFakeSettings(history_posts_per_bot=0),
    )


def mention_many(fake: FakeX, count: int) -> None:
    humans = [
        user.handle
        for user in fake.world.everyone
        if not user.automated and not user.is_bot_account
    ]
    for number in range(count):
        fake.post_as(
            humans[number % len(humans)],
            f"@{fake.bot().handle} python question {number} from thread {number}",
        )


def count(engine: Engine, table: Any, *conditions: Any) -> int:
    with engine.connect() as connection:
        return int(
            connection.execute(
                select(func.count()).select_from(table).where(*conditions)
            ).scalar_one()
        )


def test_racing_schedulers_never_decide_one_target_twice(postgres_url: str, fake: FakeX) -> None:
    from xbot.store.engine import make_engine

    engine = make_engine(postgres_url)
    mention_many(fake, 12)
    first = context_for(engine, fake, "w0")
    assert fetch.run_once(replace(first, now=fake.clock.now())).queued == 12
    results: list[Any] = []
    errors: list[BaseException] = []

    def run(worker_id: str) -> None:
        try:
            context = replace(
                first, worker=replace(first.worker, worker_id=worker_id), now=datetime.now(UTC)
            )
            results.append(schedule.run_once(context))
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(f"w{n}",)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    created = sum(result.permits_created for result in results)
    assert created == 12
    assert count(engine, reply_decisions) == count(engine, post_attempts) == 12
    with engine.connect() as connection:
        targets = [row.target_post_id for row in connection.execute(select(reply_decisions))]
    assert len(targets) == len(set(targets))
    engine.dispose()


def test_a_broken_bank_skips_the_candidate_with_an_event(
    engine: Engine, fake: FakeX, tmp_path: Path
) -> None:
    broken = tmp_path / "bank.toml"
    broken.write_text("[[replies]\ntext = 'unclosed", encoding="utf-8")
    context = context_for(engine, fake, "w0", bank_file=str(broken))
    mention_many(fake, 2)
    assert fetch.run_once(replace(context, now=fake.clock.now())).queued == 2
    summary = schedule.run_once(replace(context, now=datetime.now(UTC)))
    assert summary.permits_created == 0
    assert summary.skipped == {"generator_failed": 2}
    assert (
        count(
            engine, reply_candidate_queue, reply_candidate_queue.c.skip_reason == "generator_failed"
        )
        == 2
    )
    with engine.connect() as connection:
        events = list(
            connection.execute(
                select(system_events).where(
                    system_events.c.event_type == "reply_v2_candidate_skipped"
                )
            )
        )
    assert len(events) == 2
    assert all("bank" in event.event_data["error"].lower() for event in events)


def test_llm_on_x_without_approval_is_blocked_by_policy(engine: Engine, fake: FakeX) -> None:
    context = context_for(engine, fake, "w0", generator="llm")
    mention_many(fake, 1)
    fetch.run_once(replace(context, now=fake.clock.now()))
    summary = schedule.run_once(replace(context, now=datetime.now(UTC)))
    assert summary.blocked_by == "llm_not_approved_on_x"
    assert count(engine, post_attempts) == 0
    assert (
        count(
            engine, system_events, system_events.c.event_type == "reply_v2_scheduler_policy_blocked"
        )
        == 1
    )


def test_a_day_at_the_default_budget_has_no_near_duplicates(engine: Engine, fake: FakeX) -> None:
    per_day = BudgetSettings().per_day
    context = context_for(engine, fake, "w0")
    budgets = BudgetSettings(per_hour=per_day, min_gap_seconds=0, author_cooldown_minutes=0)
    account = context.account
    assert account is not None
    settings = account.settings.model_copy(update={"budgets": budgets})
    context = replace(context, account=replace(account, settings=settings))
    mention_many(fake, per_day)  # every one matches the same entry: the worst case for variety
    assert fetch.run_once(replace(context, now=fake.clock.now())).queued == per_day
    now = datetime.now(UTC)
    summary = schedule.run_once(replace(context, now=now))
    assert summary.permits_created == per_day, summary
    with engine.connect() as connection:
        rows = list(connection.execute(select(reply_decisions.c.reply_text)))
        in_window = decisions.recent_reply_texts(
            connection, account.account_id, now - NEAR_DUPLICATE_WINDOW
        )
        later = decisions.recent_reply_texts(
            connection, account.account_id, now + NEAR_DUPLICATE_WINDOW
        )
        elsewhere = decisions.recent_reply_texts(
            connection, account.account_id + 1, now - NEAR_DUPLICATE_WINDOW
        )
    texts = [row.reply_text for row in rows]
    handles = [user.handle for user in fake.world.everyone]
    for text in texts:  # a handle only ever appears as a mention
        assert all(f"@{handle}" in text for handle in handles if handle in text)
    assert sum("@" in text for text in texts) > per_day // 2
    threshold = account.settings.duplicate_threshold
    for index, text in enumerate(texts):
        assert not any(alike(text, other, threshold) for other in texts[index + 1 :])
    assert sorted(in_window) == sorted(texts)
    assert later == elsewhere == []  # the check is scoped to the account and the window
