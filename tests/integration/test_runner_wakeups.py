"""Wake-ups bring a job's run forward on SQLite and PostgreSQL, once per wake (issue 16)."""

from __future__ import annotations

import threading
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, select

from xbot.config import AccountSettings, Settings
from xbot.jobs.base import Account, JobContext, JobSpec, WorkerIdentity, wake
from xbot.jobs.runner import JobRunner
from xbot.jobs.wakeups import Wakeups, wake_slot
from xbot.store.queries.accounts import sync_accounts
from xbot.store.sql import SqlStore
from xbot.store.tables import job_runs

T0 = datetime(2026, 1, 9, 19, 0, tzinfo=UTC)
WORKER = WorkerIdentity(worker_id="w1", role="worker", git_sha="abc", sha_source="test",
                        host="h", pid=1)  # fmt: skip


def account_in(engine: Engine, handle: str = "bot") -> Account:
    settings = AccountSettings(platform="x", handle=handle)
    with engine.begin() as connection:
        (row,) = sync_accounts(connection, [settings], T0)
    return Account(account_id=row.id, platform="x", handle=handle, platform_user_id=None,
                   settings=settings)  # fmt: skip


def runner_for(engine: Engine, specs: list[JobSpec], accounts: list[Account]) -> JobRunner:
    context = JobContext(store=SqlStore(engine), settings=Settings(), worker=WORKER, now=T0)
    return JobRunner(context, specs, lambda: accounts)


def post_spec(calls: list[int], *, wake_until: int = 0) -> JobSpec:
    """A "post" job every hour that counts its runs and wakes itself until `wake_until` runs."""

    def run_once(context: JobContext) -> Mapping[str, Any]:
        assert context.account is not None
        calls.append(context.slot or 0)
        if len(calls) < wake_until:
            wake(context, "post", context.account)
        return {"runs": len(calls)}

    return JobSpec(name="post", interval_seconds=3600, per_account=True, run_once=run_once)


def drain(runner: JobRunner) -> None:
    """Run every claimable run, opening woken ones between runs, as the worker loop does."""
    while runner.claim_and_run() is not None:
        runner.schedule_if_stale()


def slots(engine: Engine) -> list[int]:
    with engine.connect() as connection:
        return list(connection.execute(select(job_runs.c.slot).order_by(job_runs.c.id)).scalars())


def test_a_woken_job_runs_again_before_its_next_slot(engine: Engine) -> None:
    account = account_in(engine)
    calls: list[int] = []
    runner = runner_for(engine, [post_spec(calls)], [account])
    runner.schedule(T0, every_account=True)
    drain(runner)
    assert len(calls) == 1
    runner.schedule(T0 + timedelta(seconds=1))
    drain(runner)
    assert len(calls) == 1, "the slot ran; the next one is an hour away"
    runner.context.wakeups.wake("post", account.account_id)
    runner.schedule(T0 + timedelta(seconds=2))
    drain(runner)
    assert len(calls) == 2
    assert calls[1] < 0, "a woken run has a slot of its own"
    runner.schedule(T0 + timedelta(seconds=3))
    drain(runner)
    assert len(calls) == 2, "one run per wake-up"


def test_a_job_that_wakes_itself_runs_until_it_stops_waking(engine: Engine) -> None:
    account = account_in(engine)
    calls: list[int] = []
    runner = runner_for(engine, [post_spec(calls, wake_until=4)], [account])
    runner.schedule(T0, every_account=True)
    drain(runner)
    assert len(calls) == 4
    assert len(set(slots(engine))) == 4, "each woken run is a row of its own"


def test_wake_ups_of_other_jobs_or_accounts_open_nothing(engine: Engine) -> None:
    account = account_in(engine)
    calls: list[int] = []
    runner = runner_for(engine, [post_spec(calls)], [account])
    runner.schedule(T0, every_account=True)
    drain(runner)
    runner.context.wakeups.wake("schedule", account.account_id)  # not a job of this runner
    runner.context.wakeups.wake("post", account.account_id + 1000)  # not its account
    assert runner.schedule(T0 + timedelta(seconds=1)) == 0
    assert len(calls) == 1


def test_wake_ups_are_taken_once_and_ring_the_waiting_loop() -> None:
    wakeups, stop = Wakeups(), threading.Event()
    assert not wakeups.wait(0.01, stop)
    timer = threading.Timer(0.05, wakeups.wake, args=("post", 3))
    timer.start()
    assert wakeups.wait(30, stop), "a wake-up ends the wait"
    wakeups.wake("schedule", 3)
    wakeups.wake("post", 3)
    assert wakeups.take() == [("post", 3), ("schedule", 3)]
    assert wakeups.take() == []
    assert not wakeups.pending()
    stop.set()
    assert not wakeups.wait(30, stop), "a stop ends the wait too"
    with pytest.raises(ValueError, match="cannot be woken"):
        wakeups.wake("fetch", 3)


def test_woken_slots_never_meet_regular_ones() -> None:
    assert wake_slot(T0.timestamp()) < 0
    assert wake_slot(T0.timestamp() + 0.001) != wake_slot(T0.timestamp())
