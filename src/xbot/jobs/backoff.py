"""When a failing job may run again: the runner backs off instead of hammering (DESIGN §7)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

MAX_BACKOFF = timedelta(hours=1)
#: from this many failures in a row a failure is reported as an error, not a warning
REPEATED_FAILURES = 3


def consecutive_failures(statuses_newest_first: Sequence[str]) -> int:
    """Count failures at the head of a newest-first list of outcomes."""
    count = 0
    for status in statuses_newest_first:
        if status != "failed":
            break
        count += 1
    return count


def retry_at(last_failure: datetime, failures: int, interval: timedelta) -> datetime:
    """Return when the next run may start: the interval doubles per failure, up to an hour."""
    if interval >= MAX_BACKOFF:
        return last_failure + MAX_BACKOFF
    # Double from the interval, but stop doubling once past the cap (and before overflow).
    delay = interval
    for _ in range(max(failures - 1, 0)):
        delay *= 2
        if delay >= MAX_BACKOFF:
            return last_failure + MAX_BACKOFF
    return last_failure + delay
