"""Ghosts, ghost scans and the scan lease through the port, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any

from xbot.domain.audit import NewEvent
from xbot.domain.cost import AccountCharges
from xbot.domain.ghosts import GhostRecord, GhostScan, NewGhost
from xbot.store.queries import ghosts, usage
from xbot.store.queries.common import database_now
from xbot.store.queries.events import insert_event
from xbot.store.sql.transactions import Transactions


class SqlGhosts:
    """`GhostStore` on `ghost_tweets`, `ghost_scans`, `leases` and the account's watermark."""

    def __init__(self, transactions: Transactions) -> None:
        self.transactions = transactions

    def acquire_scan_lease(
        self, account_id: int, owner: str, now: datetime, until: datetime
    ) -> int | None:
        """Take the account's scan lease unless held past `now`; return its new fence."""
        with self.transactions.begin() as connection:
            return ghosts.acquire_scan_lease(connection, account_id, owner, now, until)

    def release_scan_lease(self, account_id: int, owner: str, fence: int) -> bool:
        """Give the scan lease back; False when it was no longer ours."""
        with self.transactions.begin() as connection:
            return ghosts.release_scan_lease(connection, account_id, owner, fence)

    def watermark(self, account_id: int) -> tuple[str | None, datetime]:
        """Return the newest own post id a scan settled (None at first) and the account's start."""
        with self.transactions.read() as connection:
            return ghosts.ghost_watermark(connection, account_id)

    def record_ghost(self, ghost: NewGhost, event: Callable[[int], NewEvent]) -> int | None:
        """Record a ghost once with `event(ghost_id)`; None (and no event) when already known."""
        with self.transactions.begin() as connection:
            ghost_id = ghosts.insert_ghost(
                connection, ghost.account_id, ghost.post, ghost.classification.value,
                ghost.detected_at,
            )  # fmt: skip
            if ghost_id is not None:
                insert_event(connection, event(ghost_id))
            return ghost_id

    def decision_texts(self, account_id: int, since: datetime) -> list[str]:
        """Return every reply text the account decided on since `since` (ours, if it shows up)."""
        with self.transactions.read() as connection:
            return ghosts.recent_decision_texts(connection, account_id, since)

    def record_scan(
        self, scan: GhostScan, event: NewEvent, charges: AccountCharges | None = None
    ) -> None:
        """Record a finished scan, move the account's watermark, append `event`, add the charges."""
        with self.transactions.begin() as connection:
            if charges is not None:
                usage.add_charges(connection, charges.account_id, charges.charges, charges.at)
            ghosts.set_ghost_watermark(connection, scan.account_id, scan.watermark)
            ghosts.record_ghost_scan(
                connection, account_id=scan.account_id, scanned=scan.scanned, ghosts=scan.ghosts,
                watermark=scan.watermark, worker_id=scan.worker_id, now=scan.at,
            )  # fmt: skip
            insert_event(connection, event)

    def answered_targets(self, account_id: int, target_ids: Sequence[str]) -> dict[str, str]:
        """Return {target id: ghost post id} for targets a ghost reply (not ours) answers."""
        with self.transactions.read() as connection:
            return ghosts.ghost_answered_targets(connection, account_id, target_ids)

    def ghosts(self, *, include_acknowledged: bool = False) -> list[GhostRecord]:
        """Return ghosts, newest first: unacknowledged ones unless `include_acknowledged`."""
        with self.transactions.read() as connection:
            rows = ghosts.list_ghosts(connection, include_acknowledged=include_acknowledged)
        return [_record(row) for row in rows]

    def acknowledge(
        self, identifier: str, by: str, event: Callable[[GhostRecord], NewEvent]
    ) -> GhostRecord | None:
        """Acknowledge a ghost by its id or post id, with `event(ghost)`; None when unknown."""
        with self.transactions.begin() as connection:
            row = ghosts.acknowledge_ghost(connection, identifier, by, database_now(connection))
            if row is None:
                return None
            ghost = _record(ghosts.ghost_with_account(connection, row.id))
            insert_event(connection, event(ghost))
            return ghost


def _record(row: Mapping[str, Any]) -> GhostRecord:
    return GhostRecord(
        ghost_id=row["id"], account_id=row["account_id"], post_id=row["tweet_id"],
        text=row["text"], in_reply_to=row["in_reply_to"], posted_at=row["posted_at"],
        detected_at=row["detected_at"], classification=row["classification"],
        acknowledged_at=row["acknowledged_at"], acknowledged_by=row["acknowledged_by"],
        handle=row["handle"], platform=row["platform"],
    )  # fmt: skip
