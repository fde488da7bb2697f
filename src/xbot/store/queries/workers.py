"""The `workers` table: each worker's identity and heartbeat (CONVENTIONS 3.10)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.engine import Connection

from xbot.store.tables import workers


def register_worker(  # noqa: PLR0913 - one column per keyword
    connection: Connection,
    *,
    worker_id: str,
    role: str,
    git_sha: str,
    sha_source: str,
    host: str,
    pid: int,
    now: datetime,
) -> None:
    """Write (or replace) this worker's row at boot."""
    connection.execute(delete(workers).where(workers.c.worker_id == worker_id))
    connection.execute(
        insert(workers).values(
            worker_id=worker_id,
            role=role,
            git_sha=git_sha,
            sha_source=sha_source,
            host=host,
            pid=pid,
            booted_at=now,
            heartbeat_at=now,
        )
    )


def beat(connection: Connection, worker_id: str, now: datetime) -> None:
    """Record that this worker is alive."""
    connection.execute(
        update(workers).where(workers.c.worker_id == worker_id).values(heartbeat_at=now)
    )


def mark_stopped(connection: Connection, worker_id: str, now: datetime) -> None:
    """Record a clean stop."""
    connection.execute(
        update(workers)
        .where(workers.c.worker_id == worker_id)
        .values(heartbeat_at=now, stopped_at=now)
    )


def booted_shas(connection: Connection, prefix: str) -> list[str]:
    """Return the distinct SHAs workers booted with that start with `prefix` (any case)."""
    wanted = func.lower(workers.c.git_sha).startswith(prefix.lower(), autoescape=True)
    rows = connection.execute(select(workers.c.git_sha).where(wanted).distinct())
    return sorted({str(sha).lower() for sha in rows.scalars()})
