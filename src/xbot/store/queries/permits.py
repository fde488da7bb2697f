"""Permits in `post_attempts`: the claim, fenced transitions, and the reads the posting jobs need.

Times come from the job's `now`, which the runner reads from PostgreSQL's clock when several
workers share one database (DESIGN §7), so leases written by one machine are compared on the same
clock by another.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Label,
    Select,
    Update,
    and_,
    exists,
    func,
    or_,
    select,
    text,
    update,
)
from sqlalchemy.engine import Connection

from xbot.domain.candidates import CandidateStatus
from xbot.domain.claiming import ClaimGates
from xbot.domain.claims import KillSwitch
from xbot.domain.clock import ensure_utc
from xbot.domain.errors import LeaseLost
from xbot.domain.permits import Permit, PermitReply, PermitStatus
from xbot.store.queries.common import is_postgres
from xbot.store.queries.controls import KILL_SWITCH
from xbot.store.tables import (
    controls,
    deployments,
    post_attempts,
    reply_candidate_queue,
    reply_decisions,
    system_events,
)

#: when budgets count a permit (Permit.budget_at): its claim on the database clock, never the
#: platform's timestamp; rows without a claim time fall back to used_at, then their last change
COUNTED_AT = func.coalesce(
    post_attempts.c.claimed_at,
    post_attempts.c.used_at,
    post_attempts.c.updated_at,
    post_attempts.c.created_at,
)

#: high 32 bits of the advisory lock key that serialises claims per account on PostgreSQL
CLAIM_LOCK_NAMESPACE = 0x5052_4D54

REPLY_COLUMNS = (
    *post_attempts.c,
    reply_decisions.c.candidate_id,
    reply_decisions.c.target_post_id,
    reply_decisions.c.reply_text,
    reply_candidate_queue.c.author_handle,
    reply_candidate_queue.c.target_meta,
)
REPLY_SOURCE = post_attempts.join(
    reply_decisions, reply_decisions.c.decision_id == post_attempts.c.decision_id
).join(reply_candidate_queue, reply_candidate_queue.c.id == reply_decisions.c.candidate_id)


def lock_account_for_claims(connection: Connection, account_id: int) -> None:
    """Serialise claims of one account until commit, so budgets hold under concurrent workers.

    SQLite needs nothing: every transaction begins IMMEDIATE and so holds the write lock already.
    """
    if is_postgres(connection):
        key = (CLAIM_LOCK_NAMESPACE << 32) | (account_id & 0xFFFF_FFFF)
        connection.execute(text("SELECT pg_advisory_xact_lock(CAST(:key AS bigint))"), {"key": key})


def gates_columns() -> tuple[Label[Any], ...]:
    """Return the gates as scalar subqueries, so one SELECT reads them all."""
    switch = controls.c.name == KILL_SWITCH
    newest = (
        select(deployments.c.sha)
        .order_by(deployments.c.declared_at.desc(), deployments.c.id.desc())
        .limit(1)
    )
    return (
        newest.scalar_subquery().label("declared_sha"),
        select(func.coalesce(func.max(deployments.c.id), 0)).scalar_subquery().label("seen"),
        select(controls.c.value).where(switch).scalar_subquery().label("switch_value"),
        select(controls.c.updated_at).where(switch).scalar_subquery().label("switch_seen"),
    )


_GATES = select(*gates_columns())


def gates_from_row(row: Any) -> ClaimGates:
    """Build the gates from a row holding gates_columns()."""
    return ClaimGates(
        declared_sha=row.declared_sha,
        deployments_seen=int(row.seen),
        kill_switch=KillSwitch.from_value(row.switch_value),
        kill_switch_seen=row.switch_seen,
    )


def gates_from_mapping(row: Mapping[str, Any]) -> ClaimGates:
    """Build the gates from a mapping holding gates_columns()."""
    return ClaimGates(
        declared_sha=row["declared_sha"],
        deployments_seen=int(row["seen"]),
        kill_switch=KillSwitch.from_value(row["switch_value"]),
        kill_switch_seen=row["switch_seen"],
    )


def read_claim_gates(connection: Connection) -> ClaimGates:
    """Read the active deployment and the kill switch."""
    return gates_from_row(connection.execute(_GATES).one())


def claimable(account_id: Any, now: Any) -> ColumnElement[bool]:
    """Return the claim rule, and its only copy: PENDING, past its back-off, before its expiry."""
    return and_(
        post_attempts.c.account_id == account_id,
        post_attempts.c.status == PermitStatus.PENDING.value,
        or_(post_attempts.c.not_before.is_(None), post_attempts.c.not_before <= now),
        or_(post_attempts.c.expires_at.is_(None), post_attempts.c.expires_at > now),
    )


def next_claimable_permit_id(connection: Connection, account_id: int, now: datetime) -> str | None:
    """Return the permit a claim would take now (oldest first), without taking it."""
    return connection.execute(_next_claimable(account_id, now)).scalar()


def _next_claimable(account_id: int, now: datetime) -> Select[str]:
    return (
        select(post_attempts.c.permit_id)
        .where(claimable(account_id, now))
        .order_by(post_attempts.c.created_at, post_attempts.c.permit_id)
        .limit(1)
    )


def gates_unchanged(deployments_seen: Any, kill_switch_seen: Any) -> ColumnElement[bool]:
    """Return the fence as the claim checks it: no newer deployment, the kill switch as read.

    A deploy mark or a kill switch committed after the gates were read makes the claim take
    nothing. `kill_switch_seen` is None when the switch was never set.
    """
    newer_deployment = exists().where(deployments.c.id > deployments_seen)
    switch = controls.c.name == KILL_SWITCH
    if kill_switch_seen is not None:
        switch = and_(switch, controls.c.updated_at != kill_switch_seen)
    return and_(~newer_deployment, ~exists().where(switch))


def claim_permit(  # noqa: PLR0913 - the claim records who, with which code, until when
    connection: Connection,
    *,
    account_id: int,
    worker_id: str,
    git_sha: str,
    now: datetime,
    lease_until: datetime,
    gates: ClaimGates,
) -> Permit | None:
    """Claim the oldest claimable permit of the account in one statement; None when none is.

    The one place a permit becomes POSTING: it takes a new fence and attempt, the worker, its SHA
    and lease, and counts for budgets from `now` (claimed_at).
    """
    candidate = _next_claimable(account_id, now)
    if is_postgres(connection):
        candidate = candidate.with_for_update(skip_locked=True)
    statement = (
        update(post_attempts)
        .where(
            post_attempts.c.permit_id == candidate.scalar_subquery(),
            post_attempts.c.status == PermitStatus.PENDING.value,
            gates_unchanged(gates.deployments_seen, gates.kill_switch_seen),
        )
        .values(
            claim_values(worker_id=worker_id, git_sha=git_sha, now=now, lease_until=lease_until)
        )
        .returning(*post_attempts.c)
    )
    row = connection.execute(statement).mappings().first()
    return Permit.from_row(dict(row)) if row else None


def claim_values(*, worker_id: Any, git_sha: Any, now: Any, lease_until: Any) -> dict[str, Any]:
    """Return what a claim writes: POSTING, a new fence and attempt, who, until when, from when."""
    return {
        "status": PermitStatus.POSTING.value,
        "claimed_by": worker_id,
        "claimed_sha": git_sha,
        "lease_until": lease_until,
        "fence": post_attempts.c.fence + 1,
        "attempts": post_attempts.c.attempts + 1,
        "updated_at": now,
        "claimed_at": now,
    }


def write_transition(connection: Connection, before: Permit, after: Permit) -> None:
    """Persist `after`, only if the permit is still `before` (same fence, same status).

    Raises LeaseLost when zero rows match: another writer took the permit over.
    """
    result = connection.execute(fenced_transition(before, after))
    if result.rowcount != 1:
        raise lease_lost(before)


def fenced_transition(before: Permit, after: Permit) -> Update:
    """Return the UPDATE that writes `after` only while the permit is still `before`."""
    return (
        update(post_attempts)
        .where(
            post_attempts.c.permit_id == before.permit_id,
            post_attempts.c.fence == before.fence,
            post_attempts.c.status == before.status.value,
        )
        .values(
            status=after.status.value,
            not_before=after.not_before,
            claimed_by=after.claimed_by,
            claimed_sha=after.claimed_sha,
            lease_until=after.lease_until,
            fence=after.fence,
            attempts=after.attempts,
            actual_tweet_id=after.actual_tweet_id,
            used_at=after.used_at,
            reconciled=after.reconciled,
            failure_reason=after.failure_reason,
            updated_at=after.updated_at,
            claimed_at=after.claimed_at,
            content_sha256=after.content_sha256,
            approved_sha256=after.approved_sha256,
            approved_by=after.approved_by,
            approved_at=after.approved_at,
        )
    )


def lease_lost(before: Permit) -> LeaseLost:
    """Return the error a fenced write raises when the permit is no longer `before`."""
    return LeaseLost(
        f"permit {before.permit_id} is no longer {before.status.value} at fence "
        f"{before.fence}: another worker took it over"
    )


def posting_times(connection: Connection, account_id: int, since: datetime) -> list[datetime]:
    """Return when each USED, POSTING or UNKNOWN permit of the account was claimed (COUNTED_AT).

    The claim time is the run's `now` (the database clock on PostgreSQL); reconcile never changes
    it, so a post the platform dates hours earlier still counts when it was made.
    """
    moment = COUNTED_AT
    rows = connection.execute(
        select(moment).where(
            post_attempts.c.account_id == account_id,
            post_attempts.c.status.in_(
                [
                    PermitStatus.USED.value,
                    PermitStatus.POSTING.value,
                    PermitStatus.UNKNOWN.value,
                    PermitStatus.SHADOWED.value,
                ]
            ),
            moment >= since,
        )
    )
    return [ensure_utc(value) for (value,) in rows]


def _permits(connection: Connection, *conditions: ColumnElement[bool]) -> list[Permit]:
    rows = connection.execute(
        select(post_attempts).where(*conditions).order_by(post_attempts.c.created_at)
    ).mappings()
    return [Permit.from_row(dict(row)) for row in rows]


def expired_pending_permits(connection: Connection, account_id: int, now: datetime) -> list[Permit]:
    """Return the account's PENDING permits whose expires_at has passed or precedes a back-off."""
    deferred_past_expiry = post_attempts.c.not_before >= post_attempts.c.expires_at
    return _permits(
        connection,
        post_attempts.c.account_id == account_id,
        post_attempts.c.status == PermitStatus.PENDING.value,
        or_(post_attempts.c.expires_at <= now, deferred_past_expiry),
    )


