"""The claim as the store port carries it: what it reads, what the domain decides, what it did.

`PermitStore.claim_next(request, decide)` runs one transaction (claims of one account
serialised): it reads the gates and the account's permits (`ClaimRead`), hands them to
`decide`, a pure function the post job composes from the domain's rules, and writes the
`ClaimPlan` it returns: first the expirations, then one step. The SQL stays the source of truth
for concurrency: a `Take` re-checks the claim rule and the gates in its own statement and takes
nothing when they moved (`ClaimResult.claimed` is then None).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from xbot.domain.audit import NewEvent
from xbot.domain.budgets import BudgetRules, BudgetUsage
from xbot.domain.claims import ClaimRefusal, KillSwitch
from xbot.domain.cost import CostStop, Spend
from xbot.domain.permit_changes import PermitChange
from xbot.domain.permits import Permit, PermitReply, PermitStatus

#: the permits budgets count at their claim time (a PENDING or AWAITING_REVIEW one does not)
COUNTED_STATUSES = (
    PermitStatus.USED,
    PermitStatus.POSTING,
    PermitStatus.UNKNOWN,
    PermitStatus.SHADOWED,
)


@dataclass(frozen=True, kw_only=True, slots=True)
class ClaimGates:
    """The declared deployment and the kill switch as the claim's transaction read them."""

    declared_sha: str | None
    #: the newest deployments.id seen; a claim fails if a newer deployment appears before it
    deployments_seen: int
    kill_switch: KillSwitch
    #: controls.updated_at of the kill switch as read; None when it was never set
    kill_switch_seen: datetime | None


@dataclass(frozen=True, kw_only=True, slots=True)
class ClaimRequest:
    """Who claims for which account, at which moment, until when, under which budget."""

    account_id: int
    worker_id: str
    git_sha: str
    now: datetime
    lease: timedelta
    rules: BudgetRules
    #: a global cost cap is set: claims of every account then run one at a time (PostgreSQL's
    #: advisory lock), so each reads the others' reservations (xbot.domain.cost.Spend)
    global_caps: bool = False

    @property
    def lease_until(self) -> datetime:
        """Return when the claim's lease runs out."""
        return self.now + self.lease


@dataclass(frozen=True, kw_only=True, slots=True)
class ClaimRead:
    """What the claim decides on, read in its transaction after the account's lock."""

    gates: ClaimGates
    #: PENDING permits past their expiry, or every PENDING permit when the kill switch drains
    stale: list[Permit]
    #: the permit a claim would take now, with its decision; None when none is claimable
    claimable: PermitReply | None = None
    #: the ghost reply answering the claimable permit's target, if any
    answered_by: str | None = None
    #: the account's budget usage (None when nothing is claimable)
    usage: BudgetUsage | None = None
    posts_in_day: int = 0
    #: the account's mode switch in `controls` (None: never switched, the config's mode holds)
    mode_switch: Any = None
    #: what the account and all accounts spent today and this month (for the cost caps)
    spend: Spend = field(default_factory=Spend)
    #: the account's stop after X refused payment, if one was ever set
    cost_stop: CostStop | None = None

    @property
    def drain(self) -> bool:
        """Return True when the kill switch is on and drains pending permits."""
        return self.gates.kill_switch.on and self.gates.kill_switch.drain


@dataclass(frozen=True, kw_only=True, slots=True)
class Take:
    """Claim the read claimable permit at its fence, with its `permit_claimed` event."""

    event: NewEvent
    #: the reply's price, reserved against the cost caps while the permit is POSTING
    reserve_micro: int = 0


@dataclass(frozen=True, kw_only=True, slots=True)
class Refuse:
    """Leave the permit as it is; append `event` unless its type was written for it since."""

    refusal: ClaimRefusal
    event: NewEvent
    quiet_since: datetime


#: after the expirations: claim, refuse, withdraw or fail one permit, or do nothing
ClaimStep = Take | Refuse | PermitChange | None


@dataclass(frozen=True, kw_only=True, slots=True)
class ClaimPlan:
    """What the domain decided on a ClaimRead: the expirations, then one step."""

    expire: tuple[PermitChange, ...] = ()
    step: ClaimStep = None


@dataclass(frozen=True, kw_only=True, slots=True)
class ClaimResult:
    """What claim_next read, planned and committed."""

    read: ClaimRead
    plan: ClaimPlan
    #: the POSTING permit with its reply when the plan's Take claimed it, else None
    claimed: PermitReply | None = None
    #: the events committed, in order (the job logs them)
    written: tuple[NewEvent, ...] = ()
