"""The job runner on a real SQLite file and a real PostgreSQL: slots, fences, leases, back-off."""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, func, select

from xbot.config import AccountSettings, Settings
from xbot.events import EventType, JobPrefix
from xbot.jobs.base import Account, JobContext, JobSpec, WorkerIdentity
from xbot.jobs.runner import JobRunner
from xbot.jobs.slots import slot_at, slot_start
from xbot.store.queries import job_runs
from xbot.store.queries.accounts import sync_accounts
from xbot.store.sql import SqlStore
from xbot.store.tables import job_runs as job_runs_table
from xbot.store.tables import system_events

T0 = datetime(2026, 1, 9, 19, 0, tzinfo=UTC)
LEASE = timedelta(seconds=30)


def make_runner(engine: Engine, worker_id: str, specs: list[JobSpec], **settings: Any) -> JobRunner:
    worker = WorkerIdentity(
        worker_id=worker_id, role="worker", git_sha="abc", sha_source="test", host="h", pid=1
    )
    context = JobContext(
        store=SqlStore(engine), settings=Settings(**settings), worker=worker, now=T0
    )
    return JobRunner(context, specs, list)


def counting_job(calls: list[str]) -> JobSpec:
    def run_once(context: JobContext) -> Mapping[str, Any]:
        calls.append(context.worker.worker_id)
        return {"counted": len(calls)}

    return JobSpec(
        name="count",
        interval_seconds=60,
        per_account=False,
        run_once=run_once,
        event_prefix=JobPrefix.PROBE,
    )


def failing_job() -> JobSpec:
    def run_once(context: JobContext) -> Mapping[str, Any]:
        raise RuntimeError("platform said no")

    return JobSpec(name="boom", interval_seconds=60, per_account=False, run_once=run_once)


def events(engine: Engine, event_type: str) -> list[Any]:
    with engine.connect() as connection:
        return list(
            connection.execute(
                select(system_events)
                .where(system_events.c.event_type == event_type)
                .order_by(system_events.c.id)
            )
        )


def test_one_run_per_slot_across_workers(engine: Engine) -> None:
    calls: list[str] = []
    first = make_runner(engine, "w1", [counting_job(calls)])
    second = make_runner(engine, "w2", [counting_job(calls)])
    assert first.schedule(T0) == 1
    assert second.schedule(T0) == 0
    assert first.claim_and_run() is not None
    assert second.claim_and_run() is None
    assert calls == ["w1"]
    started = events(engine, EventType.PROBE_JOB_STARTED)
    completed = events(engine, EventType.PROBE_JOB_COMPLETED)
    assert len(started) == len(completed) == 1
    assert completed[0].worker_id == "w1"
    assert completed[0].event_data["counted"] == 1
    assert "duration_ms" in completed[0].event_data


def test_expired_lease_is_reclaimed_and_the_old_owner_is_fenced_off(engine: Engine) -> None:
    with engine.begin() as connection:
        job_runs.create_run(connection, "count", 0, 7, T0)
        first = job_runs.claim_run(connection, "w1", ["count"], T0, LEASE)
    assert first is not None
    assert first.attempts == 1
    with engine.begin() as connection:
        assert job_runs.claim_run(connection, "w2", ["count"], T0 + LEASE / 2, LEASE) is None
        second = job_runs.claim_run(connection, "w2", ["count"], T0 + LEASE * 2, LEASE)
    assert second is not None
    assert (second.id, second.owner, second.attempts) == (first.id, "w2", 2)
    with engine.begin() as connection:
        assert not job_runs.extend_lease(connection, first.id, "w1", 1, T0 + LEASE * 3)
        assert not job_runs.finish_run(connection, first.id, "w1", 1, now=T0, status="done")
        assert job_runs.finish_run(connection, first.id, "w2", 2, now=T0, status="done")


