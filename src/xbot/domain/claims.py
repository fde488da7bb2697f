"""Whether a worker may claim a permit now, and what a publish error means for the permit.

What each platform error on `publish_reply` does to the POSTING permit (DESIGN §5):

- RateLimited(reset_at) -> NotSent, retry at reset_at: refused before anything was done.
- Transient -> NotSent, exponential back-off: connect refused and the like, surely not sent.
- AuthFailed, CreditsDepleted -> NotSent(needs_operator), retry in 10 min: the operator's problem,
  not the decision's, so the permit is kept for when the operator has fixed it.
- ForbiddenByPolicy -> Rejected (FAILED): not summoned, replies restricted, target hidden.
- NotFound -> Rejected (FAILED): the target is gone, there is nothing to reply to.
- DuplicateContent -> OutcomeUnknown: X's 403 means "probably already posted": read back.
- Ambiguous, BadResponse -> OutcomeUnknown: the write may have been applied.
- anything else -> OutcomeUnknown: an unexpected failure after the request may have left.

An operator problem (auth, credits) keeps the permit PENDING: it expires on its own if nobody acts,
and the error-severity `permit_deferred` event puts it in front of the operator.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from xbot.domain.budgets import BudgetRules, BudgetUsage, budget_usage, usage_refusal
from xbot.domain.errors import (
    Ambiguous,
    AuthFailed,
    BadResponse,
    CreditsDepleted,
    DuplicateContent,
    ForbiddenByPolicy,
    NotFound,
    RateLimited,
    Transient,
)
from xbot.domain.permits import NotSent, OutcomeUnknown, Rejected
from xbot.domain.readiness import posting_blockers

FIRST_BACKOFF = timedelta(seconds=30)
MAX_BACKOFF = timedelta(minutes=15)
OPERATOR_RETRY = timedelta(minutes=10)


class ClaimRefusalReason(StrEnum):
    """Why a claim was refused; the event is `posting_blocked_<reason>`.

    Not the budget's own reasons (xbot.domain.budgets.RefusalReason): a spent budget of any kind
    refuses a claim as BUDGET, with the budget's reason in the detail.
    """

    STALE_CODE = "stale_code"  #: this worker's SHA is not the declared deployment's
    DEPLOY_UNMARKED = "deploy_unmarked"  #: no deployment is declared and one is required
    KILL_SWITCH = "kill_switch"  #: the operator stopped posting
    WRONG_ROLE = "wrong_role"  #: only `worker` and `all` processes post
    BUDGET = "budget"  #: the account's hourly or daily budget is spent
    COST_CAP = "cost_cap"  #: this reply's price would cross a daily or monthly cost cap
    EXPIRED = "expired"  #: the permit is too late to use


@dataclass(frozen=True, kw_only=True, slots=True)
class KillSwitch:
    """The operator's switch in `controls`: on stops claims; drain also expires pending permits."""

    on: bool = False
    drain: bool = False

    @classmethod
    def from_value(cls, value: Mapping[str, Any] | None) -> KillSwitch:
        """Read the stored JSON; a value that is not a mapping of booleans fails closed (on)."""
        if value is None:
            return cls()
        on, drain = value.get("on", False), value.get("drain", False)
        if not isinstance(on, bool) or not isinstance(drain, bool):
            return cls(on=True)
        return cls(on=on, drain=drain)


def budget_refusal(posted_at: Sequence[datetime], rules: BudgetRules, now: datetime) -> str | None:
    """Return why the account's budget refuses one more post now, or None.

    `posted_at` holds one time per permit that did or may have published (USED, POSTING,
    UNKNOWN), at its local claim time (Permit.budget_at), never the platform's; the hourly,
    daily, gap and quiet-hours rules are the scheduler's own (xbot.domain.budgets), so the
    claim re-checks exactly what the schedule job checked.
    """
    usage = budget_usage(posted_at, rules, now=now)
    return usage_budget_refusal(usage, len(posted_at), rules, now)


def usage_budget_refusal(
    usage: BudgetUsage, posts_in_day: int, rules: BudgetRules, now: datetime
) -> str | None:
    """Return why the budget refuses, from its window usage as the claim's statement counted it."""
    refusal = usage_refusal(usage, rules, now=now)
    if refusal is None:
        return None
    retry = f", retry at {refusal.retry_at.isoformat()}" if refusal.retry_at else ""
    return f"{refusal.reason.value}: {posts_in_day} posts in the last day{retry}"


