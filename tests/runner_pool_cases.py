"""Lanes of one worker on any store: runs of different accounts overlap, one pair's never do."""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from xbot.config import AccountSettings, Settings
from xbot.domain.stores import Store
from xbot.jobs.base import Account, JobContext, JobSpec, WorkerIdentity, require_account
from xbot.jobs.runner_pool import RunnerPool

INTERVAL = 60.0
#: how long a test waits for something the lanes do before it fails (never a speed assertion)
PATIENCE = 20.0
T0 = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)


class Tracker:
    """What the lanes ran: runs in flight per account, the most at once, and what finished."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.in_flight: Counter[int] = Counter()
        self.most_at_once = 0
        self.most_per_account = 0
        self.done: list[tuple[int, int | None]] = []
        #: account 1's first run holds its lane until the test lets it go
        self.release = threading.Event()
        #: set once account 1's first run is in flight; account 2's first run waits for it
        self.one_started = threading.Event()

    def run_once(self, context: JobContext) -> Mapping[str, Any]:
        account = require_account(context).account_id
        with self.lock:
            self.in_flight[account] += 1
            self.most_per_account = max(self.most_per_account, self.in_flight[account])
            first = not any(who == account for who, _ in self.done)
        if first and account == 1:
            self.one_started.set()
            assert self.release.wait(PATIENCE)
        if first and account == 2:
            assert self.one_started.wait(PATIENCE)
        with self.lock:
            self.most_at_once = max(self.most_at_once, sum(self.in_flight.values()))
            self.in_flight[account] -= 1
            self.done.append((account, context.slot))
        return {"account": account}

    def finished(self, account: int) -> int:
        with self.lock:
            return sum(who == account for who, _ in self.done)

    def running(self) -> int:
        with self.lock:
            return sum(self.in_flight.values())


def account(account_id: int) -> Account:
    handle = f"bot{account_id}"
    return Account(
        account_id=account_id, platform="x", handle=handle, platform_user_id=None,
        settings=AccountSettings(platform="x", handle=handle),
    )  # fmt: skip


def wait_until(condition: Callable[[], bool]) -> None:
    deadline = time.monotonic() + PATIENCE
    while not condition():
        assert time.monotonic() < deadline, "the lanes never got there"
        time.sleep(0.01)


def check_lanes_overlap_accounts_but_never_one_pair(store: Store, lanes: int = 4) -> None:
    """Account 1's run blocks; account 2's runs go on beside it; account 1's next slot waits."""
    tracker = Tracker()
    job = JobSpec(name="work", interval_seconds=INTERVAL, per_account=True,
                  run_once=tracker.run_once)  # fmt: skip
    worker = WorkerIdentity(
        worker_id="w1", role="worker", git_sha="abc", sha_source="test", host="h", pid=1
    )
    context = JobContext(store=store, settings=Settings(poll_interval=0.05), worker=worker,
                         now=datetime.now(UTC))  # fmt: skip
    pool = RunnerPool(context, [job], lambda: [account(1), account(2)], lanes)
    pool.start()
    try:
        assert pool.schedule(T0) == 2
        wait_until(lambda: tracker.running() == 1 and tracker.finished(2) == 1)
        assert tracker.most_at_once == 2  # account 2 ran while account 1's run was in flight
        assert pool.schedule(T0 + timedelta(seconds=INTERVAL)) == 2  # both next slots open
        wait_until(lambda: tracker.finished(2) == 2)
        # account 1's next slot was opened first, so a lane would have taken it before
        # account 2's; it waits while account 1's first run is in flight
        assert tracker.finished(1) == 0
        assert tracker.running() == 1
        tracker.release.set()
        wait_until(lambda: tracker.finished(1) == 2)
    finally:
        tracker.release.set()
        context.stop.set()
        pool.join()
        pool.close()
    assert tracker.most_per_account == 1
    assert sorted(tracker.done) == sorted(set(tracker.done))
