"""Whether one account posts now, is held until a known time, or is blocked until someone acts.

One function decides it, `account_state`, for /ready, the watchdog's report and certification:

- blocked: the kill switch, the deploy fence (`readiness.posting_blockers`), credentials the
  platform refused, a misconfigured platform endpoint, or platform policy. Nothing clears it
  by itself except a later platform call that succeeds (credentials, endpoint). A cost cap
  (`cost_cap`) blocks until a known time: the next UTC day or month, or an operator resume.
- held: a scheduled pause with an end: quiet hours, the hourly or daily budget window, or
  every waiting candidate's author in cooldown. The minimum gap between two posts is pacing,
  not a hold, so it never shows.
- posting: none of the above.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from xbot.domain.budgets import (
    BudgetRules,
    Grant,
    Refusal,
    RefusalReason,
    ReplyIntent,
    ReplyRecord,
    account_refusal,
    may_post,
)
from xbot.domain.clock import ensure_utc
from xbot.domain.cost import CostStop
from xbot.domain.policy import PolicyBlock


class PostingState(StrEnum):
    """What an account does now."""

    POSTING = "posting"  #: may post now
    HELD = "held"  #: a scheduled pause with a known end
    BLOCKED = "blocked"  #: cannot post until someone acts (or a platform call succeeds again)


class BlockReason(StrEnum):
    """Why an account is blocked; the fence's reasons keep `posting_blockers`' names."""

    KILL_SWITCH = "kill_switch"  #: `xbot pause`
    STALE_CODE = "stale_code"  #: this code is not the declared deployment
    DEPLOY_UNMARKED = "deploy_unmarked"  #: no deployment declared while one is required
    WRONG_ROLE = "wrong_role"  #: this process's role does not post
    CREDENTIALS_REFUSED = "credentials_refused"  #: the platform refused the credentials
    PLATFORM_MISCONFIGURED = "platform_misconfigured"  #: the endpoint or adapter is misconfigured
    POLICY = "policy"  #: platform policy forbids this account's set-up
    COST_CAP = "cost_cap"  #: a cost cap is reached, or X refused payment (xbot.domain.cost)
    LABEL_NOT_ATTESTED = "label_not_attested"  #: a live X account without the label attested


#: the order in which reasons are named when several hold: the operator's own switch first
BLOCK_ORDER = tuple(BlockReason)

#: budget refusals that are a hold; the minimum gap is pacing and never shown
HOLD_REASONS = frozenset(
    {RefusalReason.QUIET_HOURS, RefusalReason.DAILY_BUDGET, RefusalReason.HOURLY_BUDGET}
)


@dataclass(frozen=True, kw_only=True, slots=True)
class AccountRecord:
    """One enabled row of `accounts`: who we post as, on which platform."""

    account_id: int
    platform: str
    handle: str
    platform_user_id: str | None
    created_at: datetime


@dataclass(frozen=True, kw_only=True, slots=True)
class Switch:
    """The kill switch as the `controls` row has it."""

    on: bool = False
    since: datetime | None = None
    by: str | None = None
    #: with `on`: the post job also expires pending permits
    drain: bool = False


@dataclass(frozen=True, kw_only=True, slots=True)
class PlatformFault:
    """The newest platform refusal no later call has cleared (credentials or endpoint)."""

    reason: BlockReason
    since: datetime | None = None
    detail: str = ""

    @classmethod
    def from_value(cls, value: object, since: datetime | None) -> PlatformFault:
        """Return a fault from its stored value; an unknown reason reads as refused credentials."""
        data = value if isinstance(value, dict) else {}
        reason = str(data.get("reason", BlockReason.CREDENTIALS_REFUSED.value))
        known = reason in {item.value for item in BlockReason}
        return cls(
            reason=BlockReason(reason) if known else BlockReason.CREDENTIALS_REFUSED,
            since=since,
            detail=str(data.get("detail", "")),
        )


@dataclass(frozen=True, kw_only=True, slots=True)
class AccountFacts:
    """Everything one account's state depends on, read by the caller."""

    #: "platform:handle"
    account: str
    #: `readiness.posting_blockers` for the process (or deployment) that would post
    fence: Sequence[str] = ()
    #: when the fence started refusing (the deployment's declaration), if known
    fence_since: datetime | None = None
    kill_switch: Switch = field(default_factory=Switch)
    fault: PlatformFault | None = None
    policy: PolicyBlock | None = None
    #: why the account may not spend now (xbot.domain.cost.cost_stop), or None
    cost: CostStop | None = None
    #: the permits that did or may still publish in the last day
    history: Sequence[ReplyRecord] = ()
    rules: BudgetRules = field(default_factory=BudgetRules)
    #: candidates queued for the scheduler (for the author cooldown)
    waiting: Sequence[ReplyIntent] = ()


