"""A canary job: proves the runner runs each slot once. Enable with enabled_jobs = ["probe"]."""

from __future__ import annotations

from xbot.events import EventType
from xbot.jobs.base import JobContext
from xbot.jobs.summaries import ProbeSummary
from xbot.store.engine import translated_errors
from xbot.store.queries.events import append_event


def run_once(context: JobContext) -> ProbeSummary:
    """Wait `probe_seconds` (a stand-in for work), then record the run."""
    interrupted = context.stop.wait(context.settings.probe_seconds)
    slot = context.slot if context.slot is not None else -1
    with translated_errors(), context.engine.begin() as connection:
        append_event(
            connection,
            EventType.PROBE_RAN,
            {"slot": slot, "interrupted": interrupted},
            now=context.now,
            component="probe",
            worker_id=context.worker.worker_id,
        )
    return ProbeSummary(slot=slot)