@dataclass(frozen=True, kw_only=True, slots=True)
class ClaimFacts:
    """What the claim is decided on, read in the claim's own transaction."""

    role: str
    running_sha: str
    declared_sha: str | None
    kill_switch: KillSwitch
    #: why the budget refuses now (budget_refusal), or None
    budget: str | None
    #: refuse when no deployment is declared (config require_deploy_mark)
    require_deploy_mark: bool = False
    #: which cost cap this reply's price would cross (xbot.domain.cost.CapBlock), or None
    cost: str | None = None


@dataclass(frozen=True, kw_only=True, slots=True)
class Grant:
    """The worker may claim."""


@dataclass(frozen=True, kw_only=True, slots=True)
class ClaimRefusal:
    """The worker may not claim; the permit stays as it was."""

    reason: ClaimRefusalReason
    detail: str

    @property
    def event_type(self) -> str:
        """Return the event this refusal writes."""
        return f"posting_blocked_{self.reason.value}"


def may_claim(facts: ClaimFacts) -> Grant | ClaimRefusal:
    """Decide whether the worker may claim a permit of the account now."""
    blockers = posting_blockers(
        role=facts.role,
        running_sha=facts.running_sha,
        declared_sha=facts.declared_sha,
        kill_switch_on=facts.kill_switch.on,
        require_deploy_mark=facts.require_deploy_mark,
    )
    if blockers:
        reason = ClaimRefusalReason(blockers[0])
        return ClaimRefusal(reason=reason, detail=_blocker_detail(reason, facts))
    if facts.budget is not None:
        return ClaimRefusal(reason=ClaimRefusalReason.BUDGET, detail=facts.budget)
    if facts.cost is not None:
        return ClaimRefusal(reason=ClaimRefusalReason.COST_CAP, detail=facts.cost)
    return Grant()


def _blocker_detail(reason: ClaimRefusalReason, facts: ClaimFacts) -> str:
    if reason is ClaimRefusalReason.STALE_CODE:
        return f"running {facts.running_sha}, declared deployment {facts.declared_sha}"
    if reason is ClaimRefusalReason.DEPLOY_UNMARKED:
        return (
            f"running {facts.running_sha}, no deployment declared and require_deploy_mark is on: "
            f"run `xbot deploy mark --sha {facts.running_sha}`"
        )
    if reason is ClaimRefusalReason.WRONG_ROLE:
        return f"role {facts.role} may not post; only worker and all do"
    return "the kill switch is on"


def retry_backoff(attempts: int) -> timedelta:
    """Return the wait before the next claim after `attempts` claims that surely did not send."""
    doubled: timedelta = FIRST_BACKOFF * 2 ** max(attempts - 1, 0)
    return min(doubled, MAX_BACKOFF)


def event_for_error(
    error: BaseException, attempts: int, now: datetime
) -> NotSent | Rejected | OutcomeUnknown:
    """Map an error raised by publish_reply to the permit's event (see the module docstring)."""
    detail = _short(error)
    if isinstance(error, RateLimited):
        retry_at = error.reset_at if error.reset_at and error.reset_at > now else None
        return NotSent(
            reason=f"rate_limited: {detail}",
            retry_at=retry_at or now + FIRST_BACKOFF,
            needs_operator=False,
        )
    if isinstance(error, Transient):
        return NotSent(
            reason=f"transient: {detail}",
            retry_at=now + retry_backoff(attempts),
            needs_operator=False,
        )
    if isinstance(error, AuthFailed | CreditsDepleted):
        return NotSent(
            reason=f"{_kind(error)}: {detail}", retry_at=now + OPERATOR_RETRY, needs_operator=True
        )
    if isinstance(error, ForbiddenByPolicy | NotFound):
        return Rejected(reason=f"{_kind(error)}: {detail}")
    if isinstance(error, DuplicateContent | Ambiguous | BadResponse):
        return OutcomeUnknown(reason=f"{_kind(error)}: {detail}")
    return OutcomeUnknown(reason=f"unexpected_error: {type(error).__name__}")


_KINDS = {
    AuthFailed: "auth_failed",
    CreditsDepleted: "credits_depleted",
    ForbiddenByPolicy: "forbidden_by_policy",
    NotFound: "target_not_found",
    DuplicateContent: "duplicate_content",
    Ambiguous: "ambiguous",
    BadResponse: "bad_response",
}


def _kind(error: BaseException) -> str:
    for kind, name in _KINDS.items():
        if isinstance(error, kind):
            return name
    return type(error).__name__


def _short(error: BaseException) -> str:
    return str(error).strip().splitlines()[0][:160] if str(error).strip() else type(error).__name__
