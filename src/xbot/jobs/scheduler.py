"""When each (job, account) comes due next: the runner opens only the slots that are due.

A heap of next-due times, one entry per (job, account): a pass costs nothing for what is not
due, however many accounts there are, and memory stays one entry per (job, account). A slot
that opened and closed while this process was busy with a long run is handed back as missed,
so the store records it as skipped instead of losing it.
"""

from __future__ import annotations

import heapq
import math
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime, timedelta

from xbot.domain.errors import XbotError
from xbot.domain.job_runs import SlotOpening
from xbot.domain.stores import Store
from xbot.jobs.backoff import MAX_BACKOFF, consecutive_failures, retry_at
from xbot.jobs.base import JobSpec
from xbot.jobs.slots import slot_at, slot_start
from xbot.jobs.wakeups import wake_slot

#: at most this many missed slots of one (job, account) are recorded per pass
MAX_MISSED = 20

#: how long the list of lately failing (job, account) pairs is trusted before it is read again
FAILURES_FRESH_SECONDS = 30.0

#: during a burst of runs, due slots are opened again at least this often (seconds)
RESCHEDULE_SECONDS = 1.0

#: how long the accounts' platform faults read by a worker are trusted (seconds)
FAULTS_FRESH_SECONDS = 30.0

Key = tuple[str, int]


class SlotScheduler:
    """Knows the next due time of every (job, account) it tracks."""

    def __init__(self, specs: Mapping[str, JobSpec]) -> None:
        self.specs = specs
        #: (due epoch, job, account_id, whether the slots before it count as missed)
        self._heap: list[tuple[float, str, int, bool]] = []
        self._due: dict[Key, float] = {}

    def __len__(self) -> int:
        return len(self._due)

    @property
    def entries(self) -> int:
        """How many heap entries it holds (stale ones included): bounded, not growing."""
        return len(self._heap)

    def track(self, account_ids: Iterable[int], epoch: float) -> None:
        """Track exactly these accounts' jobs; new ones come due at once, gone ones are dropped."""
        ids = list(account_ids)
        keys = {
            (spec.name, account_id)
            for spec in self.specs.values()
            for account_id in (ids if spec.per_account else (0,))
        }
        for key in set(self._due) - keys:
            del self._due[key]  # its heap entry is dropped when it comes up
        for job, account_id in keys - set(self._due):
            self._set(job, account_id, epoch, missed=False)
        if len(self._heap) > 2 * len(self._due) + 64:
            self._compact()

    def take_due(self, epoch: float, held: Callable[[str, int, int], bool]) -> list[SlotOpening]:
        """Return the slots due at `epoch` (with missed ones) and move each key to its next slot.

        A key `held(job, account_id, slot)` (backing off, or idle) opens nothing now and is asked
        again at its next slot.
        """
        openings: list[SlotOpening] = []
        while self._heap and self._heap[0][0] <= epoch:
            due, job, account_id, count_missed = heapq.heappop(self._heap)
            if self._due.get((job, account_id)) != due:
                continue  # superseded or no longer tracked
            interval = self.specs[job].interval_seconds
            current = slot_at(job, account_id, interval, epoch)
            following = slot_start(job, account_id, interval, current + 1)
            if held(job, account_id, current):  # the slots skipped while held are not missed
                self._set(job, account_id, following, missed=False)
                continue
            self._set(job, account_id, following)
            if count_missed:
                first = max(slot_at(job, account_id, interval, due), current - MAX_MISSED)
                openings += [
                    SlotOpening(job=job, account_id=account_id, slot=slot, missed=True)
                    for slot in range(first, current)
                ]
            openings.append(SlotOpening(job=job, account_id=account_id, slot=current))
        return openings

    def put_back(self, openings: Sequence[SlotOpening]) -> None:
        """Make these slots due again (the store could not record them); missed ones are dropped."""
        for item in openings:
            if not item.missed and (item.job, item.account_id) in self._due:
                interval = self.specs[item.job].interval_seconds
                start = slot_start(item.job, item.account_id, interval, item.slot)
                self._set(item.job, item.account_id, start, missed=False)

    def _set(self, job: str, account_id: int, due: float, *, missed: bool = True) -> None:
        self._due[job, account_id] = due
        heapq.heappush(self._heap, (due, job, account_id, missed))

    def _compact(self) -> None:
        self._heap = [
            entry for entry in self._heap if self._due.get((entry[1], entry[2])) == entry[0]
        ]
        heapq.heapify(self._heap)


