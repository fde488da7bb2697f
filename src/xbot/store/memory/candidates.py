"""The candidate queue in memory."""

from __future__ import annotations

from collections.abc import Sequence

from xbot.domain.candidates import CandidateStatus, ExpiryReason, NewCandidate
from xbot.store.memory.tables import CandidateRow, Tables


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
            return {
                row.found.conversation_id
                for row in tables.candidates.values()
                if row.found.account_id == account_id
                and row.found.conversation_id is not None
                and row.candidate_id in tables.decided_candidates
            }

    def known_post_ids(self, account_id: int, post_ids: Sequence[str]) -> set[str]:
        """Return which of these post ids the queue has already, in any status."""
        with self.tables.transaction() as tables:
            known = {row.found.candidate_post_id for row in tables.candidates.values()
                     if row.found.account_id == account_id}  # fmt: skip
        return known & set(post_ids)

    def add(
        self, account_id: int, found: Sequence[NewCandidate], keep: int, watermark: str | None
    ) -> int:
        """Add unknown candidates, trim the queue to `keep`, move the watermark; return trimmed."""
        with self.tables.transaction() as tables:
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