def test_release_lets_another_worker_claim_at_once(engine: Engine) -> None:
    with engine.begin() as connection:
        job_runs.create_run(connection, "count", 0, 7, T0)
        run = job_runs.claim_run(connection, "w1", ["count"], T0, LEASE)
        assert run is not None
        assert job_runs.release_run(connection, run.id, "w1", run.attempts)
        again = job_runs.claim_run(connection, "w2", ["count"], T0, LEASE)
    assert again is not None
    assert again.attempts == 2


def test_a_late_worker_skips_the_backlog(engine: Engine) -> None:
    with engine.begin() as connection:
        for slot in (1, 2, 3):
            job_runs.create_run(connection, "count", 0, slot, T0)
        assert job_runs.skip_superseded_runs(connection, "count", 0, 4) == 3
        job_runs.create_run(connection, "count", 0, 4, T0)
        run = job_runs.claim_run(connection, "w1", ["count"], T0, LEASE)
    assert run is not None
    assert run.slot == 4


def test_failures_become_events_and_back_off(engine: Engine) -> None:
    runner = make_runner(engine, "w1", [failing_job()])
    for minute in range(3):
        with engine.begin() as connection:
            job_runs.create_run(connection, "boom", 0, minute, T0)
        outcome = runner.claim_and_run()
        assert outcome is not None
        assert outcome.status == "failed"
        assert outcome.error == "RuntimeError: platform said no"
    failed = events(engine, "job_failed")
    assert [row.event_data["consecutive_failures"] for row in failed] == [1, 2, 3]
    assert [row.severity for row in failed] == ["warning", "warning", "error"]
    assert failed[0].event_data["reason"] == "RuntimeError: platform said no"
    # after three failures in a row the next slot waits 4 intervals
    real_now = datetime.now(UTC)
    assert runner.schedule(real_now + timedelta(seconds=61)) == 0
    assert runner.schedule(real_now + timedelta(minutes=5)) == 1