def pending_permits(connection: Connection, account_id: int) -> list[Permit]:
    """Return every PENDING permit of the account (the kill switch's drain expires them)."""
    return _permits(
        connection,
        post_attempts.c.account_id == account_id,
        post_attempts.c.status == PermitStatus.PENDING.value,
    )


def posting_past_lease(connection: Connection, account_id: int, now: datetime) -> list[Permit]:
    """Return the account's POSTING permits whose lease expired (the holder vanished)."""
    return _permits(
        connection,
        post_attempts.c.account_id == account_id,
        post_attempts.c.status == PermitStatus.POSTING.value,
        or_(post_attempts.c.lease_until.is_(None), post_attempts.c.lease_until <= now),
    )


def select_replies(connection: Connection, *conditions: ColumnElement[bool]) -> list[PermitReply]:
    """Return permits with their decision's text and target, oldest first."""
    rows = connection.execute(
        select(*REPLY_COLUMNS)
        .select_from(REPLY_SOURCE)
        .where(*conditions)
        .order_by(post_attempts.c.created_at)
    ).mappings()
    return [PermitReply.from_row(dict(row)) for row in rows]


def permit_reply(connection: Connection, permit_id: str) -> PermitReply | None:
    """Return the permit with its decision's text and target, or None."""
    found = select_replies(connection, post_attempts.c.permit_id == permit_id)
    return found[0] if found else None


