"""The `accounts` table, kept in step with the accounts configured in xbot.toml."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.engine import Connection, Row

from xbot.config import AccountSettings
from xbot.store.queries.common import insert_ignoring_conflicts
from xbot.store.tables import accounts


def sync_accounts(
    connection: Connection, configured: Sequence[AccountSettings], now: datetime
) -> list[Row[Any]]:
    """Insert configured accounts, refresh their settings, disable the rest; return enabled rows.

    `created_at` is written with its full precision: the ghost scan takes the account's older
    posts as its baseline, and SQLite's CURRENT_TIMESTAMP would cut it to the second.
    """
    wanted = {(item.platform, item.handle.lower()): item for item in configured}
    for (platform, handle), item in wanted.items():
        values = {"platform": platform, "handle": handle, "created_at": now}
        insert_ignoring_conflicts(connection, accounts, values)
        connection.execute(
            update(accounts)
            .where(accounts.c.platform == platform, accounts.c.handle == handle)
            .values(enabled=item.enabled, settings=item.model_dump(mode="json"))
        )
    for row in connection.execute(select(accounts.c.id, accounts.c.platform, accounts.c.handle)):
        if (row.platform, row.handle) not in wanted:
            connection.execute(
                update(accounts).where(accounts.c.id == row.id).values(enabled=False)
            )
    return enabled_accounts(connection)


def enabled_accounts(connection: Connection) -> list[Row[Any]]:
    """Return every enabled account row."""
    return list(
        connection.execute(select(accounts).where(accounts.c.enabled).order_by(accounts.c.id))
    )


def set_platform_user_id(connection: Connection, account_id: int, platform_user_id: str) -> None:
    """Remember the platform's id for the account once known."""
    connection.execute(
        update(accounts)
        .where(accounts.c.id == account_id)
        .values(platform_user_id=platform_user_id)
    )


def platform_user_id(connection: Connection, account_id: int) -> str | None:
    """Return the platform's id for the account, once known."""
    return connection.execute(
        select(accounts.c.platform_user_id).where(accounts.c.id == account_id)
    ).scalar()


def our_accounts(connection: Connection, platform: str, except_id: int) -> set[str]:
    """Return the handles and platform ids of our other accounts on a platform (any state)."""
    rows = connection.execute(
        select(accounts.c.handle, accounts.c.platform_user_id).where(
            accounts.c.platform == platform, accounts.c.id != except_id
        )
    )
    return {str(name) for row in rows for name in row if name}
