"""The audit log in memory."""

from __future__ import annotations

import json

from xbot.domain.audit import NewEvent, StoredEvent
from xbot.redact import redact_data
from xbot.store.memory.tables import Tables


def append_to(tables: Tables, event: NewEvent) -> int:
    """Append one event inside the caller's transaction and return its id."""
    stored = StoredEvent(
        event_id=tables.next_id(), event_type=str(event.event_type),
        # through JSON, as a JSON column would: tuples come back as lists
        data=json.loads(json.dumps(redact_data(dict(event.data)))),
        created_at=event.now or tables.clock(),
        severity=event.severity, component=event.component, account_id=event.account_id,
        worker_id=event.worker_id,
    )  # fmt: skip
    tables.events.append(stored)
    return stored.event_id


class MemoryEvents:
    """`EventStore` in memory."""

    def __init__(self, tables: Tables) -> None:
        self.tables = tables

    def append(self, event: NewEvent) -> int:
        """Append one event and return its id."""
        with self.tables.transaction() as tables:
            return append_to(tables, event)

    def recent(
        self, *, event_type: str | None = None, account_id: int | None = None, limit: int = 100
    ) -> list[StoredEvent]:
        """Return the newest events, newest first, optionally of one type or account."""
        with self.tables.transaction() as tables:
            found = [
                event
                for event in reversed(tables.events)
                if event_type in (None, event.event_type) and account_id in (None, event.account_id)
            ]
        return found[:limit]
