"""The post job: the one module that publishes (DESIGN §5). No permit, no post.

One run, first in one transaction (claims of one account serialised): read the gates (declared
deployment, kill switch), expire the account's stale PENDING permits (or drain them all when the
kill switch says so; `posting_blocked_expired` says `expired`, `drained`, or `deferred_past_expiry`
with the back-off when a retry time lies past the expiry and no claim could ever happen), then
either refuse with `posting_blocked_<reason>` (stale_code, deploy_unmarked, kill_switch,
wrong_role, budget: the permit stays as it was; a fence refusal also logs a warning with both
SHAs, once a minute per worker), or withdraw it when a ghost reply answers its target (FAILED,
xbot.jobs.answered), or claim the oldest claimable permit in one statement that also re-checks
the gates. Then publish it through the platform, with the permit id as the idempotency key, and
record the outcome at the claim's fence through the outcome table (xbot.domain.outcomes: permit
status, event, candidate status, severity): an id -> USED (`reply_posted`); a definitive
rejection -> FAILED (`permit_failed`); surely not sent -> PENDING with a back-off
(`permit_deferred`, an error when the operator must act); anything ambiguous -> UNKNOWN
(`permit_unknown`): reconcile reads back, and nothing is re-sent before it has. What each
platform error means is xbot.domain.claims.event_for_error; the claim's statements are
xbot.store.queries.claims, the record's xbot.store.queries.records. A crash between publish
and record leaves the permit POSTING; its lease runs out and reconcile takes it from there. One
permit per run: a lease is measured from the run's `now`, so each run claims once and the runner
calls it again.

Review and shadow (issue 14): a permit whose text's hash is not its approved hash is never
claimed: FAILED `review_mismatch` with `posting_blocked_review_mismatch` (xbot.domain.review).
A shadow account's claimed permit skips the platform write and ends SHADOWED (`reply_shadowed`);
the mode is read in the claim's statement, so `xbot mode` takes effect at the next claim.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

import structlog
from sqlalchemy.engine import Connection

from xbot.domain.budgets import BudgetRules, BudgetUsage
from xbot.domain.candidates import CandidateStatus
from xbot.domain.claims import (
    ClaimFacts,
    ClaimRefusal,
    ClaimRefusalReason,
    event_for_error,
    may_claim,
    retry_backoff,
    usage_budget_refusal,
)
from xbot.domain.cost import Charge
from xbot.domain.errors import LeaseLost
from xbot.domain.expiry import ExpiryReason
from xbot.domain.outcomes import PublishOutcome, outcome_record
from xbot.domain.permits import (
    Accepted,
    Expire,
    ForbiddenTransition,
    NotSent,
    Permit,
    PermitReply,
    permit_expiry,
    transition,
)
from xbot.domain.review import AccountMode, effective_mode
from xbot.events import EventType, posting_blocked
from xbot.jobs.answered import withdraw_if_answered
from xbot.jobs.base import (
    Account,
    JobContext,
    job_event,
    log_event,
    require_account,
    require_platform,
)
from xbot.jobs.costs import (
    claim_cost_refusal,
    spending_refused,
    stop_spending,
    write_cost,
    written_charges,
)
from xbot.jobs.review_posting import record_shadowed, refuse_if_mismatched
from xbot.store.engine import translated_errors
from xbot.store.queries import claims as claim_queries
from xbot.store.queries import permits as permit_queries
from xbot.store.queries.events import NewEvent
from xbot.store.queries.records import CandidateMark, record_outcome

log = structlog.get_logger("xbot.jobs.post")

COMPONENT = "post"
#: a refusal for the same permit and reason is written again only after this long
REFUSAL_REPEAT = timedelta(minutes=5)
#: a worker the fence refuses logs a warning at most this often
FENCE_WARNING_REPEAT = timedelta(minutes=1)
#: characters of a reply's text in its log line
EXCERPT_CHARS = 80
FENCE_REASONS = frozenset({ClaimRefusalReason.STALE_CODE, ClaimRefusalReason.DEPLOY_UNMARKED})
#: when each worker (by id) last logged the fence warning
_fence_warned_at: dict[str, datetime] = {}


def run_once(context: JobContext) -> Mapping[str, Any]:
    """Expire, then claim and publish at most one permit of the account; return a summary."""
    account = require_account(context)
    expired, claimed, mode = _claim(context, account)
    if isinstance(claimed, ClaimRefusal):
        return {"expired": expired, "claimed": 0, "blocked": claimed.reason.value}
    if claimed is None:
        return {"expired": expired, "claimed": 0}
    if mode is AccountMode.SHADOW:
        status = record_shadowed(context, claimed, COMPONENT)
        return {"expired": expired, "claimed": 1, "permit_id": claimed.permit.permit_id, **status}
    outcome = _publish(context, account, claimed)
    status = _record(context, claimed, outcome)
    return {"expired": expired, "claimed": 1, "permit_id": claimed.permit.permit_id, **status}


def _expire_one(
    connection: Connection, context: JobContext, permit: Permit, *, drained: bool
) -> int:
    after = transition(permit, Expire(drained=drained), context.now)
    if isinstance(after, ForbiddenTransition):
        return 0
    why = ExpiryReason.DRAINED if drained else permit_expiry(permit, context.now)
    reason = why.value if why is not None else ExpiryReason.EXPIRED.value
    permit_queries.write_transition(connection, permit, after)
    deferred = why is ExpiryReason.DEFERRED_PAST_EXPIRY
    candidate_reason = reason if deferred else "permit_expired"
    permit_queries.mark_candidate(
        connection, permit.decision_id, CandidateStatus.EXPIRED, candidate_reason
    )
    data = {
        "permit_id": permit.permit_id,
        "decision_id": permit.decision_id,
        "expires_at": _iso(permit.expires_at),
        "reason": reason,
        "detail": after.failure_reason,
    }
    if deferred:
        data |= {"not_before": _iso(permit.not_before), "backoff": permit.failure_reason}
    job_event(
        connection,
        context,
        EventType.POSTING_BLOCKED_EXPIRED,
        data,
        component=COMPONENT,
        account_id=permit.account_id,
        severity="warning" if deferred else "info",
    )
    return 1


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


def _claim(
    context: JobContext, account: Account
) -> tuple[int, PermitReply | ClaimRefusal | None, AccountMode]:
    """In one transaction: expire stale permits, then refuse or claim the next one."""
    rules = BudgetRules.from_settings(account.settings.budgets)
    with translated_errors(), context.engine.begin() as connection:
        gates = claim_queries.lock_and_read_gates(connection, account.account_id)
        drain = gates.kill_switch.on and gates.kill_switch.drain
        read = claim_queries.read_claim(
            connection, account.account_id, context.now, rules, drain=drain
        )
        expired = sum(_expire_one(connection, context, p, drained=drain) for p in read.stale)
        mode = effective_mode(account.settings.mode, read.mode_switch)
        return expired, _claim_next(connection, context, gates, read, rules), mode


def _claim_next(
    connection: Connection,
    context: JobContext,
    gates: permit_queries.ClaimGates,
    read: claim_queries.ClaimRead,
    rules: BudgetRules,
) -> PermitReply | ClaimRefusal | None:
    reply = read.claimable
    if reply is None or read.usage is None:
        return None
    permit = reply.permit
    facts = _facts(context, gates, read.usage, read.posts_in_day, rules)
    verdict = may_claim(
        replace(facts, cost=claim_cost_refusal(context, reply, read.spend, read.cost_stop))
    )
    if isinstance(verdict, ClaimRefusal):
        _refuse(connection, context, verdict, permit.permit_id, permit.account_id)
        _warn_fence(context, verdict, gates.declared_sha)
        return verdict
    if withdraw_if_answered(connection, context, reply, read.answered_by, COMPONENT):
        return None  # a ghost reply answers its target; the next run takes the next permit
    if refuse_if_mismatched(connection, context, reply, COMPONENT):
        return None  # the text is not the approved text; the next run takes the next permit
    request = claim_queries.ClaimRequest(
        permit=permit,
        worker_id=context.worker.worker_id,
        git_sha=context.worker.git_sha,
        now=context.now,
        lease_until=context.now + timedelta(seconds=context.settings.lease_seconds),
        gates=gates,
    )
    event = _claimed_event(context, request)
    claimed = claim_queries.claim_with_event(connection, request, event)
    if claimed is None:  # the gates changed after they were read: the next run decides again
        return None
    _log(context, event)
    return replace(reply, permit=claimed)


def _claimed_event(context: JobContext, request: claim_queries.ClaimRequest) -> NewEvent:
    permit = request.permit
    data = {
        "permit_id": permit.permit_id,
        "decision_id": permit.decision_id,
        "fence": permit.fence + 1,
        "attempt": permit.attempts + 1,
        "lease_until": request.lease_until.isoformat(),
    }
    return NewEvent(
        event_type=EventType.PERMIT_CLAIMED,
        data=data,
        now=context.now,
        component=COMPONENT,
        account_id=permit.account_id,
        worker_id=context.worker.worker_id,
    )


def _facts(
    context: JobContext,
    gates: permit_queries.ClaimGates,
    usage: BudgetUsage,
    posts_in_day: int,
    rules: BudgetRules,
) -> ClaimFacts:
    return ClaimFacts(
        role=context.worker.role,
        running_sha=context.worker.git_sha,
        declared_sha=gates.declared_sha,
        kill_switch=gates.kill_switch,
        budget=usage_budget_refusal(usage, posts_in_day, rules, context.now),
        require_deploy_mark=context.settings.require_deploy_mark,
    )


def _refuse(
    connection: Connection,
    context: JobContext,
    refusal: ClaimRefusal,
    permit_id: str,
    account_id: int,
) -> None:
    since = context.now - REFUSAL_REPEAT
    if permit_queries.recently_blocked(
        connection, posting_blocked(refusal.reason), permit_id, since
    ):
        return
    data = {
        "permit_id": permit_id,
        "reason": refusal.reason.value,
        "detail": refusal.detail,
        "git_sha": context.worker.git_sha,
        "role": context.worker.role,
    }
    job_event(
        connection,
        context,
        posting_blocked(refusal.reason),
        data,
        component=COMPONENT,
        account_id=account_id,
        severity="warning",
    )


def _warn_fence(context: JobContext, refusal: ClaimRefusal, declared_sha: str | None) -> None:
    """Log a warning with both SHAs when the fence refuses, at most once a minute per worker."""
    worker_id = context.worker.worker_id
    last = _fence_warned_at.get(worker_id)
    if refusal.reason not in FENCE_REASONS or (
        last is not None and abs(context.now - last) < FENCE_WARNING_REPEAT
    ):
        return
    _fence_warned_at[worker_id] = context.now
    log.warning(
        "posting_refused_by_fence",
        reason=refusal.reason.value,
        running_sha=context.worker.git_sha,
        declared_sha=declared_sha,
        worker_id=worker_id,
        detail=refusal.detail,
    )


def _publish(context: JobContext, account: Account, reply: PermitReply) -> PublishOutcome:
    permit = reply.permit
    try:
        platform = require_platform(context, account)
    except Exception as exc:  # nothing was sent: building the adapter failed
        return NotSent(
            reason=f"platform_unavailable: {type(exc).__name__}",
            retry_at=context.now + retry_backoff(permit.attempts),
            needs_operator=False,
        )
    try:
        published = platform.publish_reply(
            reply.reply_target(), reply.reply_text, idempotency_key=permit.permit_id
        )
    except Exception as exc:  # classified, never retried here: see xbot.domain.claims
        if spending_refused(exc):  # X's 402 or UsageCapExceeded: no claim until the next day
            stop_spending(context, permit.account_id, exc)
        return event_for_error(exc, permit.attempts, context.now)
    return Accepted(post_id=str(published.post_id))


def _record(context: JobContext, reply: PermitReply, outcome: PublishOutcome) -> dict[str, Any]:
    permit = reply.permit
    after = transition(permit, outcome, context.now)
    if isinstance(after, ForbiddenTransition):  # the claim made it POSTING, so this is a bug
        log.error("permit_outcome_forbidden", permit_id=permit.permit_id, reason=after.reason)
        return {"status": "forbidden", "reason": after.reason}
    try:
        # the publish's price goes in with its outcome: no round trip of its own
        with (
            written_charges(context, require_account(context)) as charges,
            translated_errors(),
            context.engine.begin() as connection,
        ):
            _record_effects(connection, context, reply, after, outcome, charges=charges)
    except LeaseLost:
        _note_lease_lost(context, reply, outcome)
        return {"status": "lease_lost"}
    except Exception:
        # The post may be out but unrecorded: the log line is the only trace until reconcile.
        log.exception("publish_not_recorded", permit_id=permit.permit_id, outcome=repr(outcome))
        raise
    return {"status": after.status.value}


def _record_effects(  # noqa: PLR0913 - the outcome and everything it writes
    connection: Connection,
    context: JobContext,
    reply: PermitReply,
    after: Permit,
    outcome: PublishOutcome,
    *,
    charges: Sequence[Charge],
) -> None:
    record = outcome_record(outcome)
    mark = None
    if record.candidate_status is not None:
        mark = CandidateMark(status=record.candidate_status, reason=record.candidate_reason)
    data = {
        "permit_id": after.permit_id,
        "decision_id": after.decision_id,
        "target_post_id": reply.target_post_id,
        "attempt": after.attempts,
        "fence": after.fence,
        **record.details,
        **write_cost(charges),
    }
    event = NewEvent(
        event_type=EventType(record.event_type),
        data=data,
        now=context.now,
        severity=record.severity,
        component=COMPONENT,
        account_id=after.account_id,
        worker_id=context.worker.worker_id,
    )
    record_outcome(connection, reply.permit, after, mark, event, charges=charges)
    _log(context, event, reply)


def _log(context: JobContext, event: NewEvent, reply: PermitReply | None = None) -> None:
    data = dict(event.data)
    if reply is not None and event.event_type == EventType.REPLY_POSTED:
        data["text"] = excerpt(reply.reply_text)  # the log says what was said; the event proves it
    log_event(
        context, event.event_type, data, component=event.component,
        account_id=event.account_id, severity=event.severity,
    )  # fmt: skip


def excerpt(text: str, limit: int = EXCERPT_CHARS) -> str:
    """Return the text on one line, cut to `limit` characters with an ellipsis."""
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def _note_lease_lost(context: JobContext, reply: PermitReply, outcome: PublishOutcome) -> None:
    permit = reply.permit
    post_id = outcome.post_id if isinstance(outcome, Accepted) else None
    log.warning("permit_lease_lost", permit_id=permit.permit_id, post_id=post_id)
    data = {
        "permit_id": permit.permit_id,
        "decision_id": permit.decision_id,
        "fence": permit.fence,
        "outcome": type(outcome).__name__,
        "post_id": post_id,
    }
    with translated_errors(), context.engine.begin() as connection:
        job_event(
            connection,
            context,
            EventType.PERMIT_LEASE_LOST,
            data,
            component=COMPONENT,
            account_id=permit.account_id,
            severity="warning",
        )