def test_concurrent_claims_take_each_run_once(engine: Engine) -> None:
    runs = 40
    with engine.begin() as connection:
        for slot in range(runs):
            job_runs.create_run(connection, "count", 0, slot, T0)
    claimed: list[int] = []
    lock = threading.Lock()

    def claim_all(worker_id: str) -> None:
        while True:
            with engine.begin() as connection:
                run = job_runs.claim_run(connection, worker_id, ["count"], T0, LEASE)
                if run is None:
                    return
                job_runs.finish_run(
                    connection, run.id, worker_id, run.attempts, now=T0, status="done"
                )
            with lock:
                claimed.append(run.id)

    threads = [threading.Thread(target=claim_all, args=(f"w{n}",)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(claimed) == sorted(set(claimed))
    assert len(claimed) == runs
    with engine.connect() as connection:
        attempts = connection.execute(select(func.max(job_runs_table.c.attempts))).scalar_one()
    assert attempts == 1


def test_sync_accounts_adds_updates_and_disables(engine: Engine) -> None:
    one = AccountSettings(platform="x", handle="ReplyBot", topics=["python"])
    two = AccountSettings(platform="mastodon", handle="helper")
    with engine.begin() as connection:
        rows = sync_accounts(connection, [one, two], T0)
    assert [(row.platform, row.handle) for row in rows] == [
        ("x", "replybot"),
        ("mastodon", "helper"),
    ]
    assert rows[0].settings["topics"] == ["python"]
    with engine.begin() as connection:
        rows = sync_accounts(connection, [two], T0)
    assert [row.handle for row in rows] == ["helper"]


@pytest.mark.parametrize("per_account", [True, False])
def test_per_account_jobs_get_their_account(engine: Engine, per_account: bool) -> None:
    seen: list[Account | None] = []

    def run_once(context: JobContext) -> Mapping[str, Any]:
        seen.append(context.account)
        return {}

    with engine.begin() as connection:
        rows = sync_accounts(connection, [AccountSettings(platform="x", handle="bot")], T0)
    account = Account(
        account_id=rows[0].id,
        platform="x",
        handle="bot",
        platform_user_id=None,
        settings=AccountSettings(platform="x", handle="bot"),
    )
    spec = JobSpec(name="each", interval_seconds=60, per_account=per_account, run_once=run_once)
    runner = make_runner(engine, "w1", [spec])
    runner.accounts = lambda: [account]
    assert len(runner.run_due()) == 1
    assert seen == ([account] if per_account else [None])


def test_watchdog_reports_stalled_runs_and_overdue_jobs(engine: Engine) -> None:
    from xbot.jobs import watchdog

    with engine.begin() as connection:
        job_runs.create_run(connection, "fetch", 0, 1, T0)
        done = job_runs.claim_run(connection, "w1", ["fetch"], T0, LEASE)
        assert done is not None
        job_runs.finish_run(connection, done.id, "w1", done.attempts, now=T0, status="done")
        job_runs.create_run(connection, "schedule", 0, 1, T0)
        job_runs.claim_run(connection, "w2", ["schedule"], T0, LEASE)
    runner = make_runner(engine, "w1", [])
    quiet = watchdog.write_report(replace(runner.context, now=T0 + LEASE / 2), {}).as_data()
    assert (quiet["stalled_runs"], quiet["overdue_jobs"]) == ([], [])
    late = T0 + timedelta(seconds=301 * 3)  # past the lease and three fetch intervals
    report = watchdog.write_report(replace(runner.context, now=late), {}).as_data()
    assert [item["job"] for item in report["stalled_runs"]] == ["schedule"]
    assert report["stalled_runs"][0]["owner"] == "w2"
    assert report["overdue_jobs"] == ["fetch"]
    reports = events(engine, "production_watchdog_report")
    assert [row.severity for row in reports] == ["info", "warning"]


def test_a_job_error_never_records_a_configured_secret(engine: Engine) -> None:
    from xbot.redact import remember

    def leaky(context: JobContext) -> Mapping[str, Any]:
        raise RuntimeError("refused key sk-job-canary-51f0 at postgresql://u:pw-canary@db/x")

    remember(["sk-job-canary-51f0"])
    runner = make_runner(
        engine, "w1", [JobSpec(name="leak", interval_seconds=60, per_account=False, run_once=leaky)]
    )
    with engine.begin() as connection:
        job_runs.create_run(connection, "leak", 0, 0, T0)
    outcome = runner.claim_and_run()
    assert outcome is not None
    assert outcome.error == "RuntimeError: refused key *** at postgresql://u:***@db/x"
    with engine.connect() as connection:
        stored = [str(row) for row in connection.execute(select(job_runs_table))]
    assert not any("canary" in row for row in stored)
    assert "canary" not in str(events(engine, "job_failed"))


def test_a_slot_that_closed_during_a_long_run_is_recorded_not_lost(engine: Engine) -> None:
    spec = JobSpec(name="tick", interval_seconds=1.0, per_account=False, run_once=lambda _c: {})
    runner = make_runner(engine, "w1", [spec])
    # just after the start of a slot, so 0.2 s later is the same slot
    first = slot_at("tick", 0, 1.0, datetime.now(UTC).timestamp()) + 1
    start = datetime.fromtimestamp(slot_start("tick", 0, 1.0, first) + 0.05, UTC)
    assert runner.schedule(start) == 1
    assert runner.schedule(start + timedelta(seconds=0.2)) == 0
    # a long run kept this worker busy for four and a half intervals
    assert runner.schedule(start + timedelta(seconds=4.5)) == 1
    with engine.connect() as connection:
        rows = connection.execute(
            select(job_runs_table.c.slot, job_runs_table.c.status, job_runs_table.c.error)
            .where(job_runs_table.c.job == "tick")
            .order_by(job_runs_table.c.slot)
        ).all()
    slots = [row.slot for row in rows]
    assert slots == list(range(slots[0], slots[0] + len(rows)))
    assert len(rows) == 5
    assert [row.status for row in rows] == ["skipped"] * (len(rows) - 1) + ["pending"]
    assert rows[0].error == job_runs.SUPERSEDED
    assert {row.error for row in rows[1:-1]} == {job_runs.MISSED}
