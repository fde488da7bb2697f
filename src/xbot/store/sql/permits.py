"""Permits through the port, on SQLite and PostgreSQL: reads and fenced transitions."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from xbot.domain.audit import NewEvent
from xbot.domain.candidates import CandidateMark
from xbot.domain.permits import Permit
from xbot.store.queries import permits, reviews
from xbot.store.queries.events import insert_event
from xbot.store.sql.transactions import Transactions


class SqlPermits:
    """`PermitStore` on `post_attempts`."""

    def __init__(self, transactions: Transactions) -> None:
        self.transactions = transactions

    def past_review_deadline(self, account_id: int, now: datetime) -> list[Permit]:
        """Return the account's AWAITING_REVIEW permits whose review deadline has passed."""
        with self.transactions.read() as connection:
            return reviews.past_review_deadline(connection, account_id, now)

    def transition(
        self,
        before: Permit,
        after: Permit,
        candidate: CandidateMark | None,
        events: Sequence[NewEvent],
    ) -> None:
        """Write `after` while the permit is still `before`, mark its candidate, append events."""
        with self.transactions.begin() as connection:
            permits.write_transition(connection, before, after)
            if candidate is not None:
                permits.mark_candidate(
                    connection, before.decision_id, candidate.status, candidate.reason
                )
            for event in events:
                insert_event(connection, event)
