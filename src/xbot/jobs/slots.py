"""Where a job's slots fall for one account: a stable offset staggers them inside the interval.

`slot = floor((epoch - offset) / interval)` with an offset taken from a hash of (job, account),
so 200 accounts' fetch, schedule and post runs do not all come due on the same epoch boundary.
The offset is the same in every process and across restarts: one run per (job, account, slot)
still holds across workers.
"""

from __future__ import annotations

import math
import zlib


def slot_offset(job: str, account_id: int, interval: float) -> float:
    """Return the (job, account)'s stable offset in seconds, in [0, interval)."""
    fraction = zlib.crc32(f"{job}:{account_id}".encode()) / 2**32
    return fraction * interval


def slot_at(job: str, account_id: int, interval: float, epoch: float) -> int:
    """Return the slot that is open at `epoch` (seconds) for this job and account."""
    # the epsilon keeps a slot's own start inside it despite float rounding
    return math.floor((epoch - slot_offset(job, account_id, interval)) / interval + 1e-9)


def slot_start(job: str, account_id: int, interval: float, slot: int) -> float:
    """Return the epoch (seconds) at which `slot` opens for this job and account."""
    return slot * interval + slot_offset(job, account_id, interval)
