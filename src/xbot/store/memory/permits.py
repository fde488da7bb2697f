"""Permits in memory: the domain's Permit records, written only at their fence."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from xbot.domain.audit import NewEvent
from xbot.domain.candidates import CandidateMark
from xbot.domain.errors import LeaseLost
from xbot.domain.permits import Permit, PermitStatus
from xbot.store.memory.events import append_to
from xbot.store.memory.tables import Tables


class MemoryPermits:
    """`PermitStore` in memory."""

    def __init__(self, tables: Tables) -> None:
        self.tables = tables

    def past_review_deadline(self, account_id: int, now: datetime) -> list[Permit]:
        """Return the account's AWAITING_REVIEW permits whose review deadline has passed."""
        with self.tables.transaction() as tables:
            return [
                permit
                for permit in tables.permits.values()
                if permit.account_id == account_id
                and permit.status is PermitStatus.AWAITING_REVIEW
                and permit.review_deadline is not None
                and permit.review_deadline <= now
            ]

    def transition(
        self,
        before: Permit,
        after: Permit,
        candidate: CandidateMark | None,
        events: Sequence[NewEvent],
    ) -> None:
        """Write `after` while the permit is still `before`, mark its candidate, append events."""
        with self.tables.transaction() as tables:
            current = tables.permits.get(before.permit_id)
            if current is None or (current.fence, current.status) != (before.fence, before.status):
                raise LeaseLost(
                    f"permit {before.permit_id} is no longer {before.status.value} at fence "
                    f"{before.fence}: another worker took it over"
                )
            tables.permits[before.permit_id] = after
            if candidate is not None:
                decision = tables.decisions[before.decision_id].decision
                row = tables.candidates[decision.candidate_id]
                row.status = candidate.status
                if candidate.reason is not None:
                    row.skip_reason = candidate.reason[:64]
            for event in events:
                append_to(tables, event)
