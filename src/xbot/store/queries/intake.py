"""`intake_streams`: each stream's fenced lease, its cursor and its health (issue 16).

Every lease comparison is made at the database's clock (`database_now`), so workers on
different hosts agree on when a lease expired. The admit's UPDATE checks the fence and takes
the row lock, so a worker that lost the lease writes nothing: its transaction rolls back.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import timedelta
from typing import Any

from sqlalchemy import case, or_, select, update
from sqlalchemy.engine import Connection, RowMapping

from xbot.domain.candidates import NewCandidate
from xbot.domain.intake import Delivery, StreamHealth, StreamLease, StreamState
from xbot.store.queries import candidates
from xbot.store.queries.common import database_now, insert_ignoring_conflicts
from xbot.store.tables import intake_streams

column = intake_streams.c


def acquire(
    connection: Connection, account_id: int, stream: str, owner: str, lease: timedelta
) -> StreamLease | None:
    """Take the stream's lease unless another owner holds it unexpired; bump its fence."""
    now = database_now(connection)
    insert_ignoring_conflicts(
        connection,
        intake_streams,
        {"account_id": account_id, "stream": stream, "fence": 0, "updated_at": now},
    )
    row = connection.execute(
        update(intake_streams)
        .where(
            _stream(account_id, stream),
            or_(
                column.owner.is_(None),
                column.owner == owner,
                column.lease_until.is_(None),
                column.lease_until <= now,
            ),
        )
        .values(owner=owner, fence=column.fence + 1, lease_until=now + lease, updated_at=now)
        .returning(column.fence, column.cursor, column.lease_until)
    ).one_or_none()
    if row is None:
        return None
    return StreamLease(account_id=account_id, stream=stream, owner=owner, fence=int(row.fence),
                       until=row.lease_until, cursor=row.cursor)  # fmt: skip


def renew(connection: Connection, held: StreamLease, lease: timedelta) -> StreamLease | None:
    """Extend the lease while its fence stands; None when another worker took it."""
    now = database_now(connection)
    row = connection.execute(
        update(intake_streams)
        .where(*_held(held))
        .values(lease_until=now + lease)
        .returning(column.lease_until, column.cursor)
    ).one_or_none()
    if row is None:
        return None
    return StreamLease(account_id=held.account_id, stream=held.stream, owner=held.owner,
                       fence=held.fence, until=row.lease_until, cursor=row.cursor)  # fmt: skip


def release(connection: Connection, held: StreamLease) -> bool:
    """Give the lease back, marking the stream stopped (unless unavailable); False if not ours."""
    result = connection.execute(
        update(intake_streams)
        .where(*_held(held))
        .values(
            owner=None,
            lease_until=None,
            state=case(
                (column.state == StreamState.UNAVAILABLE.value, column.state),
                else_=StreamState.STOPPED.value,
            ),
            connected_since=None,
            updated_at=database_now(connection),
        )
    )
    return result.rowcount == 1


def admit(
    connection: Connection,
    held: StreamLease,
    found: Sequence[NewCandidate],
    keep: int,
    delivery: Delivery,
) -> int | None:
    """Insert the candidates, trim, move cursor and health; None (caller rolls back) if not held."""
    inserted = sum(
        candidates.insert_candidate(connection, candidate.values()) is not None
        for candidate in found
    )
    values: dict[str, Any] = {
        "last_event_at": delivery.received_at,
        "events": column.events + delivery.events,
        "admitted": column.admitted + inserted,
        "duplicates": column.duplicates + delivery.duplicates + (len(found) - inserted),
        "updated_at": database_now(connection),
    }
    if delivery.cursor is not None:
        values["cursor"] = delivery.cursor
    if delivery.lag_seconds is not None:
        values["lag_seconds"] = delivery.lag_seconds
    moved = connection.execute(update(intake_streams).where(*_held(held)).values(**values))
    if moved.rowcount != 1:
        return None
    return candidates.trim_queue(connection, held.account_id, keep) if inserted else 0


def mark(connection: Connection, held: StreamLease, state: StreamState, detail: str | None) -> bool:
    """Record the stream's new state; False when the lease is not held."""
    now = database_now(connection)
    values: dict[str, Any] = {"state": state.value, "detail": detail, "updated_at": now,
                              "connected_since": None}  # fmt: skip
    if state is StreamState.CONNECTED:
        values |= {"connects": column.connects + 1, "connected_since": now}
    moved = connection.execute(update(intake_streams).where(*_held(held)).values(**values))
    return moved.rowcount == 1


def backfilled(connection: Connection, held: StreamLease, count: int) -> bool:
    """Count a backfill's candidates; False when the lease is not held."""
    moved = connection.execute(
        update(intake_streams)
        .where(*_held(held))
        .values(backfilled=column.backfilled + count, updated_at=database_now(connection))
    )
    return moved.rowcount == 1


def health(connection: Connection) -> list[StreamHealth]:
    """Return every (account, stream) row, by account and stream."""
    rows = connection.execute(select(intake_streams).order_by(column.account_id, column.stream))
    return [health_from(row) for row in rows.mappings()]


def health_from(row: RowMapping | Mapping[str, Any]) -> StreamHealth:
    """Return one row as the domain record."""
    return StreamHealth(
        account_id=int(row["account_id"]), stream=row["stream"], state=StreamState(row["state"]),
        detail=row["detail"], owner=row["owner"], lease_until=row["lease_until"],
        cursor=row["cursor"], connected_since=row["connected_since"],
        last_event_at=row["last_event_at"], lag_seconds=row["lag_seconds"],
        events=int(row["events"]), admitted=int(row["admitted"]),
        duplicates=int(row["duplicates"]), connects=int(row["connects"]),
        backfilled=int(row["backfilled"]),
    )  # fmt: skip


def _stream(account_id: int, stream: str) -> Any:
    return (column.account_id == account_id) & (column.stream == stream)


def _held(held: StreamLease) -> tuple[Any, ...]:
    return (
        _stream(held.account_id, held.stream),
        column.owner == held.owner,
        column.fence == held.fence,
    )
