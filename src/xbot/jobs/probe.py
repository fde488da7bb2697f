"""A canary job: proves the runner runs each slot once. Enable with enabled_jobs = ["probe"]."""

from __future__ import annotations

from xbot.domain.audit import NewEvent
from xbot.events import EventType
from xbot.jobs.base import JobContext
from xbot.jobs.summaries import ProbeSummary


def run_once(context: JobContext) -> ProbeSummary:
    """Wait `probe_seconds` (a stand-in for work), then record the run."""
    interrupted = context.stop.wait(context.settings.probe_seconds)
    slot = context.slot if context.slot is not None else -1
    context.store.events.append(
        NewEvent(
            event_type=EventType.PROBE_RAN,
            data={"slot": slot, "interrupted": interrupted},
            now=context.now,
            component="probe",
            worker_id=context.worker.worker_id,
        )
    )
    return ProbeSummary(slot=slot)
