"""The newest bot-label check of each account, from its `account_label_checked` events."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.engine import Connection

from xbot.store.tables import system_events

LABEL_CHECKED = "account_label_checked"


def newest_label_checks(connection: Connection) -> dict[int, dict[str, Any]]:
    """Return {account id: the newest check's data with `checked_at`}."""
    newest = (
        select(system_events.c.account_id, func.max(system_events.c.id).label("id"))
        .where(system_events.c.event_type == LABEL_CHECKED)
        .group_by(system_events.c.account_id)
        .subquery()
    )
    rows = connection.execute(
        select(
            system_events.c.account_id, system_events.c.event_data, system_events.c.created_at
        ).join(newest, newest.c.id == system_events.c.id)
    )
    return {
        int(row.account_id): {**dict(row.event_data), "checked_at": row.created_at}
        for row in rows
        if row.account_id is not None
    }


def label_summary(check: Mapping[str, Any] | None) -> dict[str, Any]:
    """Return one account's newest check as /ready and the console show it: state, detail, when."""
    if check is None:
        return {"state": "unchecked", "detail": "", "checked_at": None}
    at = check.get("checked_at")
    return {
        "state": check.get("state"),
        "detail": check.get("detail", ""),
        "checked_at": at.isoformat() if isinstance(at, datetime) else at,
    }
