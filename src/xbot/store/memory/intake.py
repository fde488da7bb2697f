"""Streams in memory: the same fenced leases on the store's clock, the same one-write admit."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

from xbot.domain.audit import NewEvent
from xbot.domain.candidates import NewCandidate
from xbot.domain.errors import LeaseLost
from xbot.domain.intake import Delivery, StreamHealth, StreamLease, StreamState
from xbot.store.memory.candidates import MemoryCandidates
from xbot.store.memory.events import append_to
from xbot.store.memory.tables import IntakeRow, Tables


class MemoryIntake:
    """`IntakeStore` in memory."""

    def __init__(self, tables: Tables) -> None:
        self.tables = tables
        self.queue = MemoryCandidates(tables)

    def acquire(
        self, account_id: int, stream: str, owner: str, lease: timedelta
    ) -> StreamLease | None:
        """Take the stream's lease unless another owner holds it unexpired; bump its fence."""
        with self.tables.transaction() as tables:
            now = tables.clock()
            row = tables.intake.setdefault((account_id, stream), IntakeRow())
            free = row.owner in {None, owner} or row.lease_until is None or row.lease_until <= now
            if not free:
                return None
            row.owner, row.fence, row.lease_until = owner, row.fence + 1, now + lease
            return StreamLease(account_id=account_id, stream=stream, owner=owner,
                               fence=row.fence, until=now + lease, cursor=row.cursor)  # fmt: skip

    def renew(self, held: StreamLease, lease: timedelta) -> StreamLease | None:
        """Extend the lease while still held; None means another worker took it."""
        with self.tables.transaction() as tables:
            row = _held(tables, held)
            if row is None:
                return None
            row.lease_until = tables.clock() + lease
            until = row.lease_until
            return StreamLease(account_id=held.account_id, stream=held.stream, owner=held.owner,
                               fence=held.fence, until=until, cursor=row.cursor)  # fmt: skip

    def release(self, held: StreamLease, events: Sequence[NewEvent] = ()) -> bool:
        """Give the lease back with `events` (stopped, unless unavailable); False if not ours."""
        with self.tables.transaction() as tables:
            row = _held(tables, held)
            if row is None:
                return False
            row.owner, row.lease_until = None, None
            if row.state is not StreamState.UNAVAILABLE:
                row.state = StreamState.STOPPED
            row.connected_since = None
            for event in events:
                append_to(tables, event)
            return True

    def admit(
        self, held: StreamLease, found: Sequence[NewCandidate], keep: int, delivery: Delivery
    ) -> int:
        """Insert unknown candidates, trim, move the cursor and health; one transaction."""
        with self.tables.transaction() as tables:
            row = _held(tables, held)
            if row is None:
                raise LeaseLost
            ids = [candidate.candidate_post_id for candidate in found]
            known = self.queue.known_post_ids(held.account_id, ids)
            inserted = len(set(ids) - known)
            trimmed = self.queue.add(held.account_id, found, keep, None) if inserted else 0
            row.events += delivery.events
            row.admitted += inserted
            row.duplicates += delivery.duplicates + len(found) - inserted
            row.last_event_at = delivery.received_at
            row.cursor = delivery.cursor if delivery.cursor is not None else row.cursor
            if delivery.lag_seconds is not None:
                row.lag_seconds = delivery.lag_seconds
            return trimmed

    def mark(
        self, held: StreamLease, state: StreamState, detail: str | None, events: Sequence[NewEvent]
    ) -> None:
        """Record that the stream connected, dropped or is unavailable, with `events`."""
        with self.tables.transaction() as tables:
            row = _held(tables, held)
            if row is None:
                raise LeaseLost
            row.state, row.detail, row.connected_since = state, detail, None
            if state is StreamState.CONNECTED:
                row.connects += 1
                row.connected_since = tables.clock()
            for event in events:
                append_to(tables, event)

    def backfilled(self, held: StreamLease, count: int, events: Sequence[NewEvent]) -> None:
        """Count the candidates a (re)connect's backfill found, with `events`."""
        with self.tables.transaction() as tables:
            row = _held(tables, held)
            if row is None:
                raise LeaseLost
            row.backfilled += count
            for event in events:
                append_to(tables, event)

    def health(self) -> list[StreamHealth]:
        """Return every (account, stream) row, by account and stream."""
        with self.tables.transaction() as tables:
            rows = sorted(tables.intake.items())
            return [
                StreamHealth(
                    account_id=account_id,
                    stream=stream,
                    state=row.state,
                    detail=row.detail,
                    owner=row.owner,
                    lease_until=row.lease_until,
                    cursor=row.cursor,
                    connected_since=row.connected_since,
                    last_event_at=row.last_event_at,
                    lag_seconds=row.lag_seconds,
                    events=row.events,
                    admitted=row.admitted,
                    duplicates=row.duplicates,
                    connects=row.connects,
                    backfilled=row.backfilled,
                )
                for (account_id, stream), row in rows
            ]


def _held(tables: Tables, held: StreamLease) -> IntakeRow | None:
    row = tables.intake.get((held.account_id, held.stream))
    if row is None or row.owner != held.owner or row.fence != held.fence:
        return None
    return row
