"""The watchdog: the boot report once, then a report on a cadence (DESIGN §4.6, §13)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from xbot.domain.audit import NewEvent, Severity
from xbot.domain.intake import StreamState, stream_report
from xbot.domain.job_runs import LastRun, StalledRun
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


@dataclass(frozen=True, kw_only=True, slots=True)
class WatchdogReport:
    """One `production_watchdog_report`: who runs, the jobs' last outcomes, stalls and states."""

    worker: WorkerIdentity
    #: each job's newest finished run
    jobs: tuple[LastRun, ...]
    #: runs whose lease expired while running (the runner re-claims them on its own)
    stalled_runs: tuple[StalledRun, ...]
    #: jobs whose newest finished run is older than OVERDUE_INTERVALS intervals
    overdue_jobs: tuple[str, ...]
    queue_size: int
    permits_by_status: Mapping[str, int]
    #: each stream's health beside the fetch runs: connected time, lag, last event (issue 16)
    streams: tuple[Mapping[str, Any], ...]
    #: the process's posting state (`Service.posting_state`), merged into the report's top level
    posting: Mapping[str, Any]

    @property
    def severity(self) -> Severity:
        """Return "warning" on a stall, an overdue job, a blocked account or a dropped stream."""
        accounts = self.posting.get("accounts", ())
        blocked = any(item.get("state") == "blocked" for item in accounts)
        dropped = any(item["state"] == StreamState.DISCONNECTED.value for item in self.streams)
        return "warning" if self.stalled_runs or self.overdue_jobs or blocked or dropped else "info"

    def as_data(self) -> dict[str, object]:
        """Return the report as the event's JSON."""
        return {
            **_identity(self.worker),
            "jobs": {last.job: last.as_data() for last in self.jobs},
            "stalled_runs": [run.as_data() for run in self.stalled_runs],
            "overdue_jobs": list(self.overdue_jobs),
            "queue_size": self.queue_size,
            "permits_by_status": dict(self.permits_by_status),
            "streams": [dict(stream) for stream in self.streams],
            **self.posting,
        }


def write_report(context: JobContext, posting: Mapping[str, Any]) -> WatchdogReport:
    """Write `production_watchdog_report`: jobs' last outcomes, stalls, queue, permits, accounts.

    Stalled runs (lease expired while running) and overdue jobs are reported, never restarted
    here: the runner re-claims expired leases on its own, and the report says that it had to.
    """
    store = context.store
    jobs = tuple(store.job_runs.last_by_job())
    report = WatchdogReport(
        worker=context.worker,
        jobs=jobs,
        stalled_runs=tuple(store.job_runs.stalled(context.now)),
        overdue_jobs=overdue_jobs(jobs, context.settings.jobs.model_dump(), context.now),
        queue_size=store.status.queue_size(context.now),
        permits_by_status=store.status.permits_by_status(),
        streams=tuple(stream_report(health, context.now) for health in store.intake.health()),
        posting=posting,
    )
    event = NewEvent(
        event_type=EventType.PRODUCTION_WATCHDOG_REPORT, data=report.as_data(), now=context.now,
        severity=report.severity, component="watchdog", worker_id=context.worker.worker_id,
    )  # fmt: skip
    store.workers.beat(context.worker.worker_id, context.now, [event])
    return report


def overdue_jobs(
    jobs: Sequence[LastRun], intervals: Mapping[str, float], now: datetime
) -> tuple[str, ...]:
    """Return the jobs whose newest finished run is older than OVERDUE_INTERVALS intervals."""
    overdue = []
    for last in sorted(jobs, key=lambda item: item.job):
        interval = intervals.get(last.job)
        if last.finished_at is None or interval is None:
            continue
        if (now - last.finished_at).total_seconds() > OVERDUE_INTERVALS * interval:
            overdue.append(last.job)
    return tuple(overdue)


def _identity(worker: WorkerIdentity) -> dict[str, Any]:
    return {
        "git_sha": worker.git_sha,
        "sha_source": worker.sha_source,
        "role": worker.role,
        "worker_id": worker.worker_id,
        "host": worker.host,
        "pid": worker.pid,
    }
