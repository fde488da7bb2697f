"""The candidate queue through the port, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Sequence

from xbot.domain.candidates import NewCandidate
from xbot.store.queries import candidates
from xbot.store.sql.transactions import Transactions


class SqlCandidates:
    """`CandidateStore` on `reply_candidate_queue` and the account's fetch watermark."""

    def __init__(self, transactions: Transactions) -> None:
        self.transactions = transactions

    def fetch_watermark(self, account_id: int) -> str | None:
        """Return where the account's last fetch stopped."""
        with self.transactions.read() as connection:
            return candidates.fetch_watermark(connection, account_id)

    def replied_conversations(self, account_id: int) -> set[str]:
        """Return the conversations the account already decided to answer."""
        with self.transactions.read() as connection:
            return candidates.replied_conversations(connection, account_id)

    def known_post_ids(self, account_id: int, post_ids: Sequence[str]) -> set[str]:
        """Return which of these post ids the queue has already, in any status."""
        with self.transactions.read() as connection:
            return candidates.known_post_ids(connection, account_id, post_ids)

    def add(
        self, account_id: int, found: Sequence[NewCandidate], keep: int, watermark: str | None
    ) -> int:
        """Add unknown candidates, trim the queue to `keep`, move the watermark; return trimmed."""
        with self.transactions.begin() as connection:
            for candidate in found:
                candidates.insert_candidate(connection, candidate.values())
            trimmed = candidates.trim_queue(connection, account_id, keep)
            candidates.store_watermark(connection, account_id, watermark)
            return trimmed
