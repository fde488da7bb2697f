"""Recording a publish outcome: the fenced permit write, candidate mark, event and its cost.

The cost is the publish's charge in `platform_usage`. One statement on PostgreSQL (CTEs; when
the fence refuses, the caller rolls back), four on SQLite inside the caller's transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Select, Update, bindparam, cast, func, insert, select, update
from sqlalchemy.engine import Connection

from xbot.domain.candidates import CandidateMark
from xbot.domain.cost import Charge
from xbot.domain.permits import Permit
from xbot.store.queries.common import is_postgres
from xbot.store.queries.events import NewEvent, append, event_values
from xbot.store.queries.fast import Prepared, run
from xbot.store.queries.permits import lease_lost
from xbot.store.queries.usage import add_charges, charge_params, merged_charges, upsert_statement
from xbot.store.tables import (
    post_attempts,
    reply_candidate_queue,
    reply_decisions,
    system_events,
)

__all__ = ["CandidateMark", "record_outcome"]


def record_outcome(  # noqa: PLR0913 - the outcome's parts: permit before/after, mark, event, cost
    connection: Connection,
    before: Permit,
    after: Permit,
    candidate: CandidateMark | None,
    event: NewEvent,
    *,
    charges: Sequence[Charge] = (),
) -> None:
    """Write `after` at `before`'s fence, mark the candidate, append the event, add the charges.

    Raises LeaseLost when the permit is no longer `before`; the caller's transaction then rolls
    back, charges included (they stay in the meter for the next commit).
    """
    if not is_postgres(connection):
        _record_apart(connection, before, after, candidate, event, charges=charges)
        return
    # the post's own charge rides in the statement; others (rare: a token refresh) follow it
    merged = merged_charges(charges)
    first, rest = (merged[0], merged[1:]) if merged else (None, [])
    key = (candidate is not None, candidate is not None and candidate.reason is not None)
    params = _params(before, after, candidate, event)
    if first is not None:
        params |= charge_params(after.account_id, first, _charged_at(event))
    (counted,) = run(connection, _STATEMENTS[(*key, first is not None)], params).rows
    if next(iter(counted.values())) != 1:
        raise lease_lost(before)
    add_charges(connection, after.account_id, rest, _charged_at(event))


def _charged_at(event: NewEvent) -> datetime:
    # the run's `now` (an event without one is stamped by the database: count it today)
    return event.now if event.now is not None else datetime.now(UTC)


_WRITTEN = (
    "status", "not_before", "claimed_by", "claimed_sha", "lease_until", "fence", "attempts",
    "actual_tweet_id", "used_at", "reconciled", "failure_reason", "updated_at", "claimed_at",
)  # fmt: skip
_EVENT_COLUMNS = [column for column in system_events.c if column.name != "id"]


def _params(
    before: Permit, after: Permit, candidate: CandidateMark | None, event: NewEvent
) -> dict[str, Any]:
    params: dict[str, Any] = {
        "before_permit": before.permit_id,
        "before_fence": before.fence,
        "before_status": before.status.value,
    }
    params |= {f"after_{name}": getattr(after, name) for name in _WRITTEN}
    params["after_status"] = after.status.value
    params |= {f"event_{name}": value for name, value in event_values(event).items()}
    if candidate is not None:
        params["mark_status"] = candidate.status.value
        params["mark_reason"] = (candidate.reason or "")[:64]
    return params


def _statement(*, mark: bool, reason: bool, charged: bool) -> Select[Any]:
    column = post_attempts.c
    moved = (
        update(post_attempts)
        .where(
            column.permit_id == bindparam("before_permit"),
            column.fence == bindparam("before_fence"),
            column.status == bindparam("before_status"),
        )
        .values({name: bindparam(f"after_{name}", type_=column[name].type) for name in _WRITTEN})
        .returning(column.decision_id)
        .cte("moved")
    )
    rows = select(
        *(cast(bindparam(f"event_{c.name}", type_=c.type), c.type) for c in _EVENT_COLUMNS)
    ).select_from(moved)
    statement = select(func.count()).select_from(moved)
    statement = statement.add_cte(
        insert(system_events).from_select([c.name for c in _EVENT_COLUMNS], rows).cte("event")
    )
    if charged:
        statement = statement.add_cte(upsert_statement(postgres=True).cte("usage"))
    if not mark:
        return statement
    values: dict[str, Any] = {"status": bindparam("mark_status")}
    if reason:
        values["skip_reason"] = bindparam("mark_reason")
    decided = select(reply_decisions.c.candidate_id).where(
        reply_decisions.c.decision_id.in_(select(moved.c.decision_id))
    )
    update_mark = (
        update(reply_candidate_queue).where(reply_candidate_queue.c.id.in_(decided)).values(values)
    )
    return statement.add_cte(update_mark.cte("candidate"))


_STATEMENTS = {
    (mark, reason, charged): Prepared(_statement(mark=mark, reason=reason, charged=charged))
    for mark, reason in ((False, False), (True, False), (True, True))
    for charged in (False, True)
}


def _moved() -> Update:
    column = post_attempts.c
    return (
        update(post_attempts)
        .where(
            column.permit_id == bindparam("before_permit"),
            column.fence == bindparam("before_fence"),
            column.status == bindparam("before_status"),
        )
        .values({name: bindparam(f"after_{name}", type_=column[name].type) for name in _WRITTEN})
    )


def _mark(*, reason: bool) -> Update:
    values: dict[str, Any] = {"status": bindparam("mark_status")}
    if reason:
        values["skip_reason"] = bindparam("mark_reason")
    decided = select(reply_decisions.c.candidate_id).where(
        reply_decisions.c.decision_id == bindparam("mark_decision")
    )
    return (
        update(reply_candidate_queue).where(reply_candidate_queue.c.id.in_(decided)).values(values)
    )


_MOVE = Prepared(_moved())
_MARK = {reason: Prepared(_mark(reason=reason)) for reason in (False, True)}
_UPSERT = Prepared(upsert_statement(postgres=False))


def _record_apart(  # noqa: PLR0913 - as record_outcome
    connection: Connection,
    before: Permit,
    after: Permit,
    candidate: CandidateMark | None,
    event: NewEvent,
    *,
    charges: Sequence[Charge],
) -> None:
    # SQLite writes no CTE: the fenced write, the mark, the event and each charge one by one
    params = _params(before, after, None, event)
    if run(connection, _MOVE, params).rowcount != 1:
        raise lease_lost(before)
    if candidate is not None:
        mark = {"mark_decision": after.decision_id, "mark_status": candidate.status.value}
        if candidate.reason is not None:
            mark["mark_reason"] = candidate.reason[:64]
        run(connection, _MARK[candidate.reason is not None], mark)
    append(connection, event)
    for charge in merged_charges(charges):
        run(connection, _UPSERT, charge_params(after.account_id, charge, _charged_at(event)))
