"""`job_event`: append an event on a connection, for the jobs not yet on the store port.

Jobs on the port hand their events to the store method that makes the change (`run_event`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy.engine import Connection

from xbot.domain.audit import Severity
from xbot.events import EventType
from xbot.jobs.base import JobContext, log_event
from xbot.store.queries.events import append_event


def job_event(  # noqa: PLR0913 - the event's parts, all by keyword but the first four
    connection: Connection,
    context: JobContext,
    event_type: EventType,
    data: Mapping[str, Any],
    *,
    component: str,
    account_id: int | None,
    severity: Severity = "info",
) -> None:
    """Append one event written by this run's worker, at the run's `now`, and log it."""
    append_event(
        connection, event_type, data, now=context.now, severity=severity, component=component,
        account_id=account_id, worker_id=context.worker.worker_id,
    )  # fmt: skip
    log_event(context, event_type, data, component=component, account_id=account_id,
              severity=severity)  # fmt: skip
