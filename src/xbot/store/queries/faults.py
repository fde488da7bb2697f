"""Platform refusals that block an account until a later platform call succeeds.

Kept as one `controls` row per account (`platform_fault:<account id>`), so every worker,
/ready and certification read the same answer without a migration.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.engine import Connection

from xbot.domain.account_state import BlockReason, PlatformFault
from xbot.store.queries.controls import get_control, set_control
from xbot.store.tables import controls

PREFIX = "platform_fault:"


def fault_name(account_id: int) -> str:
    """Return the `controls` name of one account's fault."""
    return f"{PREFIX}{account_id}"


def set_fault(  # noqa: PLR0913 - the fault's parts, all by keyword
    connection: Connection,
    account_id: int,
    *,
    reason: BlockReason,
    detail: str,
    now: datetime,
    by: str,
) -> bool:
    """Record the account's fault; return True when it is new or its reason changed."""
    before = get_control(connection, fault_name(account_id))
    value = {"reason": reason.value, "detail": detail}
    if before is not None and before.get("reason") == reason.value:
        return False
    set_control(connection, fault_name(account_id), value, now=now, updated_by=by)
    return True


def clear_fault(connection: Connection, account_id: int) -> bool:
    """Forget the account's fault; return True when there was one."""
    removed = connection.execute(delete(controls).where(controls.c.name == fault_name(account_id)))
    return bool(removed.rowcount)


def faults(connection: Connection) -> dict[int, PlatformFault]:
    """Return every account's standing fault, by account id."""
    rows = connection.execute(
        select(controls.c.name, controls.c.value, controls.c.updated_at).where(
            controls.c.name.like(f"{PREFIX}%")
        )
    )
    return {
        int(row.name.removeprefix(PREFIX)): fault_from(row.value, row.updated_at) for row in rows
    }


def fault_from(value: Any, since: datetime | None) -> PlatformFault:
    """Return a fault from its stored value (a mapping, or JSON text from raw SQL)."""
    return PlatformFault.from_value(value, since)
