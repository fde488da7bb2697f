"""Recording a publish outcome: the fenced permit write, the candidate's mark and the event.

One statement on PostgreSQL (a CTE: nothing else is written when the fence refuses), three on
SQLite inside the caller's transaction.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import cast, func, insert, select
from sqlalchemy.engine import Connection

from xbot.domain.candidates import CandidateStatus
from xbot.domain.permits import Permit
from xbot.store.queries.common import is_postgres
from xbot.store.queries.events import NewEvent, insert_event
from xbot.store.queries.permits import (
    candidate_mark,
    fenced_transition,
    lease_lost,
    mark_candidate,
    write_transition,
)
from xbot.store.tables import post_attempts, reply_decisions, system_events


@dataclass(frozen=True, kw_only=True, slots=True)
class CandidateMark:
    """The candidate's new status and skip reason."""

    status: CandidateStatus
    reason: str | None = None


def record_outcome(
    connection: Connection,
    before: Permit,
    after: Permit,
    candidate: CandidateMark | None,
    event: NewEvent,
) -> None:
    """Write `after` at `before`'s fence, mark the candidate, append the event.

    Raises LeaseLost, having written nothing, when the permit is no longer `before`.
    """
    if not is_postgres(connection):
        write_transition(connection, before, after)
        if candidate is not None:
            mark_candidate(connection, after.decision_id, candidate.status, candidate.reason)
        insert_event(connection, event)
        return
    moved = fenced_transition(before, after).returning(post_attempts.c.decision_id).cte("moved")
    columns = [column for column in system_events.c if column.name != "id"]
    values = event.values()
    rows = select(*(cast(values[c.name], c.type) for c in columns)).select_from(moved)
    statement = select(func.count()).select_from(moved)
    statement = statement.add_cte(
        insert(system_events).from_select([c.name for c in columns], rows).cte("event")
    )
    if candidate is not None:
        decided = reply_decisions.c.decision_id.in_(select(moved.c.decision_id))
        mark = candidate_mark(decided, candidate.status, candidate.reason)
        statement = statement.add_cte(mark.cte("candidate"))
    if connection.execute(statement).scalar_one() != 1:
        raise lease_lost(before)