class SlotOpener:
    """Opens the due slots of every tracked (job, account) in one store call, backing off.

    A (job, account) whose runs keep failing waits before its next slot (xbot.jobs.backoff);
    which pairs failed lately is read once every FAILURES_FRESH_SECONDS, not per slot, so an
    idle account costs no query.
    """

    def __init__(self, store: Store, specs: Mapping[str, JobSpec]) -> None:
        self.store = store
        self.specs = specs
        self.slots = SlotScheduler(specs)
        self._tracked: tuple[int, ...] | None = None
        #: each tracked account's turn among them, for jobs that run idle accounts in turn
        self._turn: dict[int, int] = {}
        #: per pass: each `busy_accounts` job's accounts with work
        self._busy: dict[str, set[int]] = {}
        self._failing: set[Key] = set()
        self._failures_read = -math.inf
        #: the slot of the last woken runs opened (xbot.jobs.wakeups): they count down
        self._woken_slot = 0

    def note_failure(self, job: str, account_id: int) -> None:
        """Back this pair off now (a run just failed here), without waiting for the next read."""
        self._failing.add((job, account_id))

    def open_due(
        self, now: datetime, account_ids: Sequence[int], *, every_account: bool = False
    ) -> int:
        """Open every slot due at `now`; return how many runs to claim it created.

        `every_account` opens idle accounts' slots too (a one-shot pass: `xbot run --once`).
        """
        epoch = now.timestamp()
        if tuple(account_ids) != self._tracked:
            self._tracked = tuple(account_ids)
            self._turn = {account: turn for turn, account in enumerate(sorted(self._tracked))}
            self.slots.track(self._tracked, epoch)
        self._read_failures(now)
        self._busy = {}
        openings = self.slots.take_due(
            epoch,
            lambda job, account, slot: (
                (not every_account and self._idle(job, account, slot))
                or self._held(job, account, now)
            ),
        )
        if not openings:
            return 0
        # runs are claimed in the order they were opened: fetch, schedule, post… as listed
        order = {name: index for index, name in enumerate(self.specs)}
        openings.sort(key=lambda item: (order[item.job], item.account_id, item.slot))
        try:
            return self.store.job_runs.open_slots(openings, now)
        except XbotError:
            self.slots.put_back(openings)
            raise

    def open_woken(self, now: datetime, woken: Sequence[tuple[str, int]]) -> int:
        """Open one extra run of each woken (job, account) now (xbot.jobs.wakeups).

        Pairs this process does not run, or that back off after failures, open nothing.
        """
        self._read_failures(now)
        tracked = set(self._tracked or ())
        # each pass's woken slots differ from the last pass's, even on a coarse clock
        self._woken_slot = min(wake_slot(now.timestamp()), self._woken_slot - 1)
        openings = [
            SlotOpening(job=job, account_id=account_id, slot=self._woken_slot)
            for job, account_id in woken
            if job in self.specs and account_id in tracked and not self._held(job, account_id, now)
        ]
        if not openings:
            return 0
        return self.store.job_runs.open_slots(openings, now)

    def _read_failures(self, now: datetime) -> None:
        clock = time.monotonic()
        if clock - self._failures_read < FAILURES_FRESH_SECONDS:
            return
        self._failing = self.store.job_runs.recently_failed(now - MAX_BACKOFF)
        self._failures_read = clock

    def _idle(self, job: str, account_id: int, slot: int) -> bool:
        """Return True when the job has no work for the account and it is not its turn."""
        spec = self.specs[job]
        if spec.busy_accounts is None or not spec.per_account or account_id not in self._turn:
            return False
        busy = self._busy.get(job)
        if busy is None:
            busy = self._busy[job] = set(spec.busy_accounts(self.store))
        return account_id not in busy and slot % len(self._turn) != self._turn[account_id]

    def _held(self, job: str, account_id: int, now: datetime) -> bool:
        if (job, account_id) not in self._failing:
            return False
        outcomes = self.store.job_runs.recent_outcomes(job, account_id)
        failures = consecutive_failures([row.status for row in outcomes])
        if failures == 0 or outcomes[0].finished_at is None:
            self._failing.discard((job, account_id))
            return False
        interval = timedelta(seconds=self.specs[job].interval_seconds)
        return now < retry_at(outcomes[0].finished_at, failures, interval)


