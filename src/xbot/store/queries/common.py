"""Small pieces every query module shares: the database clock and insert-or-ignore."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Table, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection

from xbot.store.types import UtcDateTime


def is_postgres(connection: Connection) -> bool:
    """Return True on PostgreSQL."""
    return connection.dialect.name == "postgresql"


def database_now(connection: Connection) -> datetime:
    """Return the database's clock on PostgreSQL (shared by every worker), else this process's."""
    if is_postgres(connection):
        moment = connection.execute(select(func.clock_timestamp())).scalar_one()
        return moment.astimezone(UTC)  # type: ignore[no-any-return]
    return datetime.now(UTC)


def insert_ignoring_conflicts(
    connection: Connection, table: Table, values: Mapping[str, Any], *returning: str
) -> Any:
    """INSERT … ON CONFLICT DO NOTHING [RETURNING …]; returns the first row or None."""
    dialect_insert = postgresql.insert if is_postgres(connection) else sqlite.insert
    statement = dialect_insert(table).values(**values).on_conflict_do_nothing()
    if not returning:
        connection.execute(statement)
        return None
    columns = [table.c[name] for name in returning]
    return connection.execute(statement.returning(*columns)).first()


__all__ = ["UtcDateTime", "database_now", "insert_ignoring_conflicts", "is_postgres"]
