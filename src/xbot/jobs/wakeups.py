"""Wake-ups: "run this job for this account now", posted inside one worker (issue 16).

A streamed mention should get its reply within seconds, not at the schedule job's next slot
(60 s by default). The intake admits a queued candidate and wakes the account's schedule job;
a schedule pass that made a permit wakes its post job; a post run that claimed a permit wakes
the post job again, so PENDING permits are posted one after another instead of one per slot.
The runner opens one extra run per woken (job, account) at its next pass (xbot.jobs.runner),
with a slot number of its own (`wake_slot`), so the store still runs it once: a wake-up only
brings a run forward, and every run keeps its gates (budgets, policy, the claim's fence).
"""

from __future__ import annotations

import threading
import time

#: the jobs a wake-up may bring forward
WAKEABLE = frozenset({"schedule", "post"})
#: a worker waiting for a wake-up sees its stop at least this often (seconds)
STOP_CHECK_SECONDS = 0.1


def wake_slot(epoch: float) -> int:
    """Return the slot of a woken run: minus the epoch in milliseconds (never a regular slot).

    Regular slots are positive (xbot.jobs.slots); a woken run's negative slot is unique per
    (job, account, millisecond), and the next regular slot supersedes it if it is still pending.
    """
    return -int(epoch * 1000)


class Wakeups:
    """The (job, account) pairs woken since the runner last took them, and a bell to wait on."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._pending: set[tuple[str, int]] = set()
        self._bell = threading.Event()

    def wake(self, job: str, account_id: int) -> None:
        """Ask for a run of `job` for the account at the runner's next pass."""
        if job not in WAKEABLE:
            raise ValueError(f"the {job} job cannot be woken; only {sorted(WAKEABLE)}")
        with self._lock:
            self._pending.add((job, account_id))
        self._bell.set()

    def pending(self) -> bool:
        """Return True when a wake-up waits to be taken."""
        return self._bell.is_set()

    def take(self) -> list[tuple[str, int]]:
        """Return and forget the woken pairs."""
        with self._lock:
            taken, self._pending = sorted(self._pending), set()
            self._bell.clear()
        return taken

    def wait(self, timeout: float, stop: threading.Event) -> bool:
        """Wait up to `timeout` seconds for a wake-up or `stop`; True when a wake-up came."""
        deadline = time.monotonic() + timeout
        while not stop.is_set():
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return False
            if self._bell.wait(min(remaining, STOP_CHECK_SECONDS)):
                return True
        return False
