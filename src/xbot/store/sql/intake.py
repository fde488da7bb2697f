"""Streams through the port, on SQLite and PostgreSQL: leases, fenced admits, health."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

from xbot.domain.audit import NewEvent
from xbot.domain.candidates import NewCandidate
from xbot.domain.errors import LeaseLost
from xbot.domain.intake import Delivery, StreamHealth, StreamLease, StreamState
from xbot.store.queries import intake
from xbot.store.queries.events import insert_event
from xbot.store.sql.transactions import Transactions


class SqlIntake:
    """`IntakeStore` on `intake_streams` and the candidate queue."""

    def __init__(self, transactions: Transactions) -> None:
        self.transactions = transactions

    def acquire(
        self, account_id: int, stream: str, owner: str, lease: timedelta
    ) -> StreamLease | None:
        """Take the stream's lease unless another owner holds it unexpired; bump its fence."""
        with self.transactions.begin() as connection:
            return intake.acquire(connection, account_id, stream, owner, lease)

    def renew(self, held: StreamLease, lease: timedelta) -> StreamLease | None:
        """Extend the lease while still held; None means another worker took it."""
        with self.transactions.begin() as connection:
            return intake.renew(connection, held, lease)

    def release(self, held: StreamLease, events: Sequence[NewEvent] = ()) -> bool:
        """Give the lease back with `events` (stopped, unless unavailable); False if not ours."""
        with self.transactions.begin() as connection:
            released = intake.release(connection, held)
            for event in events if released else ():
                insert_event(connection, event)
            return released

    def admit(
        self, held: StreamLease, found: Sequence[NewCandidate], keep: int, delivery: Delivery
    ) -> int:
        """Insert unknown candidates, trim, move the cursor and health; one transaction."""
        with self.transactions.begin() as connection:
            trimmed = intake.admit(connection, held, found, keep, delivery)
            if trimmed is None:
                raise LeaseLost  # rolls the inserts back
            return trimmed

    def mark(
        self, held: StreamLease, state: StreamState, detail: str | None, events: Sequence[NewEvent]
    ) -> None:
        """Record that the stream connected, dropped or is unavailable, with `events`."""
        with self.transactions.begin() as connection:
            if not intake.mark(connection, held, state, detail):
                raise LeaseLost
            for event in events:
                insert_event(connection, event)

    def backfilled(self, held: StreamLease, count: int, events: Sequence[NewEvent]) -> None:
        """Count the candidates a (re)connect's backfill found, with `events`."""
        with self.transactions.begin() as connection:
            if not intake.backfilled(connection, held, count):
                raise LeaseLost
            for event in events:
                insert_event(connection, event)

    def health(self) -> list[StreamHealth]:
        """Return every (account, stream) row, by account and stream."""
        with self.transactions.read() as connection:
            return intake.health(connection)
