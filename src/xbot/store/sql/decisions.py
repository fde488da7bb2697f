"""Decisions and their PENDING permits through the port, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime

from xbot.domain.audit import NewEvent
from xbot.domain.budgets import ReplyRecord
from xbot.domain.clock import ensure_utc
from xbot.domain.decisions import Decided, NewDecision
from xbot.domain.errors import DuplicateDecision
from xbot.domain.permits import PermitStatus
from xbot.store.queries import candidates, decisions
from xbot.store.queries.events import insert_event
from xbot.store.sql.transactions import Transactions


class SqlDecisions:
    """`DecisionStore` on `reply_decisions` and `post_attempts`."""

    def __init__(self, transactions: Transactions) -> None:
        self.transactions = transactions

    def decide(
        self,
        decision: NewDecision,
        now: datetime,
        events: Callable[[Decided], Sequence[NewEvent]],
    ) -> Decided | None:
        """Select the candidate, write the decision, its permit and `events(decided)` at once."""
        try:
            with self.transactions.begin() as connection:
                if not candidates.select_candidate(connection, decision.candidate_id):
                    return None
                decision_id, permit_id = decisions.insert_decision_with_permit(
                    connection, decision, now
                )
                decided = Decided(decision_id=decision_id, permit_id=permit_id)
                for event in events(decided):
                    insert_event(connection, event)
                return decided
        except DuplicateDecision:
            return None

    def posting_history(self, account_id: int, since: datetime) -> list[ReplyRecord]:
        """Return the account's live or spent permits counted since `since` (for budgets)."""
        with self.transactions.read() as connection:
            rows = decisions.posting_history(connection, account_id, since)
        return [
            ReplyRecord(
                at=ensure_utc(row.counted_at),
                author_id=row.author_id,
                thread_id=row.conversation_id or row.target_post_id,
                target_post_id=row.target_post_id,
                counted=row.status != PermitStatus.AWAITING_REVIEW.value,
            )
            for row in rows
        ]

    def recent_reply_texts(self, account_id: int, since: datetime) -> list[str]:
        """Return the account's reply texts decided since `since`, newest first."""
        with self.transactions.read() as connection:
            return decisions.recent_reply_texts(connection, account_id, since)
