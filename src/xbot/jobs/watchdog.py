"""The watchdog: the boot report once, then a report on a cadence (DESIGN §4.6, §13)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy.engine import Connection

from xbot.jobs.base import JobContext, WorkerIdentity
from xbot.store.engine import translated_errors
from xbot.store.queries import job_runs, status, workers
from xbot.store.queries.events import append_event


def write_boot(
    connection: Connection, worker: WorkerIdentity, jobs: Sequence[str], now: datetime
) -> None:
    """Register the worker and write `production_watchdog_boot`."""
    workers.register_worker(
        connection,
        worker_id=worker.worker_id,
        role=worker.role,
        git_sha=worker.git_sha,
        sha_source=worker.sha_source,
        host=worker.host,
        pid=worker.pid,
        now=now,
    )
    append_event(
        connection,
        "production_watchdog_boot",
        {**_identity(worker), "jobs": list(jobs)},
        now=now,
        component="watchdog",
        worker_id=worker.worker_id,
    )


def write_report(context: JobContext, posting: Mapping[str, Any]) -> Mapping[str, Any]:
    """Write `production_watchdog_report` with each job's last outcome and the queue."""
    with translated_errors(), context.engine.begin() as connection:
        workers.beat(connection, context.worker.worker_id, context.now)
        report = {
            **_identity(context.worker),
            "jobs": job_runs.last_runs_by_job(connection),
            "queue_size": status.queue_size(connection, context.now),
            "permits_by_status": status.permits_by_status(connection),
            **posting,
        }
        append_event(
            connection,
            "production_watchdog_report",
            report,
            now=context.now,
            component="watchdog",
            worker_id=context.worker.worker_id,
        )
    return report


def _identity(worker: WorkerIdentity) -> dict[str, Any]:
    return {
        "git_sha": worker.git_sha,
        "sha_source": worker.sha_source,
        "role": worker.role,
        "worker_id": worker.worker_id,
        "host": worker.host,
        "pid": worker.pid,
    }
