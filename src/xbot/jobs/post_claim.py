"""The post job's claim: what it asks the store for, and the plan it decides on what was read.

`plan_claim` is the decision the store's claim transaction runs (xbot.domain.claiming): expire
the account's stale PENDING permits (or drain them all when the kill switch says so), then one
step: refuse (the permit stays as it was; the refusal's event at most once per REFUSAL_REPEAT),
withdraw a permit whose target a ghost reply answers (FAILED, xbot.domain.answered), fail one
whose text is not its approved text (xbot.jobs.review_posting), or take the claimable permit.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

from xbot.domain.audit import NewEvent
from xbot.domain.budgets import BudgetRules
from xbot.domain.candidates import CandidateMark, CandidateStatus
from xbot.domain.claiming import (
    ClaimPlan,
    ClaimRead,
    ClaimRequest,
    ClaimStep,
    Refuse,
    Take,
)
from xbot.domain.claims import ClaimFacts, ClaimRefusal, may_claim, usage_budget_refusal
from xbot.domain.expiry import ExpiryReason
from xbot.domain.permit_changes import PermitChange
from xbot.domain.permits import (
    Expire,
    ForbiddenTransition,
    Permit,
    PermitReply,
    permit_expiry,
    transition,
)
from xbot.events import EventType, posting_blocked
from xbot.jobs.answered import withdrawal
from xbot.jobs.base import Account, JobContext, run_event
from xbot.jobs.costs import claim_cost_refusal, has_global_caps, reply_price
from xbot.jobs.review_posting import mismatch_transition

COMPONENT = "post"
#: a refusal for the same permit and reason is written again only after this long
REFUSAL_REPEAT = timedelta(minutes=5)


def claim_request(context: JobContext, account: Account) -> ClaimRequest:
    """Return the claim this run asks for: its worker, moment, lease and the account's budget."""
    return ClaimRequest(
        account_id=account.account_id,
        worker_id=context.worker.worker_id,
        git_sha=context.worker.git_sha,
        now=context.now,
        lease=timedelta(seconds=context.settings.lease_seconds),
        rules=BudgetRules.from_settings(account.settings.budgets),
        global_caps=has_global_caps(context.settings),
    )


def plan_claim(context: JobContext, request: ClaimRequest, read: ClaimRead) -> ClaimPlan:
    """Decide on the claim's read: the expirations, then one step."""
    drained = read.drain
    expire = (_expiry(context, permit, drained=drained) for permit in read.stale)
    return ClaimPlan(
        expire=tuple(change for change in expire if change is not None),
        step=_step(context, request, read),
    )


def _expiry(context: JobContext, permit: Permit, *, drained: bool) -> PermitChange | None:
    after = transition(permit, Expire(drained=drained), context.now)
    if isinstance(after, ForbiddenTransition):
        return None
    why = ExpiryReason.DRAINED if drained else permit_expiry(permit, context.now)
    reason = why.value if why is not None else ExpiryReason.EXPIRED.value
    deferred = why is ExpiryReason.DEFERRED_PAST_EXPIRY
    data = {
        "permit_id": permit.permit_id,
        "decision_id": permit.decision_id,
        "expires_at": _iso(permit.expires_at),
        "reason": reason,
        "detail": after.failure_reason,
    }
    if deferred:
        data |= {"not_before": _iso(permit.not_before), "backoff": permit.failure_reason}
    event = run_event(
        context, EventType.POSTING_BLOCKED_EXPIRED, data, component=COMPONENT,
        account_id=permit.account_id, severity="warning" if deferred else "info",
    )  # fmt: skip
    mark = CandidateMark(
        status=CandidateStatus.EXPIRED, reason=reason if deferred else "permit_expired"
    )
    return PermitChange(before=permit, after=after, candidate=mark, events=(event,))


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


def _step(context: JobContext, request: ClaimRequest, read: ClaimRead) -> ClaimStep:
    reply = read.claimable
    if reply is None or read.usage is None:
        return None
    facts = ClaimFacts(
        role=context.worker.role,
        running_sha=context.worker.git_sha,
        declared_sha=read.gates.declared_sha,
        kill_switch=read.gates.kill_switch,
        budget=usage_budget_refusal(read.usage, read.posts_in_day, request.rules, context.now),
        require_deploy_mark=context.settings.require_deploy_mark,
    )
    price = reply_price(context, reply)
    cost = claim_cost_refusal(context, price, read.spend, read.cost_stop)
    verdict = may_claim(replace(facts, cost=cost))
    if isinstance(verdict, ClaimRefusal):
        return _refusal(context, verdict, reply.permit)
    withdrawn = withdrawal(context, reply, read.answered_by, COMPONENT)
    if withdrawn is not None:
        return withdrawn  # a ghost reply answers its target; the next run takes the next permit
    # the text is not the approved text: the next run takes the next permit
    return mismatch_transition(context, reply, COMPONENT) or Take(
        event=_claimed(context, request, reply), reserve_micro=price
    )


def _refusal(context: JobContext, refusal: ClaimRefusal, permit: Permit) -> Refuse:
    data = {
        "permit_id": permit.permit_id,
        "reason": refusal.reason.value,
        "detail": refusal.detail,
        "git_sha": context.worker.git_sha,
        "role": context.worker.role,
    }
    event = run_event(
        context, posting_blocked(refusal.reason), data, component=COMPONENT,
        account_id=permit.account_id, severity="warning",
    )  # fmt: skip
    return Refuse(refusal=refusal, event=event, quiet_since=context.now - REFUSAL_REPEAT)


def _claimed(context: JobContext, request: ClaimRequest, reply: PermitReply) -> NewEvent:
    permit = reply.permit
    lease_until = request.lease_until
    data = {
        "permit_id": permit.permit_id,
        "decision_id": permit.decision_id,
        "fence": permit.fence + 1,
        "attempt": permit.attempts + 1,
        "lease_until": lease_until.isoformat(),
    }
    return run_event(
        context, EventType.PERMIT_CLAIMED, data, component=COMPONENT, account_id=permit.account_id
    )
