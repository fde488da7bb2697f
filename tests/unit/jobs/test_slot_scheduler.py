"""Staggered slots and the next-due heap: only due (job, account) pairs open a slot."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from typing import Any

import pytest

from xbot.jobs.base import JobContext, JobSpec
from xbot.jobs.scheduler import MAX_MISSED, SlotScheduler
from xbot.jobs.slots import slot_at, slot_offset, slot_start

E0 = 1_790_000_000.0


def spec(name: str, interval: float, *, per_account: bool = True) -> JobSpec:
    def run_once(_context: JobContext) -> Mapping[str, Any]:
        return {}

    return JobSpec(name=name, interval_seconds=interval, per_account=per_account, run_once=run_once)


def scheduler(*specs: JobSpec) -> SlotScheduler:
    return SlotScheduler({item.name: item for item in specs})


def never_held(_job: str, _account_id: int, _slot: int) -> bool:
    return False


@pytest.mark.parametrize("interval", [0.6, 5.0, 60.0, 300.0, 86_400.0])
def test_each_slot_starts_inside_itself_and_offsets_stay_in_the_interval(interval: float) -> None:
    for account_id in range(50):
        offset = slot_offset("post", account_id, interval)
        assert 0 <= offset < interval
        for slot in (0, 123, int(E0 // interval)):
            start = slot_start("post", account_id, interval, slot)
            assert slot_at("post", account_id, interval, start) == slot
            assert slot_at("post", account_id, interval, start - interval / 1000) == slot - 1


def test_two_hundred_accounts_do_not_come_due_on_one_boundary() -> None:
    starts = Counter(int(slot_offset("fetch", account_id, 60.0) // 6) for account_id in range(200))
    assert len(starts) == 10  # every tenth of the interval has some
    assert max(starts.values()) < 40  # and none has most of them
    assert slot_offset("fetch", 7, 60.0) == slot_offset("fetch", 7, 60.0)
    assert slot_offset("fetch", 7, 60.0) != slot_offset("post", 7, 60.0)


def test_only_due_pairs_open_a_slot_and_each_slot_opens_once() -> None:
    slots = scheduler(spec("post", 5.0), spec("probe", 1.0, per_account=False))
    slots.track([1, 2, 3], E0)
    first = slots.take_due(E0, never_held)
    assert sorted((item.job, item.account_id) for item in first) == [
        ("post", 1), ("post", 2), ("post", 3), ("probe", 0),
    ]  # fmt: skip
    assert not any(item.missed for item in first)
    assert slots.take_due(E0, never_held) == []
    opened: Counter[tuple[str, int, int]] = Counter()
    epoch = E0
    while epoch < E0 + 50:
        epoch += 0.25
        for item in slots.take_due(epoch, never_held):
            assert not item.missed
            opened[item.job, item.account_id, item.slot] += 1
    assert max(opened.values()) == 1
    per_pair = Counter((job, account) for job, account, _slot in opened)
    assert per_pair[("post", 1)] == 10
    assert per_pair[("probe", 0)] == 50


def test_slots_that_closed_unseen_come_back_as_missed() -> None:
    slots = scheduler(spec("post", 5.0))
    slots.track([1], E0)
    (opened,) = slots.take_due(E0, never_held)
    later = E0 + 23.0  # four or five slots went by during a long run
    items = slots.take_due(later, never_held)
    current = slot_at("post", 1, 5.0, later)
    assert [item.slot for item in items if not item.missed] == [current]
    assert [item.slot for item in items if item.missed] == list(range(opened.slot + 1, current))
    hours = slots.take_due(later + 3600, never_held)
    assert sum(item.missed for item in hours) == MAX_MISSED


def test_a_held_pair_opens_nothing_and_its_held_slots_are_not_missed() -> None:
    slots = scheduler(spec("fetch", 60.0))
    slots.track([1, 2], E0)
    items = slots.take_due(E0, lambda _job, account_id, _slot: account_id == 1)
    assert [(item.account_id, item.missed) for item in items] == [(2, False)]
    items = slots.take_due(E0 + 600, never_held)
    assert [item.missed for item in items if item.account_id == 1] == [False]
    assert len([item for item in items if item.account_id == 2 and item.missed]) == 9


def test_memory_stays_one_entry_per_pair_and_gone_accounts_are_dropped() -> None:
    slots = scheduler(spec("post", 5.0), spec("fetch", 60.0))
    slots.track(range(1, 101), E0)
    epoch = E0
    for _ in range(2000):
        epoch += 1.0
        slots.take_due(epoch, never_held)
    assert len(slots) == 200
    assert slots.entries <= 2 * len(slots) + 64
    slots.track([1], epoch)
    assert len(slots) == 2
    for _ in range(100):
        epoch += 1.0
        assert {item.account_id for item in slots.take_due(epoch, never_held)} <= {1}
    assert slots.entries <= 2 * len(slots) + 64


def test_slots_the_store_could_not_record_come_due_again() -> None:
    slots = scheduler(spec("post", 5.0))
    slots.track([1], E0)
    items = slots.take_due(E0 + 1, never_held)
    slots.put_back(items)
    again = slots.take_due(E0 + 1, never_held)
    assert [(item.slot, item.missed) for item in again] == [(items[0].slot, False)]
