"""Permits in memory: the domain's Permit records, claimed and written only at their fence."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime

from xbot.domain.audit import NewEvent
from xbot.domain.candidates import CandidateMark, CandidateStatus
from xbot.domain.claiming import (
    ClaimPlan,
    ClaimRead,
    ClaimRequest,
    ClaimResult,
    Refuse,
    Take,
)
from xbot.domain.cost import AccountCharges, Charge, usage_day
from xbot.domain.errors import LeaseLost
from xbot.domain.permit_changes import PermitChange
from xbot.domain.permits import Permit, PermitReply, PermitStatus
from xbot.store.memory import claims
from xbot.store.memory.events import append_to
from xbot.store.memory.tables import Tables
from xbot.store.memory.usage import add_charges_to


class MemoryPermits:
    """`PermitStore` in memory."""

    def __init__(self, tables: Tables) -> None:
        self.tables = tables

    def past_review_deadline(self, account_id: int, now: datetime) -> list[Permit]:
        """Return the account's AWAITING_REVIEW permits whose review deadline has passed."""
        with self.tables.transaction() as tables:
            return [
                permit
                for permit in tables.permits.values()
                if permit.account_id == account_id
                and permit.status is PermitStatus.AWAITING_REVIEW
                and permit.review_deadline is not None
                and permit.review_deadline <= now
            ]

    def transition(
        self,
        before: Permit,
        after: Permit,
        candidate: CandidateMark | None,
        events: Sequence[NewEvent],
    ) -> None:
        """Write `after` while the permit is still `before`, mark its candidate, append events."""
        change = PermitChange(before=before, after=after, candidate=candidate, events=tuple(events))
        with self.tables.transaction() as tables:
            _transition(tables, change)

    def claim_next(
        self, request: ClaimRequest, decide: Callable[[ClaimRead], ClaimPlan]
    ) -> ClaimResult:
        """Read the gates and the account's permits, and write what `decide` plans on them."""
        with self.tables.transaction() as tables:
            read = claims.read_claim(tables, request, claims.read_gates(tables))
            plan = decide(read)
            # one unit of work, as the SQL transaction: a failed write leaves nothing behind
            saved = (dict(tables.permits), len(tables.events), _marks(tables))
            try:
                return _apply(tables, request, read, plan)
            except BaseException:
                _restore(tables, saved)
                raise

    def record(
        self,
        before: Permit,
        after: Permit,
        candidate: CandidateMark | None,
        event: NewEvent,
        charges: Sequence[Charge] = (),
    ) -> None:
        """Record a claimed permit's outcome at its fence with its mark, event and charges."""
        change = PermitChange(before=before, after=after, candidate=candidate, events=(event,))
        with self.tables.transaction() as tables:
            _transition(tables, change)
            day = usage_day(event.now or datetime.now(UTC))
            tables.charges.extend((after.account_id, day, charge) for charge in charges)

    def posting_past_lease(self, account_id: int, now: datetime) -> list[Permit]:
        """Return the account's POSTING permits whose lease ran out by `now`, oldest first."""
        with self.tables.transaction() as tables:
            found = [
                permit
                for permit in tables.permits.values()
                if permit.account_id == account_id
                and permit.status is PermitStatus.POSTING
                and (permit.lease_until is None or permit.lease_until <= now)
            ]
        return sorted(found, key=lambda permit: permit.created_at)

    def unknown_replies(self, account_id: int) -> list[PermitReply]:
        """Return the account's UNKNOWN permits with their text and target, oldest first."""
        return self._replies(account_id, (PermitStatus.UNKNOWN,))

    def open_replies(self, account_id: int) -> list[PermitReply]:
        """Return permits whose post may be out unrecorded: POSTING, UNKNOWN, retried PENDING."""
        return self._replies(account_id, (PermitStatus.POSTING, PermitStatus.UNKNOWN), retried=True)

    def _replies(
        self, account_id: int, statuses: Sequence[PermitStatus], *, retried: bool = False
    ) -> list[PermitReply]:
        with self.tables.transaction() as tables:
            found = [
                permit
                for permit in tables.permits.values()
                if permit.account_id == account_id
                and (
                    permit.status in statuses
                    or (retried and permit.status is PermitStatus.PENDING and permit.attempts > 0)
                )
            ]
            found.sort(key=lambda permit: permit.created_at)
            return [claims.permit_reply(tables, permit) for permit in found]

    def used_post_ids(self, account_id: int, post_ids: Sequence[str]) -> set[str]:
        """Return which of these post ids a USED permit of the account holds."""
        wanted = set(post_ids)
        with self.tables.transaction() as tables:
            return {
                permit.actual_tweet_id
                for permit in tables.permits.values()
                if permit.account_id == account_id
                and permit.status is PermitStatus.USED
                and permit.actual_tweet_id in wanted
            }

    def settle(
        self, changes: Sequence[PermitChange], charges: AccountCharges | None = None
    ) -> set[str]:
        """Write each change at its fence with its mark and events, and the charges, at once.

        Return the ids of the permits that had moved on (nothing of their change is written).
        """
        with self.tables.transaction() as tables:
            lost = set()
            for change in changes:
                try:
                    _transition(tables, change)
                except LeaseLost:
                    lost.add(change.permit_id)
            if charges is not None:
                add_charges_to(tables, charges)
            return lost


