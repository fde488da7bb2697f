"""The one way to append to `system_events`, the audit log and the proof source."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import insert
from sqlalchemy.engine import Connection

from xbot.redact import redact_data
from xbot.store.tables import system_events

Severity = Literal["debug", "info", "warning", "error", "critical"]


def append_event(  # noqa: PLR0913 - every column of the event is a keyword on purpose
    connection: Connection,
    event_type: str,
    data: Mapping[str, Any] | None = None,
    *,
    now: datetime,
    severity: Severity = "info",
    component: str = "xbot",
    account_id: int | None = None,
    worker_id: str | None = None,
) -> int:
    """Append one event and return its id; URL passwords in its data are masked first."""
    result = connection.execute(
        insert(system_events)
        .values(
            event_type=event_type,
            event_data=redact_data(dict(data or {})),
            severity=severity,
            component=component,
            account_id=account_id,
            worker_id=worker_id,
            created_at=now,
        )
        .returning(system_events.c.id)
    )
    return int(result.scalar_one())
