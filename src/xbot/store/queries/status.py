"""Read-only counts the watchdog and /ready report."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.engine import Connection

from xbot.store.tables import post_attempts, reply_candidate_queue


def queue_size(connection: Connection, now: datetime) -> int:
    """Count queued, unexpired candidates."""
    return int(
        connection.execute(
            select(func.count())
            .select_from(reply_candidate_queue)
            .where(
                reply_candidate_queue.c.status == "queued", reply_candidate_queue.c.expires_at > now
            )
        ).scalar_one()
    )


def permits_by_status(connection: Connection) -> dict[str, int]:
    """Count permits per status."""
    rows = connection.execute(
        select(post_attempts.c.status, func.count()).group_by(post_attempts.c.status)
    )
    return {str(status): int(count) for status, count in rows}
