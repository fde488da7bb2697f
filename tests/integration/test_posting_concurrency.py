"""Workers posting for the same accounts at once: zero double claims, zero duplicate posts."""

from __future__ import annotations

import random
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta

import pytest
from sqlalchemy import Engine, select

from posting_fakes import FakePlatform
from posting_rows import T0, PermitRows, add_account, add_permit, events, load_permit, make_context
from xbot.domain.permits import TERMINAL_STATUSES, PermitStatus
from xbot.jobs import ghost_scan, post, reconcile
from xbot.store.tables import ghost_tweets

PERMITS_PER_ACCOUNT = 8


def _world(engine: Engine, accounts: int) -> tuple[dict[int, FakePlatform], list[PermitRows]]:
    platforms, permits = {}, []
    for number in range(accounts):
        account_id = add_account(engine, handle=f"bot{number}")
        platforms[account_id] = FakePlatform()
        permits += [add_permit(engine, account_id) for _ in range(PERMITS_PER_ACCOUNT)]
    return platforms, permits


def _run_workers(workers: int, work: Callable[[int], None]) -> None:
    barrier = threading.Barrier(workers)

    def start(number: int) -> None:
        barrier.wait()
        work(number)

    with ThreadPoolExecutor(max_workers=workers) as pool:
        for future in [pool.submit(start, number) for number in range(workers)]:
            future.result()


def _account_of(engine: Engine, permit: PermitRows) -> int:
    return load_permit(engine, permit.permit_id).account_id


@pytest.mark.parametrize("workers", [2, 4])
def test_racing_workers_claim_and_post_each_permit_once(engine: Engine, workers: int) -> None:
    platforms, permits = _world(engine, accounts=2)
    for platform in platforms.values():
        platform.latency = 0.01  # publishing overlaps, as it does over a network

    def work(number: int) -> None:
        idle = 0
        while idle < 2:
            claimed = 0
            for account_id, platform in platforms.items():
                context = make_context(engine, account_id, platform, worker_id=f"w{number}")
                claimed += post.run_once(context).claimed
            idle = 0 if claimed else idle + 1

    _run_workers(workers, work)
    calls = [call for platform in platforms.values() for call in platform.calls]
    assert sorted(call.idempotency_key for call in calls) == sorted(p.permit_id for p in permits)
    for rows in permits:
        permit = load_permit(engine, rows.permit_id)
        assert (permit.status, permit.fence, permit.attempts) == (PermitStatus.USED, 1, 1)
        [reply] = platforms[permit.account_id].replies_to(rows.target_post_id)
        assert reply.post_id == permit.actual_tweet_id
    claims = [event["permit_id"] for event in events(engine, "permit_claimed")]
    assert sorted(claims) == sorted(rows.permit_id for rows in permits)
    assert len({event["worker_id"] for event in events(engine, "reply_posted")}) > 1


class SharedClock:
    """A clock every worker thread advances; the runner's `now` in miniature."""

    def __init__(self) -> None:
        self.moment = T0
        self._lock = threading.Lock()

    def tick(self, seconds: float = 1.0) -> datetime:
        with self._lock:
            self.moment += timedelta(seconds=seconds)
            return self.moment

    def read(self) -> datetime:
        with self._lock:
            return self.moment


FAULTS = [
    "transient",
    "rate_limited",
    "ambiguous",
    "accepted_then_timeout",
    "accepted_then_5xx",
    "hidden",
    "hidden_then_timeout",
    "bad_response",
]


def _chaos_platforms(platforms: dict[int, FakePlatform], clock: SharedClock, seed: int) -> None:
    rng = random.Random(seed)
    lock = threading.Lock()

    def pick() -> str | None:
        with lock:
            return rng.choice(FAULTS) if rng.random() < 0.4 else None

    for platform in platforms.values():
        platform.clock = clock.read
        platform.fault_picker = pick


def _settled(engine: Engine, permits: list[PermitRows]) -> bool:
    return all(load_permit(engine, rows.permit_id).status in TERMINAL_STATUSES for rows in permits)


@pytest.mark.parametrize("workers", [2, 4])
def test_workers_under_faults_end_with_exactly_one_post_per_used_permit(
    engine: Engine, workers: int
) -> None:
    platforms, permits = _world(engine, accounts=2)
    clock = SharedClock()
    _chaos_platforms(platforms, clock, seed=workers)
    done = threading.Event()

    def work(number: int) -> None:
        for step in range(600):
            if done.is_set():
                return
            now = clock.tick()
            for account_id, platform in platforms.items():
                context = make_context(
                    engine, account_id, platform, now=now, worker_id=f"w{number}"
                )
                post.run_once(context)
                if step % 5 == number % 5:
                    reconcile.run_once(context)
                if step % 20 == 0:
                    platform.reveal()
            if number == 0 and step % 10 == 0 and _settled(engine, permits):
                done.set()

    _run_workers(workers, work)
    assert _settled(engine, permits)
    for account_id, platform in platforms.items():
        platform.reveal()
        ghost_scan.run_once(make_context(engine, account_id, platform, now=clock.tick(3600)))
    for rows in permits:
        permit = load_permit(engine, rows.permit_id)
        replies = platforms[permit.account_id].replies_to(rows.target_post_id)
        if permit.status is PermitStatus.USED:
            assert [reply.post_id for reply in replies] == [permit.actual_tweet_id]
        else:
            assert replies == [], permit
    with engine.connect() as connection:
        assert connection.execute(select(ghost_tweets)).all() == []
    statuses = {load_permit(engine, rows.permit_id).status for rows in permits}
    assert PermitStatus.USED in statuses
