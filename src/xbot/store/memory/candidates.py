"""The candidate queue in memory."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime

from xbot.domain.audit import NewEvent
from xbot.domain.candidates import (
    CONFIRMATION_FLAG,
    CandidateStatus,
    ExpiryReason,
    NewCandidate,
    WaitingCandidate,
)
from xbot.domain.cost import AccountCharges, Charge
from xbot.store.memory.events import append_to
from xbot.store.memory.tables import CandidateRow, Tables
from xbot.store.memory.usage import add_charges_to


class MemoryCandidates:
    """`CandidateStore` in memory."""

    def __init__(self, tables: Tables) -> None:
        self.tables = tables

    def fetch_watermark(self, account_id: int) -> str | None:
        """Return where the account's last fetch stopped."""
        with self.tables.transaction() as tables:
            return tables.fetch_watermarks.get(account_id)

    def replied_conversations(self, account_id: int) -> set[str]:
        """Return the conversations the account already decided to answer."""
        with self.tables.transaction() as tables:
            decided = {row.decision.candidate_id for row in tables.decisions.values()}
            return {
                row.found.conversation_id
                for row in tables.candidates.values()
                if row.found.account_id == account_id
                and row.found.conversation_id is not None
                and row.candidate_id in decided
            }

    def known_post_ids(self, account_id: int, post_ids: Sequence[str]) -> set[str]:
        """Return which of these post ids the queue has already, in any status."""
        with self.tables.transaction() as tables:
            known = {row.found.candidate_post_id for row in tables.candidates.values()
                     if row.found.account_id == account_id}  # fmt: skip
        return known & set(post_ids)

    def queued(self, account_id: int, now: datetime) -> list[WaitingCandidate]:
        """Return the account's queued candidates not expired at `now`, best score first."""
        with self.tables.transaction() as tables:
            rows = [row for row in tables.candidates.values()
                    if row.found.account_id == account_id and _queued_at(row, now)]  # fmt: skip
        rows.sort(key=lambda row: (-(row.found.score or 0.0), row.candidate_id))
        return [
            WaitingCandidate(
                candidate_id=row.candidate_id,
                account_id=row.found.account_id,
                candidate_post_id=row.found.candidate_post_id,
                author_id=row.found.author_id,
                author_handle=row.found.author_handle,
                text=row.found.text,
                conversation_id=row.found.conversation_id,
                score=row.found.score,
                tier=row.found.tier,
                confirmation=(row.found.target_meta or {}).get(CONFIRMATION_FLAG) is True,
            )
            for row in rows
        ]

    def keep_queued_until(self, account_id: int, until: datetime) -> int:
        """Keep queued candidates lapsing before `until` queued until then; return how many."""
        with self.tables.transaction() as tables:
            rows = [row for row in self._queued(tables, account_id)
                    if row.expires_at is not None and row.expires_at < until]  # fmt: skip
            for row in rows:
                row.expires_at = until
            return len(rows)

    def expire_stale(
        self, account_id: int, now: datetime, reason: str, event: Callable[[list[int]], NewEvent]
    ) -> list[int]:
        """Expire queued candidates past their expiry with `reason`, with `event(ids)` if any."""
        with self.tables.transaction() as tables:
            rows = [row for row in self._queued(tables, account_id)
                    if row.expires_at is not None and row.expires_at <= now]  # fmt: skip
            for row in rows:
                row.status, row.skip_reason = CandidateStatus.EXPIRED, reason[:64]
            expired = sorted(row.candidate_id for row in rows)
            if expired:
                append_to(tables, event(expired))
            return expired

    def skip(self, candidate_id: int, reason: str, event: NewEvent | None = None) -> None:
        """Mark a queued candidate skipped with `reason` (and append `event`, if any)."""
        with self.tables.transaction() as tables:
            row = tables.candidates.get(candidate_id)
            if row is not None and row.status is CandidateStatus.QUEUED:
                row.status, row.skip_reason = CandidateStatus.SKIPPED, reason[:64]
            if event is not None:
                append_to(tables, event)

    @staticmethod
    def _queued(tables: Tables, account_id: int) -> list[CandidateRow]:
        mine = [row for row in tables.candidates.values() if row.found.account_id == account_id]
        return [row for row in mine if row.status is CandidateStatus.QUEUED]

    def add(  # noqa: PLR0913 - one transaction's parts
        self,
        account_id: int,
        found: Sequence[NewCandidate],
        keep: int,
        watermark: str | None,
        *,
        charges: Sequence[Charge] = (),
        now: datetime | None = None,
    ) -> int:
        """Add unknown candidates, trim the queue to `keep`, move the watermark; return trimmed.

        Known posts are left as they are; `charges` are added to `now`'s usage in the same
        transaction.
        """
        with self.tables.transaction() as tables:
            at = now or tables.clock()
            add_charges_to(
                tables, AccountCharges(account_id=account_id, charges=tuple(charges), at=at)
            )
            for candidate in found:
                if not self.known_post_ids(candidate.account_id, [candidate.candidate_post_id]):
                    candidate_id = tables.next_id()
                    tables.candidates[candidate_id] = CandidateRow(
                        candidate_id=candidate_id, found=candidate, status=candidate.status,
                        expires_at=candidate.expires_at, skip_reason=candidate.skip_reason,
                    )  # fmt: skip
            queued = sorted(
                (row for row in tables.candidates.values()
                 if row.found.account_id == account_id and row.status is CandidateStatus.QUEUED),
                key=lambda row: (row.found.score or 0.0, row.candidate_id),
                reverse=True,
            )  # fmt: skip
            for row in queued[keep:]:
                row.status, row.skip_reason = CandidateStatus.EXPIRED, ExpiryReason.QUEUE_FULL.value
            if watermark:
                tables.fetch_watermarks[account_id] = watermark
            return len(queued[keep:])


def _queued_at(row: CandidateRow, now: datetime) -> bool:
    expires = row.expires_at
    return row.status is CandidateStatus.QUEUED and expires is not None and expires > now
