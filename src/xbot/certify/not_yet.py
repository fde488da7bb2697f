"""Why E and F cannot judge yet although the scheduler runs, as a reason or None.

A slot not yet due, nothing to permit, or code too new to have the history the check needs.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta

from xbot.certify.context import Context, history_left, short
from xbot.certify.facts_pipeline import QueueFacts, SchedulerFacts
from xbot.certify.model import CheckResult, facts_of
from xbot.certify.windows import describe

Prior = Mapping[str, CheckResult]


def scheduler_waiting(facts: SchedulerFacts, context: Context, prior: Prior) -> str | None:
    """Return why E cannot judge yet although the scheduler runs, or None."""
    queue = facts_of(prior["D"], QueueFacts)
    return (
        _next_slot_pending(facts, context, queue.newest_queued_at)
        or _nothing_to_permit(queue, context)
        or history_short(context, facts.since, "accepted permit")
    )


def _next_slot_pending(
    facts: SchedulerFacts, context: Context, newest: datetime | None
) -> str | None:
    # no scheduler run has finished since the newest candidate arrived, and its slot is not over
    completed, started = facts.runs.last_completed_at, facts.runs.last_started_at
    if newest is None or (completed is not None and completed >= newest):
        return None
    due = newest + timedelta(seconds=context.intervals.schedule)
    if context.now < due:
        return (
            f"the newest candidate was queued {describe(context.now - newest)} ago; the "
            f"scheduler's next slot after it is due at {due:%H:%M:%S} UTC"
        )
    if started is not None and started >= newest and context.now - started < context.lease:
        return (
            f"the scheduler run that started {describe(context.now - started)} ago is still "
            "deciding on the newest candidate"
        )
    return None


def _nothing_to_permit(queue: QueueFacts, context: Context) -> str | None:
    if queue.queued_unexpired or queue.taken or not queue.settled:
        return None
    shown = ", ".join(f"{label} {count}" for label, count in (queue.recent or {}).items())
    return (
        f"the scheduler skipped every candidate of the last {describe(context.windows.fetch)} "
        f"with a reason ({shown}): nothing to permit yet"
    )


def history_short(context: Context, start: datetime, what: str) -> str | None:
    """Return why a check looking from `start` cannot fail yet: the code is too new, or None."""
    needed = context.windows.fetch
    left = history_left(context, start, needed)
    if left is None:
        return None
    return (
        f"no {what} since `{short(context.sha)}` first booted at {start:%H:%M:%S} UTC: this "
        f"check needs {describe(needed)} of history, {describe(left)} left"
    )
