"""The one way to append to `system_events`, the audit log and the proof source."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, insert
from sqlalchemy.engine import Connection

from xbot.domain.audit import NewEvent, Severity
from xbot.redact import redact_data
from xbot.store.queries.common import database_now
from xbot.store.queries.fast import Prepared, run
from xbot.store.tables import system_events

__all__ = ["NewEvent", "Severity", "append", "append_event", "event_values", "insert_event"]


def event_values(event: NewEvent, now: datetime | None = None) -> dict[str, Any]:
    """Return the row's column values; URL passwords in its data are masked on the way in."""
    return {
        "event_type": event.event_type,
        "event_data": redact_data(dict(event.data)),
        "severity": event.severity,
        "component": event.component,
        "account_id": event.account_id,
        "worker_id": event.worker_id,
        "created_at": event.now or now,
    }


_INSERT = insert(system_events).returning(system_events.c.id)


def insert_event(connection: Connection, event: NewEvent) -> int:
    """Append one event and return its id; an event without `now` gets the database's clock."""
    now = event.now or database_now(connection)
    return int(connection.execute(_INSERT, event_values(event, now)).scalar_one())


_COLUMNS = [column for column in system_events.c if column.name != "id"]
_PREPARED_INSERT = Prepared(
    insert(system_events).values(
        {column.name: bindparam(f"new_{column.name}", type_=column.type) for column in _COLUMNS}
    )
)


def append(connection: Connection, event: NewEvent) -> None:
    """Append one event on the posting path's prepared statement (xbot.store.queries.fast)."""
    if event.now is None:
        insert_event(connection, event)
        return
    values = event_values(event)
    run(connection, _PREPARED_INSERT, {f"new_{name}": value for name, value in values.items()})


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
