"""Accounts, platform faults, the kill switch and the deployment in memory."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from xbot.config import AccountSettings
from xbot.domain.account_state import AccountRecord, BlockReason, PlatformFault, Switch
from xbot.domain.audit import NewEvent
from xbot.domain.claims import KillSwitch
from xbot.domain.readiness import Deployment
from xbot.store.memory.events import append_to
from xbot.store.memory.tables import Tables


class MemoryAccounts:
    """`AccountStore` in memory."""

    def __init__(self, tables: Tables) -> None:
        self.tables = tables

    def sync(self, configured: Sequence[AccountSettings]) -> list[AccountRecord]:
        """Add configured accounts, disable the others, and return the enabled ones by id."""
        wanted: dict[tuple[str, str], bool] = {
            (item.platform, item.handle.lower()): item.enabled for item in configured
        }
        with self.tables.transaction() as tables:
            known = {(row.platform, row.handle) for row in tables.accounts.values()}
            for platform, handle in sorted(wanted.keys() - known):
                account_id = tables.next_id()
                tables.accounts[account_id] = AccountRecord(
                    account_id=account_id, platform=platform, handle=handle,
                    platform_user_id=None, created_at=tables.clock(),
                )  # fmt: skip
            tables.enabled = {
                account_id for account_id, row in tables.accounts.items()
                if wanted.get((row.platform, row.handle), False)
            }  # fmt: skip
            return [tables.accounts[account_id] for account_id in sorted(tables.enabled)]

    def platform_user_id(self, account_id: int) -> str | None:
        """Return the platform's id for the account, once known."""
        with self.tables.transaction() as tables:
            row = tables.accounts.get(account_id)
            return row.platform_user_id if row else None

    def set_platform_user_id(self, account_id: int, platform_user_id: str) -> None:
        """Remember the platform's id for the account."""
        with self.tables.transaction() as tables:
            row = tables.accounts.get(account_id)
            if row is not None:
                tables.accounts[account_id] = replace(row, platform_user_id=platform_user_id)

    def our_accounts(self, platform: str, except_id: int) -> set[str]:
        """Return the handles and platform ids of our other accounts on a platform (any state)."""
        with self.tables.transaction() as tables:
            rows = [row for account_id, row in tables.accounts.items()
                    if row.platform == platform and account_id != except_id]  # fmt: skip
        return {name for row in rows for name in (row.handle, row.platform_user_id) if name}

    def faults(self) -> dict[int, PlatformFault]:
        """Return every account's standing platform fault, by account id."""
        with self.tables.transaction() as tables:
            return dict(tables.faults)

    def set_fault(
        self, account_id: int, reason: BlockReason, detail: str, by: str, event: NewEvent
    ) -> bool:
        """Block the account; True (and `event` appended) when the fault is new or changed."""
        del by  # the SQL store keeps it in `controls.updated_by`; nothing reads it back
        with self.tables.transaction() as tables:
            before = tables.faults.get(account_id)
            if before is not None and before.reason is reason:
                return False
            tables.faults[account_id] = PlatformFault(
                reason=reason, since=tables.clock(), detail=detail
            )
            append_to(tables, event)
            return True

    def clear_fault(self, account_id: int, event: NewEvent) -> bool:
        """Clear the account's fault; True (and `event` appended) when there was one."""
        with self.tables.transaction() as tables:
            if tables.faults.pop(account_id, None) is None:
                return False
            append_to(tables, event)
            return True

    def kill_switch(self) -> Switch:
        """Return the kill switch with when and by whom it was last set; off when never set."""
        with self.tables.transaction() as tables:
            return tables.kill_switch

    def set_kill_switch(self, switch: KillSwitch, by: str, event: NewEvent) -> None:
        """Set the kill switch (and drain) and append `event`."""
        with self.tables.transaction() as tables:
            tables.kill_switch = Switch(
                on=switch.on, drain=switch.drain, since=tables.clock(), by=by
            )
            append_to(tables, event)

    def active_deployment(self) -> Deployment | None:
        """Return the newest declared deployment, or None."""
        with self.tables.transaction() as tables:
            if not tables.deployments:
                return None
            return max(tables.deployments, key=lambda item: item.declared_at)

    def mark_deployment(self, sha: str, by: str, note: str | None, event: NewEvent) -> None:
        """Declare `sha` the active deployment and append `event`."""
        with self.tables.transaction() as tables:
            declared = Deployment(sha=sha, declared_at=tables.clock(), declared_by=by, note=note)
            tables.deployments.append(declared)
            append_to(tables, event)
