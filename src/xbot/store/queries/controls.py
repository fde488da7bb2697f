"""Operator switches in the database, seen by every worker within one poll (kill switch)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.engine import Connection

from xbot.domain.account_state import Switch
from xbot.domain.clock import ensure_utc
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


def kill_switch_state(connection: Connection) -> Switch:
    """Return the kill switch with when and by whom it was last set."""
    row = connection.execute(
        select(controls.c.value, controls.c.updated_at, controls.c.updated_by).where(
            controls.c.name == KILL_SWITCH
        )
    ).first()
    if row is None:
        return Switch()
    return Switch(
        on=bool(dict(row.value).get("on", False)),
        drain=bool(dict(row.value).get("drain", False)),
        since=ensure_utc(row.updated_at) if row.updated_at else None,
        by=row.updated_by,
    )