class SharedOpener:
    """One SlotOpener for every lane of a worker (xbot.jobs.runner_pool), and the lanes' wake-up.

    One pass opens at a time (a lock); a lane that finds another lane opening goes on running.
    A pass that opens runs wakes the lanes waiting for work, so a run this process opened waits
    for no poll interval before a free lane claims it.
    """

    def __init__(self, store: Store, specs: Mapping[str, JobSpec]) -> None:
        self.opener = SlotOpener(store, specs)
        self.store = store
        self._lock = threading.Lock()
        self._work = threading.Condition()
        self._faults_lock = threading.Lock()
        self._faulted: set[int] = set()
        self._faults_read = -math.inf
        self._generation = 0
        self._scheduled_at = -math.inf

    def open_due(
        self, now: datetime, account_ids: Sequence[int], *, every_account: bool = False
    ) -> int:
        """Open every slot due at `now` (SlotOpener.open_due), then wake the waiting lanes."""
        with self._lock:
            return self._open(now, account_ids, every_account=every_account)

    def open_if_stale(self, now: Callable[[], datetime], account_ids: Sequence[int]) -> int:
        """Open again when the last pass is over RESCHEDULE_SECONDS old and no lane is opening."""
        if time.monotonic() - self._scheduled_at < RESCHEDULE_SECONDS:
            return 0
        if not self._lock.acquire(blocking=False):
            return 0
        try:
            return self._open(now(), account_ids, every_account=False)
        finally:
            self._lock.release()

    def open_woken(self, now: datetime, woken: Sequence[tuple[str, int]]) -> int:
        """Open one extra run of each woken (job, account) (SlotOpener.open_woken), then wake."""
        with self._lock:
            opened = self.opener.open_woken(now, woken)
        if opened:
            self.wake()
        return opened

    def note_failure(self, job: str, account_id: int) -> None:
        """Back this pair off now (SlotOpener.note_failure)."""
        with self._lock:
            self.opener.note_failure(job, account_id)

    def may_be_faulted(self, account_id: int) -> bool:
        """Return False when the account had no platform fault at the last read of them all.

        A completed platform run then has no block to clear (xbot.jobs.platform_faults), and
        costs no write. The faults are read once every FAULTS_FRESH_SECONDS: a fault another
        worker set meanwhile is cleared by this worker's runs after the next read.
        """
        with self._faults_lock:
            if time.monotonic() - self._faults_read >= FAULTS_FRESH_SECONDS:
                self._faulted = set(self.store.accounts.faults())
                self._faults_read = time.monotonic()
            return account_id in self._faulted

    def note_fault(self, account_id: int, *, faulted: bool) -> None:
        """Remember what this worker's own run just did to the account's fault."""
        with self._faults_lock:
            if faulted:
                self._faulted.add(account_id)
            else:
                self._faulted.discard(account_id)

    @property
    def generation(self) -> int:
        """A count of the wake-ups so far: read it before looking for work, then wait on it."""
        return self._generation

    def wake(self) -> None:
        """Wake every lane waiting for work."""
        with self._work:
            self._generation += 1
            self._work.notify_all()

    def wait_for_work(self, seen: int, timeout: float) -> None:
        """Wait up to `timeout` seconds unless a wake-up came after `seen` was read."""
        with self._work:
            if self._generation == seen:
                self._work.wait(timeout)

    def _open(self, now: datetime, account_ids: Sequence[int], *, every_account: bool) -> int:
        self._scheduled_at = time.monotonic()
        opened = self.opener.open_due(now, account_ids, every_account=every_account)
        if opened:
            self.wake()
        return opened
