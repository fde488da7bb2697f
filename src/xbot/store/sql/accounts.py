"""Accounts, platform faults, the kill switch and the deployment through the port."""

from __future__ import annotations

from collections.abc import Sequence

from xbot.config import AccountSettings
from xbot.domain.account_state import AccountRecord, BlockReason, PlatformFault, Switch
from xbot.domain.audit import NewEvent
from xbot.domain.claims import KillSwitch
from xbot.domain.readiness import Deployment
from xbot.store.queries import accounts, controls, deployments, faults
from xbot.store.queries.common import database_now
from xbot.store.queries.events import insert_event
from xbot.store.sql.transactions import Transactions


class SqlAccounts:
    """`AccountStore` on `accounts`, `controls` and `deployments`."""

    def __init__(self, transactions: Transactions) -> None:
        self.transactions = transactions

    def sync(self, configured: Sequence[AccountSettings]) -> list[AccountRecord]:
        """Add configured accounts, disable the others, and return the enabled ones by id."""
        with self.transactions.begin() as connection:
            rows = accounts.sync_accounts(connection, configured, database_now(connection))
        return [
            AccountRecord(account_id=row.id, platform=row.platform, handle=row.handle,
                          platform_user_id=row.platform_user_id, created_at=row.created_at)
            for row in rows
        ]  # fmt: skip

    def platform_user_id(self, account_id: int) -> str | None:
        """Return the platform's id for the account, once known."""
        with self.transactions.read() as connection:
            return accounts.platform_user_id(connection, account_id)

    def set_platform_user_id(self, account_id: int, platform_user_id: str) -> None:
        """Remember the platform's id for the account."""
        with self.transactions.begin() as connection:
            accounts.set_platform_user_id(connection, account_id, platform_user_id)

    def our_accounts(self, platform: str, except_id: int) -> set[str]:
        """Return the handles and platform ids of our other accounts on a platform (any state)."""
        with self.transactions.read() as connection:
            return accounts.our_accounts(connection, platform, except_id)

    def faults(self) -> dict[int, PlatformFault]:
        """Return every account's standing platform fault, by account id."""
        with self.transactions.read() as connection:
            return faults.faults(connection)

    def set_fault(
        self, account_id: int, reason: BlockReason, detail: str, by: str, event: NewEvent
    ) -> bool:
        """Block the account; True (and `event` appended) when the fault is new or changed."""
        with self.transactions.begin() as connection:
            now = database_now(connection)
            changed = faults.set_fault(
                connection, account_id, reason=reason, detail=detail, now=now, by=by
            )
            if changed:
                insert_event(connection, event)
            return changed

    def clear_fault(self, account_id: int, event: NewEvent) -> bool:
        """Clear the account's fault; True (and `event` appended) when there was one."""
        with self.transactions.begin() as connection:
            changed = faults.clear_fault(connection, account_id)
            if changed:
                insert_event(connection, event)
            return changed

    def kill_switch(self) -> Switch:
        """Return the kill switch with when and by whom it was last set; off when never set."""
        with self.transactions.read() as connection:
            return controls.kill_switch_state(connection)

    def set_kill_switch(self, switch: KillSwitch, by: str, event: NewEvent) -> None:
        """Set the kill switch (and drain) and append `event`."""
        value = {"on": switch.on, "drain": switch.drain}
        with self.transactions.begin() as connection:
            now = database_now(connection)
            controls.set_control(connection, controls.KILL_SWITCH, value, now=now, updated_by=by)
            insert_event(connection, event)

    def active_deployment(self) -> Deployment | None:
        """Return the newest declared deployment, or None."""
        with self.transactions.read() as connection:
            row = deployments.active_deployment(connection)
        if row is None:
            return None
        return Deployment(
            sha=row.sha, declared_at=row.declared_at, declared_by=row.declared_by, note=row.note
        )

    def mark_deployment(self, sha: str, by: str, note: str | None, event: NewEvent) -> None:
        """Declare `sha` the active deployment and append `event`."""
        with self.transactions.begin() as connection:
            now = database_now(connection)
            deployments.mark_deployment(connection, sha, now=now, declared_by=by, note=note)
            insert_event(connection, event)
