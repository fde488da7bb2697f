"""Read-only counts for reports through the port, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import datetime

from xbot.store.queries import status
from xbot.store.sql.transactions import Transactions


class SqlStatus:
    """`StatusStore` on the candidate queue and the permits."""

    def __init__(self, transactions: Transactions) -> None:
        self.transactions = transactions

    def queue_size(self, now: datetime) -> int:
        """Count queued, unexpired candidates."""
        with self.transactions.read() as connection:
            return status.queue_size(connection, now)

    def permits_by_status(self) -> dict[str, int]:
        """Count permits per status."""
        with self.transactions.read() as connection:
            return status.permits_by_status(connection)

    def accounts_with_pending_permits(self) -> set[int]:
        """Return the accounts that have a PENDING permit (the post job's work)."""
        with self.transactions.read() as connection:
            return status.accounts_with_pending_permits(connection)

    def accounts_with_queued_candidates(self, now: datetime) -> set[int]:
        """Return the accounts with a queued candidate not expired at `now`."""
        with self.transactions.read() as connection:
            return status.accounts_with_queued_candidates(connection, now)
