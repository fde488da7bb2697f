"""The audit log through the port, on SQLite and PostgreSQL."""

from __future__ import annotations

from sqlalchemy import select

from xbot.domain.audit import NewEvent, StoredEvent
from xbot.store.queries.events import insert_event
from xbot.store.sql.transactions import Transactions
from xbot.store.tables import system_events


class SqlEvents:
    """`EventStore` on `system_events`."""

    def __init__(self, transactions: Transactions) -> None:
        self.transactions = transactions

    def append(self, event: NewEvent) -> int:
        """Append one event and return its id."""
        with self.transactions.begin() as connection:
            return insert_event(connection, event)

    def recent(
        self, *, event_type: str | None = None, account_id: int | None = None, limit: int = 100
    ) -> list[StoredEvent]:
        """Return the newest events, newest first, optionally of one type or account."""
        table = system_events.c
        statement = select(system_events).order_by(table.id.desc()).limit(limit)
        if event_type is not None:
            statement = statement.where(table.event_type == event_type)
        if account_id is not None:
            statement = statement.where(table.account_id == account_id)
        with self.transactions.read() as connection:
            rows = connection.execute(statement).mappings()
            return [
                StoredEvent(
                    event_id=row["id"],
                    event_type=row["event_type"],
                    data=row["event_data"],
                    created_at=row["created_at"],
                    severity=row["severity"],
                    component=row["component"],
                    account_id=row["account_id"],
                    worker_id=row["worker_id"],
                )
                for row in rows
            ]