@dataclass(frozen=True, kw_only=True, slots=True)
class AccountState:
    """One account's state now: posting, held until `until`, or blocked since `since`."""

    account: str
    state: PostingState
    reason: str | None = None
    detail: str = ""
    since: datetime | None = None
    until: datetime | None = None
    #: every blocking reason, the shown one first
    reasons: tuple[str, ...] = ()

    @property
    def posting_allowed(self) -> bool:
        """Return True when the account may post now."""
        return self.state is PostingState.POSTING

    def describe(self) -> str:
        """Return one line: "x:acme blocked: kill_switch (kill switch on since …, set by …)"."""
        if self.state is PostingState.POSTING:
            return f"{self.account} posting"
        detail = f" ({self.detail})" if self.detail else ""
        return f"{self.account} {self.state.value}: {self.reason}{detail}"

    def as_data(self) -> dict[str, Any]:
        """Return the state as JSON-able data (/ready, the watchdog's report)."""
        return {
            "account": self.account,
            "state": self.state.value,
            "reason": self.reason,
            "detail": self.detail,
            "since": self.since.isoformat() if self.since else None,
            "until": self.until.isoformat() if self.until else None,
            "posting_allowed": self.posting_allowed,
        }


def account_state(facts: AccountFacts, *, now: datetime) -> AccountState:
    """Return whether the account posts now, is held (until when) or is blocked (since when)."""
    now = ensure_utc(now)
    blocked = _blocked(facts)
    if blocked is not None:
        return blocked
    hold = account_refusal(facts.history, facts.rules, now=now)
    if hold is not None and hold.reason in HOLD_REASONS:
        return _held(facts, hold)
    cooldown = _cooldown(facts, now)
    if cooldown is not None:
        return _held(facts, cooldown)
    return AccountState(account=facts.account, state=PostingState.POSTING)


def overall_posting_allowed(states: Sequence[AccountState]) -> bool:
    """Return True when at least one account may post now."""
    return any(state.posting_allowed for state in states)


def _blocked(facts: AccountFacts) -> AccountState | None:
    found = _block_reasons(facts)
    if not found:
        return None
    reason, since, detail = found[0]
    return AccountState(
        account=facts.account,
        state=PostingState.BLOCKED,
        reason=reason,
        detail=detail,
        since=since,
        until=facts.cost.until if reason == BlockReason.COST_CAP and facts.cost else None,
        reasons=tuple(item[0] for item in found),
    )


def _block_reasons(facts: AccountFacts) -> list[tuple[str, datetime | None, str]]:
    found: dict[str, tuple[datetime | None, str]] = {}
    for reason in facts.fence:
        found[reason] = (facts.fence_since, "")
    if facts.kill_switch.on:
        found[BlockReason.KILL_SWITCH] = (facts.kill_switch.since, _switch_detail(facts))
    if facts.fault is not None:
        found[facts.fault.reason] = (facts.fault.since, facts.fault.detail)
    if facts.policy is PolicyBlock.LABEL_NOT_ATTESTED:
        detail = "set X's Automated label, then x.automated_label_attested = true"
        found[BlockReason.LABEL_NOT_ATTESTED] = (None, detail)
    elif facts.policy is not None:
        found[BlockReason.POLICY] = (None, facts.policy.value)
    if facts.cost is not None:
        found[BlockReason.COST_CAP] = (facts.cost.since, facts.cost.detail)
    known = [reason for reason in BLOCK_ORDER if reason in found]
    ordered = known + sorted(reason for reason in found if reason not in BLOCK_ORDER)
    return [(str(reason), *found[reason]) for reason in ordered]


def _switch_detail(facts: AccountFacts) -> str:
    switch = facts.kill_switch
    since = f" since {switch.since:%Y-%m-%d %H:%M:%S} UTC" if switch.since else ""
    by = f", set by {switch.by}" if switch.by else ""
    return f"kill switch on{since}{by}"


def _held(facts: AccountFacts, refusal: Refusal) -> AccountState:
    until = refusal.retry_at
    detail = f"until {until:%Y-%m-%d %H:%M:%S} UTC" if until else "until the budget is raised"
    return AccountState(
        account=facts.account,
        state=PostingState.HELD,
        reason=refusal.reason.value,
        detail=detail,
        until=until,
    )


def _cooldown(facts: AccountFacts, now: datetime) -> Refusal | None:
    # Held when candidates wait, none may be answered now, and some wait for their author.
    verdicts = [may_post(facts.history, intent, facts.rules, now=now) for intent in facts.waiting]
    if any(isinstance(verdict, Grant) for verdict in verdicts):
        return None
    cooling = [
        verdict
        for verdict in verdicts
        if isinstance(verdict, Refusal)
        and verdict.reason in {RefusalReason.AUTHOR_COOLDOWN, RefusalReason.AUTHOR_DAILY_CAP}
        and verdict.retry_at is not None
    ]
    return min(cooling, key=lambda verdict: verdict.retry_at or now) if cooling else None
