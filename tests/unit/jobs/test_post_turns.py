"""The post job runs every slot for an account with a PENDING permit, idle accounts in turn."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from xbot.jobs.base import JobContext, JobSpec
from xbot.jobs.scheduler import SlotOpener
from xbot.store.memory import MemoryStore

T0 = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


def post_spec(busy: set[int]) -> JobSpec:
    def run_once(_context: JobContext) -> Mapping[str, Any]:
        return {}

    return JobSpec(
        name="post", interval_seconds=5.0, per_account=True, run_once=run_once,
        busy_accounts=lambda _store: busy,
    )  # fmt: skip


def opened_per_account(busy: set[int], accounts: list[int], seconds: int) -> Counter[int]:
    store = MemoryStore()
    opener = SlotOpener(store, {"post": post_spec(busy)})
    for second in range(seconds):
        opener.open_due(T0 + timedelta(seconds=second), accounts)
    runs = store.tables.job_runs.values()
    return Counter(row.account_id for row in runs)


def test_busy_accounts_open_every_slot_and_idle_ones_about_one_per_interval() -> None:
    accounts = list(range(1, 21))
    counts = opened_per_account({3}, accounts, 300)
    assert 59 <= counts[3] <= 61  # every 5-s slot of five minutes
    idle = sum(count for account, count in counts.items() if account != 3)
    assert 50 <= idle <= 70  # about one idle run per interval, spread over the others
    assert len(counts) == 20  # every idle account still runs now and then
