"""Operator switches in the database, seen by every worker within one poll (kill switch)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.engine import Connection

from xbot.store.queries.common import insert_ignoring_conflicts
from xbot.store.tables import controls

KILL_SWITCH = "kill_switch"


def set_control(
    connection: Connection, name: str, value: dict[str, Any], *, now: datetime, updated_by: str
) -> None:
    """Set one switch (insert or replace)."""
    row = {"name": name, "value": value, "updated_at": now, "updated_by": updated_by}
    insert_ignoring_conflicts(connection, controls, row)
    connection.execute(
        update(controls)
        .where(controls.c.name == name)
        .values(value=value, updated_at=now, updated_by=updated_by)
    )


def get_control(connection: Connection, name: str) -> dict[str, Any] | None:
    """Return one switch's value, or None when never set."""
    value = connection.execute(select(controls.c.value).where(controls.c.name == name)).scalar()
    return dict(value) if value is not None else None


def kill_switch(connection: Connection) -> dict[str, Any]:
    """Return the kill switch: {"on": bool, "drain": bool}; off when never set."""
    value = get_control(connection, KILL_SWITCH) or {}
    return {"on": bool(value.get("on", False)), "drain": bool(value.get("drain", False))}
