"""A completed platform run clears an account's fault, and costs no write when there is none."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from runner_pool_cases import account
from xbot.config import Settings
from xbot.domain.account_state import BlockReason
from xbot.domain.audit import NewEvent
from xbot.jobs.base import JobContext, JobSpec, WorkerIdentity
from xbot.jobs.runner import JobRunner
from xbot.store.memory import MemoryStore

T0 = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)


def calls_platform(_context: JobContext) -> Mapping[str, Any]:
    return {"fetched": 0}


def runner_on(store: MemoryStore) -> JobRunner:
    spec = JobSpec(name="fetch", interval_seconds=10, per_account=True,
                   run_once=calls_platform, calls_platform=True)  # fmt: skip
    worker = WorkerIdentity(
        worker_id="w1", role="worker", git_sha="abc", sha_source="test", host="h", pid=1
    )
    context = JobContext(store=store, settings=Settings(), worker=worker, now=T0)
    return JobRunner(context, [spec], lambda: [account(1)])


def test_completed_runs_write_no_clear_without_a_fault_and_clear_one_that_stands(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    store = MemoryStore()
    cleared: list[int] = []
    clear = store.accounts.clear_fault

    def counting(account_id: int, event: NewEvent) -> bool:
        cleared.append(account_id)
        return clear(account_id, event)

    monkeypatch.setattr(store.accounts, "clear_fault", counting)
    runner = runner_on(store)
    for step in range(3):
        runner.schedule(T0 + timedelta(seconds=10 * step))
        assert runner.claim_and_run() is not None
    assert cleared == []
    blocked = NewEvent(event_type="account_blocked", data={}, component="test", account_id=1)
    store.accounts.set_fault(1, BlockReason.CREDENTIALS_REFUSED, "refused", "test", blocked)
    later = runner_on(store)  # reads the faults afresh
    later.schedule(T0 + timedelta(seconds=40))
    assert later.claim_and_run() is not None
    assert cleared == [1]
    assert store.accounts.faults() == {}
