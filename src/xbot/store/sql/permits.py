"""Permits through the port, on SQLite and PostgreSQL: reads, the claim and fenced writes."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import datetime

from sqlalchemy.engine import Connection

from xbot.domain.audit import NewEvent
from xbot.domain.candidates import CandidateMark
from xbot.domain.claiming import (
    ClaimPlan,
    ClaimRead,
    ClaimRequest,
    ClaimResult,
    Refuse,
    Take,
)
from xbot.domain.cost import AccountCharges, Charge
from xbot.domain.permit_changes import PermitChange
from xbot.domain.permits import Permit, PermitReply
from xbot.store.queries import claims, ghosts, permits, records, reviews, usage
from xbot.store.queries.events import insert_event
from xbot.store.sql.transactions import Transactions


class SqlPermits:
    """`PermitStore` on `post_attempts`."""

    def __init__(self, transactions: Transactions) -> None:
        self.transactions = transactions

    def past_review_deadline(self, account_id: int, now: datetime) -> list[Permit]:
        """Return the account's AWAITING_REVIEW permits whose review deadline has passed."""
        with self.transactions.read() as connection:
            return reviews.past_review_deadline(connection, account_id, now)

    def transition(
        self,
        before: Permit,
        after: Permit,
        candidate: CandidateMark | None,
        events: Sequence[NewEvent],
    ) -> None:
        """Write `after` while the permit is still `before`, mark its candidate, append events."""
        with self.transactions.begin() as connection:
            _transition(connection, PermitChange(before=before, after=after, candidate=candidate,
                                               events=tuple(events)))  # fmt: skip

    def claim_next(
        self, request: ClaimRequest, decide: Callable[[ClaimRead], ClaimPlan]
    ) -> ClaimResult:
        """Read the gates and the account's permits, and write what `decide` plans on them."""
        with self.transactions.begin() as connection:
            gates = claims.lock_and_read_gates(
                connection, request.account_id, all_accounts=request.global_caps
            )
            read = claims.read_claim(connection, request, gates)
            plan = decide(read)
            written: list[NewEvent] = []
            for expiry in plan.expire:
                _transition(connection, expiry)
                written.extend(expiry.events)
            return _step(connection, request, read, plan, written)

    def record(
        self,
        before: Permit,
        after: Permit,
        candidate: CandidateMark | None,
        event: NewEvent,
        charges: Sequence[Charge] = (),
    ) -> None:
        """Record a claimed permit's outcome at its fence with its mark, event and charges."""
        with self.transactions.begin() as connection:
            records.record_outcome(connection, before, after, candidate, event, charges=charges)

    def posting_past_lease(self, account_id: int, now: datetime) -> list[Permit]:
        """Return the account's POSTING permits whose lease ran out by `now`, oldest first."""
        with self.transactions.read() as connection:
            return permits.posting_past_lease(connection, account_id, now)

    def unknown_replies(self, account_id: int) -> list[PermitReply]:
        """Return the account's UNKNOWN permits with their text and target, oldest first."""
        with self.transactions.read() as connection:
            return permits.unknown_replies(connection, account_id)

    def open_replies(self, account_id: int) -> list[PermitReply]:
        """Return permits whose post may be out unrecorded: POSTING, UNKNOWN, retried PENDING."""
        with self.transactions.read() as connection:
            return ghosts.open_replies(connection, account_id)

    def used_post_ids(self, account_id: int, post_ids: Sequence[str]) -> set[str]:
        """Return which of these post ids a USED permit of the account holds."""
        with self.transactions.read() as connection:
            return ghosts.used_post_ids(connection, account_id, post_ids)

    def settle(
        self, changes: Sequence[PermitChange], charges: AccountCharges | None = None
    ) -> set[str]:
        """Write each change at its fence with its mark and events, and the charges, at once.

        Return the ids of the permits that had moved on (nothing of their change is written).
        """
        with self.transactions.begin() as connection:
            lost = {change.permit_id for change in changes if not write_change(connection, change)}
            if charges is not None:
                usage.add_charges(connection, charges.account_id, charges.charges, charges.at)
            return lost


def write_change(connection: Connection, change: PermitChange) -> bool:
    """Write one change at its fence in the caller's transaction; False when the permit moved on."""
    written = connection.execute(permits.fenced_transition(change.before, change.after))
    if written.rowcount != 1:
        return False
    if change.candidate is not None:
        mark = change.candidate
        permits.mark_candidate(connection, change.before.decision_id, mark.status, mark.reason)
    for event in change.events:
        insert_event(connection, event)
    return True


def _transition(connection: Connection, change: PermitChange) -> None:
    permits.write_transition(connection, change.before, change.after)
    if change.candidate is not None:
        mark = change.candidate
        permits.mark_candidate(connection, change.before.decision_id, mark.status, mark.reason)
    for event in change.events:
        insert_event(connection, event)


def _step(
    connection: Connection,
    request: ClaimRequest,
    read: ClaimRead,
    plan: ClaimPlan,
    written: list[NewEvent],
) -> ClaimResult:
    step, claimed = plan.step, None
    if isinstance(step, PermitChange):
        _transition(connection, step)
        written.extend(step.events)
    elif isinstance(step, Refuse):
        permit_id = str(step.event.data.get("permit_id"))
        event_type = step.event.event_type
        if not permits.recently_blocked(connection, event_type, permit_id, step.quiet_since):
            insert_event(connection, step.event)
            written.append(step.event)
    elif isinstance(step, Take) and read.claimable is not None:
        permit = claims.claim_with_event(connection, request, read, step)
        if permit is not None:
            claimed = replace(read.claimable, permit=permit)
            written.append(step.event)
    return ClaimResult(read=read, plan=plan, claimed=claimed, written=tuple(written))
