"""Budgets count permits at their local claim time, whatever the platform's clock says.

A simulated worker claims and publishes permits through the permit state machine; ambiguous
outcomes are reconciled with the platform's timestamp, which runs up to 3 h off. However the
outcomes mix, no rolling window ever holds more published posts than the budget allows.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Literal

from hypothesis import given, settings
from hypothesis import strategies as st

from xbot.domain.budgets import BudgetRules
from xbot.domain.claims import budget_refusal
from xbot.domain.permits import (
    AbsentOnReadBack,
    Accepted,
    ForbiddenTransition,
    FoundOnReadBack,
    LeaseExpired,
    NotSent,
    OutcomeUnknown,
    Permit,
    PermitEvent,
    PermitId,
    PermitStatus,
    transition,
)

T0 = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)
LEASE = timedelta(seconds=60)
COUNTED = frozenset({PermitStatus.USED, PermitStatus.POSTING, PermitStatus.UNKNOWN})
Outcome = Literal["accepted", "unknown_landed", "unknown_absent", "not_sent", "crash_landed"]
OUTCOMES: tuple[Outcome, ...] = (
    "accepted",
    "unknown_landed",
    "unknown_absent",
    "not_sent",
    "crash_landed",
)


@dataclass
class Account:
    """The permits of one account, and the true local time of every post that went out."""

    rules: BudgetRules
    #: platform clock minus local clock
    offset: timedelta
    permits: list[Permit] = field(default_factory=list)
    published: list[datetime] = field(default_factory=list)
    #: permit id -> local time its post landed (reconcile will find it)
    landed: dict[str, datetime] = field(default_factory=dict)

    def apply(self, index: int, event: PermitEvent, now: datetime) -> None:
        after = transition(self.permits[index], event, now)
        assert not isinstance(after, ForbiddenTransition), after
        self.permits[index] = after

    def reconcile(self, now: datetime) -> None:
        """Lapse dead leases, then read back: found posts carry the platform's timestamp."""
        for index, permit in enumerate(self.permits):
            if permit.status is PermitStatus.POSTING and permit.lease_until <= now:  # type: ignore[operator]
                self.apply(index, LeaseExpired(), now)
            if self.permits[index].status is not PermitStatus.UNKNOWN:
                continue
            landed = self.landed.get(permit.permit_id)
            if landed is None:
                self.apply(index, AbsentOnReadBack(grace=timedelta(0), max_attempts=99), now)
            else:
                found = FoundOnReadBack(post_id=permit.permit_id, posted_at=landed + self.offset)
                self.apply(index, found, now)

    def claim_and_publish(self, outcome: Outcome, now: datetime) -> None:
        """Claim the oldest claimable permit if the budget allows, and publish it."""
        counted = [permit.budget_at for permit in self.permits if permit.status in COUNTED]
        if budget_refusal(counted, self.rules, now) is not None:
            return
        index = next(
            (
                i
                for i, permit in enumerate(self.permits)
                if permit.status is PermitStatus.PENDING
                and (permit.not_before is None or permit.not_before <= now)
            ),
            None,
        )
        if index is None:
            return
        self.permits[index] = claimed(self.permits[index], now)
        permit_id = self.permits[index].permit_id
        if outcome in {"accepted", "unknown_landed", "crash_landed"}:
            self.published.append(now)
        if outcome in {"unknown_landed", "crash_landed"}:
            self.landed[permit_id] = now
        if outcome == "accepted":
            self.apply(index, Accepted(post_id=permit_id), now)
        elif outcome in {"unknown_landed", "unknown_absent"}:
            self.apply(index, OutcomeUnknown(reason="ambiguous"), now)
        elif outcome == "not_sent":
            self.apply(
                index,
                NotSent(
                    reason="transient",
                    retry_at=now + timedelta(seconds=30),
                    needs_operator=False,
                ),
                now,
            )
        # crash_landed: the holder vanished; the lease lapses and reconcile finds the post


def claimed(permit: Permit, now: datetime) -> Permit:
    """What the store's claim writes (xbot.store.queries.permits.claim_permit)."""
    return replace(
        permit,
        status=PermitStatus.POSTING,
        claimed_by="w",
        claimed_sha="abc",
        lease_until=now + LEASE,
        fence=permit.fence + 1,
        attempts=permit.attempts + 1,
        updated_at=now,
        claimed_at=now,
    )


def simulate(rules: BudgetRules, offset: timedelta, steps: list[tuple[int, Outcome]]) -> Account:
    account = Account(rules=rules, offset=offset)
    now = T0
    for number, (gap, outcome) in enumerate(steps):
        now += timedelta(seconds=gap)
        account.reconcile(now)
        account.permits.append(
            Permit(
                permit_id=PermitId(f"pmt_{number}"),
                decision_id=f"dec_{number}",
                account_id=1,
                status=PermitStatus.PENDING,
                created_at=now,
                updated_at=now,
            )
        )
        account.claim_and_publish(outcome, now)
    return account


def most_in_window(times: list[datetime], window: timedelta) -> int:
    return max((sum(t - window < other <= t for other in times) for t in times), default=0)


rule_sets = st.builds(
    BudgetRules,
    per_hour=st.integers(min_value=1, max_value=5),
    per_day=st.integers(min_value=1, max_value=12),
    min_gap=st.sampled_from([timedelta(0), timedelta(seconds=60)]),
)
offsets = st.integers(min_value=-3 * 3600, max_value=3 * 3600).map(
    lambda seconds: timedelta(seconds=seconds)
)
steps = st.lists(
    st.tuples(st.integers(min_value=0, max_value=900), st.sampled_from(OUTCOMES)),
    min_size=1,
    max_size=60,
)


@settings(max_examples=300, deadline=None)
@given(rules=rule_sets, offset=offsets, steps=steps)
def test_posts_per_window_never_exceed_the_budget_under_clock_skew(
    rules: BudgetRules, offset: timedelta, steps: list[tuple[int, Outcome]]
) -> None:
    account = simulate(rules, offset, steps)
    assert most_in_window(account.published, timedelta(hours=1)) <= rules.per_hour
    assert most_in_window(account.published, timedelta(days=1)) <= rules.per_day


def test_a_platform_two_hours_behind_does_not_free_the_budget() -> None:
    # the seen case: ambiguous publishes reconciled with timestamps 2 h in the past
    rules = BudgetRules(per_hour=3, per_day=30, min_gap=timedelta(0))
    account = simulate(rules, timedelta(hours=-2), [(10, "unknown_landed")] * 15)
    assert len(account.published) == rules.per_hour
    used = [permit for permit in account.permits if permit.status is PermitStatus.USED]
    assert all(permit.used_at < permit.budget_at for permit in used)  # type: ignore[operator]


def test_reconcile_keeps_the_claim_time() -> None:
    claimed = T0 + timedelta(minutes=1)
    permit = replace(
        Permit(
            permit_id=PermitId("pmt_1"),
            decision_id="dec_1",
            account_id=1,
            status=PermitStatus.UNKNOWN,
            created_at=T0,
        ),
        claimed_at=claimed,
    )
    found = transition(permit, FoundOnReadBack(post_id="9", posted_at=T0 - timedelta(hours=2)), T0)
    assert isinstance(found, Permit)
    assert (found.claimed_at, found.budget_at) == (claimed, claimed)
