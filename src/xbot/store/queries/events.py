"""The one way to append to `system_events`, the audit log and the proof source."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import insert
from sqlalchemy.engine import Connection

from xbot.redact import redact_data
from xbot.store.tables import system_events

Severity = Literal["debug", "info", "warning", "error", "critical"]


@dataclass(frozen=True, kw_only=True, slots=True)
class NewEvent:
    """One `system_events` row to append; URL passwords in its data are masked on the way in."""

    event_type: str
    data: Mapping[str, Any]
    now: datetime
    severity: Severity = "info"
    component: str = "xbot"
    account_id: int | None = None
    worker_id: str | None = None

    def values(self) -> dict[str, Any]:
        """Return the row's column values."""
        return {
            "event_type": self.event_type,
            "event_data": redact_data(dict(self.data)),
            "severity": self.severity,
            "component": self.component,
            "account_id": self.account_id,
            "worker_id": self.worker_id,
            "created_at": self.now,
        }


_INSERT = insert(system_events).returning(system_events.c.id)


def insert_event(connection: Connection, event: NewEvent) -> int:
    """Append one event and return its id."""
    return int(connection.execute(_INSERT, event.values()).scalar_one())


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
    event = NewEvent(
        event_type=event_type, data=data or {}, now=now, severity=severity, component=component,
        account_id=account_id, worker_id=worker_id,
    )  # fmt: skip
    return insert_event(connection, event)