def _apply(tables: Tables, request: ClaimRequest, read: ClaimRead, plan: ClaimPlan) -> ClaimResult:
    written: list[NewEvent] = []
    for expiry in plan.expire:
        _transition(tables, expiry)
        written.extend(expiry.events)
    step, taken = plan.step, None
    if isinstance(step, PermitChange):
        _transition(tables, step)
        written.extend(step.events)
    elif isinstance(step, Refuse):
        if not _recently(tables, step):
            append_to(tables, step.event)
            written.append(step.event)
    elif isinstance(step, Take) and read.claimable is not None:
        current = tables.permits[read.claimable.permit.permit_id]
        if current == read.claimable.permit and claims.claimable(current, request.now):
            taken = claims.claimed(current, request)
            tables.permits[current.permit_id] = taken
            tables.reserved[current.permit_id] = step.reserve_micro
            append_to(tables, step.event)
            written.append(step.event)
    reply = claims.permit_reply(tables, taken) if taken is not None else None
    return ClaimResult(read=read, plan=plan, claimed=reply, written=tuple(written))


def _recently(tables: Tables, step: Refuse) -> bool:
    permit_id = step.event.data.get("permit_id")
    return any(
        event.event_type == step.event.event_type
        and event.created_at >= step.quiet_since
        and event.data.get("permit_id") == permit_id
        for event in tables.events
    )


def _transition(tables: Tables, change: PermitChange) -> None:
    before = change.before
    current = tables.permits.get(before.permit_id)
    if current is None or (current.fence, current.status) != (before.fence, before.status):
        raise LeaseLost(
            f"permit {before.permit_id} is no longer {before.status.value} at fence "
            f"{before.fence}: another worker took it over"
        )
    tables.permits[before.permit_id] = change.after
    if change.candidate is not None:
        decision = tables.decisions[before.decision_id].decision
        row = tables.candidates[decision.candidate_id]
        row.status = change.candidate.status
        if change.candidate.reason is not None:
            row.skip_reason = change.candidate.reason[:64]
    for event in change.events:
        append_to(tables, event)


Marks = dict[int, tuple[CandidateStatus, str | None]]


def _marks(tables: Tables) -> Marks:
    return {key: (row.status, row.skip_reason) for key, row in tables.candidates.items()}


def _restore(tables: Tables, saved: tuple[dict[str, Permit], int, Marks]) -> None:
    permits, events, marks = saved
    tables.permits = permits
    del tables.events[events:]
    for key, (status, reason) in marks.items():
        tables.candidates[key].status = status
        tables.candidates[key].skip_reason = reason
