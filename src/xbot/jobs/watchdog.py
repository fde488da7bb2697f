"""The watchdog: the boot report once, then a report on a cadence (DESIGN §4.6, §13)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from xbot.domain.audit import NewEvent, Severity
from xbot.domain.intake import StreamState, stream_report
from xbot.domain.stores import Store
from xbot.events import EventType
from xbot.jobs.base import JobContext, WorkerIdentity


def write_boot(store: Store, worker: WorkerIdentity, jobs: Sequence[str]) -> None:
    """Register the worker and write `production_watchdog_boot`, at the store's clock."""
    now = store.now()
    boot = NewEvent(
        event_type=EventType.PRODUCTION_WATCHDOG_BOOT,
        data={**_identity(worker), "jobs": list(jobs)},
        now=now,
        component="watchdog",
        worker_id=worker.worker_id,
    )
    store.workers.register(worker, now, [boot])


#: a job whose newest finished run is older than this many of its intervals is overdue
OVERDUE_INTERVALS = 3


def write_report(context: JobContext, posting: Mapping[str, Any]) -> Mapping[str, Any]:
    """Write `production_watchdog_report`: jobs' last outcomes, stalls, queue, permits, accounts.

    Stalled runs (lease expired while running) and overdue jobs are reported, never restarted
    here: the runner re-claims expired leases on its own, and the report says that it had to.
    """
    store = context.store
    jobs = {last.job: last.as_data() for last in store.job_runs.last_by_job()}
    stalled = [run.as_data() for run in store.job_runs.stalled(context.now)]
    overdue = overdue_jobs(jobs, context.settings.jobs.model_dump(), context.now)
    #: each stream's health beside the fetch runs: connected time, lag, last event (issue 16)
    streams = [stream_report(health, context.now) for health in store.intake.health()]
    report = {
        **_identity(context.worker),
        "jobs": jobs,
        "stalled_runs": stalled,
        "overdue_jobs": overdue,
        "queue_size": store.status.queue_size(context.now),
        "permits_by_status": store.status.permits_by_status(),
        "streams": streams,
        **posting,
    }
    blocked = any(item.get("state") == "blocked" for item in posting.get("accounts", ()))
    dropped = any(item["state"] == StreamState.DISCONNECTED.value for item in streams)
    severity: Severity = "warning" if stalled or overdue or blocked or dropped else "info"
    event = NewEvent(
        event_type=EventType.PRODUCTION_WATCHDOG_REPORT, data=report, now=context.now,
        severity=severity, component="watchdog", worker_id=context.worker.worker_id,
    )  # fmt: skip
    store.workers.beat(context.worker.worker_id, context.now, [event])
    return report


def overdue_jobs(
    jobs: Mapping[str, Mapping[str, Any]], intervals: Mapping[str, float], now: datetime
) -> list[str]:
    """Return the jobs whose newest finished run is older than OVERDUE_INTERVALS intervals."""
    overdue = []
    for name, last in sorted(jobs.items()):
        finished = last.get("last_finished_at")
        interval = intervals.get(name)
        if finished is None or interval is None:
            continue
        age = (now - datetime.fromisoformat(finished)).total_seconds()
        if age > OVERDUE_INTERVALS * interval:
            overdue.append(name)
    return overdue


def _identity(worker: WorkerIdentity) -> dict[str, Any]:
    return {
        "git_sha": worker.git_sha,
        "sha_source": worker.sha_source,
        "role": worker.role,
        "worker_id": worker.worker_id,
        "host": worker.host,
        "pid": worker.pid,
    }
