"""The `deployments` table: the declared SHA that should be live (newest row is active)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.engine import Connection, Row

from xbot.store.tables import deployments


def mark_deployment(
    connection: Connection, sha: str, *, now: datetime, declared_by: str, note: str | None
) -> int:
    """Declare `sha` the active deployment; return the row id."""
    result = connection.execute(
        insert(deployments)
        .values(sha=sha, declared_at=now, declared_by=declared_by, note=note)
        .returning(deployments.c.id)
    )
    return int(result.scalar_one())


def active_deployment(connection: Connection) -> Row[Any] | None:
    """Return the newest declared deployment, or None when none was declared."""
    return connection.execute(
        select(deployments)
        .order_by(deployments.c.declared_at.desc(), deployments.c.id.desc())
        .limit(1)
    ).first()