def unknown_replies(connection: Connection, account_id: int) -> list[PermitReply]:
    """Return the account's UNKNOWN permits with their text and target: the permits to reconcile."""
    return select_replies(
        connection,
        post_attempts.c.account_id == account_id,
        post_attempts.c.status == PermitStatus.UNKNOWN.value,
    )


def mark_candidate(
    connection: Connection, decision_id: str, status: CandidateStatus, reason: str | None = None
) -> None:
    """Set the status (replied, skipped, expired) and reason of the decision's candidate."""
    connection.execute(candidate_mark(reply_decisions.c.decision_id == decision_id, status, reason))


def candidate_mark(
    decision: ColumnElement[bool], status: CandidateStatus, reason: str | None
) -> Update:
    """Return the UPDATE that marks the candidate of the decision(s) `decision` selects."""
    values: dict[str, Any] = {"status": status.value}
    if reason is not None:
        values["skip_reason"] = reason[:64]
    candidate_id = select(reply_decisions.c.candidate_id).where(decision)
    return (
        update(reply_candidate_queue)
        .where(reply_candidate_queue.c.id.in_(candidate_id))
        .values(**values)
    )


def recently_blocked(
    connection: Connection, event_type: str, permit_id: str, since: datetime
) -> bool:
    """Return True when `event_type` was written for this permit since `since` (no event floods)."""
    return bool(
        connection.execute(
            select(
                exists().where(
                    system_events.c.event_type == event_type,
                    system_events.c.created_at >= since,
                    system_events.c.event_data["permit_id"].as_string() == permit_id,
                )
            )
        ).scalar()
    )
