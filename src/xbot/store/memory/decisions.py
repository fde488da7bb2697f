"""Decisions and their PENDING permits in memory, with the SQL store's uniqueness rules."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from datetime import datetime

from xbot.domain.audit import NewEvent
from xbot.domain.budgets import ReplyRecord
from xbot.domain.candidates import CandidateStatus
from xbot.domain.decisions import Decided, NewDecision
from xbot.domain.permits import Permit, PermitId, PermitStatus
from xbot.domain.review import content_sha256
from xbot.store.memory.events import append_to
from xbot.store.memory.tables import DecisionRow, Tables

#: the permits budgets count (xbot.store.queries.decisions.LIVE_OR_SPENT)
LIVE_OR_SPENT = (
    PermitStatus.PENDING,
    PermitStatus.POSTING,
    PermitStatus.USED,
    PermitStatus.UNKNOWN,
    PermitStatus.SHADOWED,
    PermitStatus.AWAITING_REVIEW,
)


class MemoryDecisions:
    """`DecisionStore` in memory."""

    def __init__(self, tables: Tables) -> None:
        self.tables = tables

    def decide(
        self,
        decision: NewDecision,
        now: datetime,
        events: Callable[[Decided], Sequence[NewEvent]],
    ) -> Decided | None:
        """Select the candidate, write the decision, its permit and `events(decided)` at once."""
        with self.tables.transaction() as tables:
            candidate = tables.candidates.get(decision.candidate_id)
            if candidate is None or candidate.status is not CandidateStatus.QUEUED:
                return None
            target = (decision.account_id, decision.target_post_id)
            if any((row.decision.account_id, row.decision.target_post_id) == target
                   for row in tables.decisions.values()):  # fmt: skip
                return None  # the unique target per account: the transaction rolls back
            candidate.status = CandidateStatus.SELECTED
            decided = Decided(
                decision_id=f"dec_{uuid.uuid4().hex}", permit_id=f"pmt_{uuid.uuid4().hex}"
            )
            tables.decisions[decided.decision_id] = DecisionRow(
                decision_id=decided.decision_id, decision=decision, created_at=now
            )
            tables.permits[decided.permit_id] = Permit(
                permit_id=PermitId(decided.permit_id), decision_id=decided.decision_id,
                account_id=decision.account_id, status=_first_status(decision), created_at=now,
                expires_at=decision.permit_expires_at, updated_at=now, not_before=now,
                review_deadline=decision.review_deadline,
                content_sha256=content_sha256(decision.reply_text),
            )  # fmt: skip
            for event in events(decided):
                append_to(tables, event)
            return decided

    def posting_history(self, account_id: int, since: datetime) -> list[ReplyRecord]:
        """Return the account's live or spent permits counted since `since` (for budgets)."""
        with self.tables.transaction() as tables:
            permits = [permit for permit in tables.permits.values()
                       if permit.account_id == account_id and permit.status in LIVE_OR_SPENT
                       and since <= permit.budget_at]  # fmt: skip
            records = []
            for permit in sorted(permits, key=lambda permit: permit.budget_at):
                decision = tables.decisions[permit.decision_id].decision
                found = tables.candidates[decision.candidate_id].found
                records.append(
                    ReplyRecord(
                        at=permit.budget_at,
                        author_id=found.author_id,
                        thread_id=found.conversation_id or decision.target_post_id,
                        target_post_id=decision.target_post_id,
                        counted=permit.status is not PermitStatus.AWAITING_REVIEW,
                    )
                )
        return records

    def recent_reply_texts(self, account_id: int, since: datetime) -> list[str]:
        """Return the account's reply texts decided since `since`, newest first."""
        with self.tables.transaction() as tables:
            mine = [
                row for row in tables.decisions.values() if row.decision.account_id == account_id
            ]
        rows = [row for row in mine if row.created_at >= since]
        rows.sort(key=lambda row: row.created_at, reverse=True)
        return [row.decision.reply_text for row in rows[:500]]


def _first_status(decision: NewDecision) -> PermitStatus:
    if decision.review_deadline is None:
        return PermitStatus.PENDING
    return PermitStatus.AWAITING_REVIEW
