"""The candidate queue through the port, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime

from xbot.domain.audit import NewEvent
from xbot.domain.candidates import CONFIRMATION_FLAG, NewCandidate, WaitingCandidate
from xbot.domain.cost import Charge
from xbot.store.queries import candidates, usage
from xbot.store.queries.common import database_now
from xbot.store.queries.events import insert_event
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

    def queued(self, account_id: int, now: datetime) -> list[WaitingCandidate]:
        """Return the account's queued candidates not expired at `now`, best score first."""
        with self.transactions.read() as connection:
            rows = candidates.queued_candidates(connection, account_id, now)
        return [
            WaitingCandidate(
                candidate_id=row.id,
                account_id=row.account_id,
                candidate_post_id=row.candidate_post_id,
                author_id=row.author_id,
                author_handle=row.author_handle,
                text=row.text,
                conversation_id=row.conversation_id,
                score=row.score,
                tier=row.tier,
                confirmation=(row.target_meta or {}).get(CONFIRMATION_FLAG) is True,
            )
            for row in rows
        ]

    def keep_queued_until(self, account_id: int, until: datetime) -> int:
        """Keep queued candidates lapsing before `until` queued until then; return how many."""
        with self.transactions.begin() as connection:
            return candidates.keep_queued_until(connection, account_id, until)

    def expire_stale(
        self, account_id: int, now: datetime, reason: str, event: Callable[[list[int]], NewEvent]
    ) -> list[int]:
        """Expire queued candidates past their expiry with `reason`, with `event(ids)` if any."""
        with self.transactions.begin() as connection:
            expired = candidates.expire_stale(connection, account_id, now, reason)
            if expired:
                insert_event(connection, event(expired))
            return expired

    def skip(self, candidate_id: int, reason: str, event: NewEvent | None = None) -> None:
        """Mark a queued candidate skipped with `reason` (and append `event`, if any)."""
        with self.transactions.begin() as connection:
            candidates.skip_candidate(connection, candidate_id, reason)
            if event is not None:
                insert_event(connection, event)

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
        with self.transactions.begin() as connection:
            if charges:
                usage.add_charges(connection, account_id, charges, now or database_now(connection))
            for candidate in found:
                candidates.insert_candidate(connection, candidate.values())
            trimmed = candidates.trim_queue(connection, account_id, keep)
            candidates.store_watermark(connection, account_id, watermark)
            return trimmed
