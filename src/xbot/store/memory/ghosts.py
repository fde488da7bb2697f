"""Ghosts, ghost scans and the scan lease in memory."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import datetime

from xbot.domain.audit import NewEvent
from xbot.domain.cost import AccountCharges
from xbot.domain.ghosts import GhostRecord, GhostScan, NewGhost
from xbot.domain.permits import PermitStatus
from xbot.store.memory.events import append_to
from xbot.store.memory.tables import Lease, Tables
from xbot.store.memory.usage import add_charges_to


class MemoryGhosts:
    """`GhostStore` in memory."""

    def __init__(self, tables: Tables) -> None:
        self.tables = tables

    def acquire_scan_lease(
        self, account_id: int, owner: str, now: datetime, until: datetime
    ) -> int | None:
        """Take the account's scan lease unless held past `now`; return its new fence."""
        with self.tables.transaction() as tables:
            lease = tables.leases.get(f"ghost_scan:{account_id}", Lease())
            held = lease.owner is not None and lease.until is not None and lease.until > now
            if held:
                return None
            tables.leases[f"ghost_scan:{account_id}"] = Lease(
                owner=owner, fence=lease.fence + 1, until=until
            )
            return lease.fence + 1

    def release_scan_lease(self, account_id: int, owner: str, fence: int) -> bool:
        """Give the scan lease back; False when it was no longer ours."""
        with self.tables.transaction() as tables:
            lease = tables.leases.get(f"ghost_scan:{account_id}")
            if lease is None or (lease.owner, lease.fence) != (owner, fence):
                return False
            tables.leases[f"ghost_scan:{account_id}"] = Lease(fence=fence)
            return True

    def watermark(self, account_id: int) -> tuple[str | None, datetime]:
        """Return the newest own post id a scan settled (None at first) and the account's start."""
        with self.tables.transaction() as tables:
            account = tables.accounts[account_id]
            return tables.ghost_watermarks.get(account_id), account.created_at

    def record_ghost(self, ghost: NewGhost, event: Callable[[int], NewEvent]) -> int | None:
        """Record a ghost once with `event(ghost_id)`; None (and no event) when already known."""
        with self.tables.transaction() as tables:
            key = (ghost.account_id, ghost.post.post_id)
            if any((row.account_id, row.post_id) == key for row in tables.ghosts.values()):
                return None
            account = tables.accounts[ghost.account_id]
            ghost_id = tables.next_id()
            tables.ghosts[ghost_id] = GhostRecord(
                ghost_id=ghost_id, account_id=ghost.account_id, post_id=ghost.post.post_id,
                text=ghost.post.text, in_reply_to=ghost.post.in_reply_to_post_id,
                posted_at=ghost.post.created_at, detected_at=ghost.detected_at,
                classification=ghost.classification.value, acknowledged_at=None,
                acknowledged_by=None, handle=account.handle, platform=account.platform,
            )  # fmt: skip
            append_to(tables, event(ghost_id))
            return ghost_id

    def decision_texts(self, account_id: int, since: datetime) -> list[str]:
        """Return every reply text the account decided on since `since` (ours, if it shows up)."""
        with self.tables.transaction() as tables:
            return [
                row.decision.reply_text
                for row in tables.decisions.values()
                if row.decision.account_id == account_id and row.created_at >= since
            ]

    def record_scan(
        self, scan: GhostScan, event: NewEvent, charges: AccountCharges | None = None
    ) -> None:
        """Record a finished scan, move the account's watermark, append `event`, add the charges."""
        with self.tables.transaction() as tables:
            if charges is not None:
                add_charges_to(tables, charges)
            tables.ghost_watermarks[scan.account_id] = scan.watermark
            tables.ghost_scans.append(scan)
            append_to(tables, event)

    def answered_targets(self, account_id: int, target_ids: Sequence[str]) -> dict[str, str]:
        """Return {target id: ghost post id} for targets a ghost reply (not ours) answers."""
        wanted = set(target_ids)
        with self.tables.transaction() as tables:
            ours = {
                permit.actual_tweet_id
                for permit in tables.permits.values()
                if permit.account_id == account_id and permit.status is PermitStatus.USED
            }
            newest_first = sorted(
                tables.ghosts.values(), key=lambda row: row.ghost_id, reverse=True
            )
        answered: dict[str, str] = {}
        for ghost in newest_first:
            if (
                ghost.account_id == account_id
                and ghost.in_reply_to in wanted
                and ghost.post_id not in ours
            ):
                answered[ghost.in_reply_to] = ghost.post_id
        return answered

    def ghosts(self, *, include_acknowledged: bool = False) -> list[GhostRecord]:
        """Return ghosts, newest first: unacknowledged ones unless `include_acknowledged`."""
        with self.tables.transaction() as tables:
            rows = [row for row in tables.ghosts.values()
                    if include_acknowledged or row.acknowledged_at is None]  # fmt: skip
        return sorted(rows, key=lambda row: (row.detected_at, row.ghost_id), reverse=True)

    def acknowledge(
        self, identifier: str, by: str, event: Callable[[GhostRecord], NewEvent]
    ) -> GhostRecord | None:
        """Acknowledge a ghost by its id or post id, with `event(ghost)`; None when unknown."""
        by_id = identifier.isdigit() and len(identifier) < 12
        with self.tables.transaction() as tables:
            found = [
                row
                for row in sorted(tables.ghosts.values(), key=lambda row: row.ghost_id)
                if row.post_id == identifier or (by_id and row.ghost_id == int(identifier))
            ]
            if not found:
                return None
            ghost = found[0]
            if ghost.acknowledged_at is None:
                ghost = replace(ghost, acknowledged_at=tables.clock(), acknowledged_by=by)
                tables.ghosts[ghost.ghost_id] = ghost
            append_to(tables, event(ghost))
            return ghost
