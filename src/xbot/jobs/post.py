"""The post job: the one module that publishes (DESIGN §5). No permit, no post.

One run, first one claim through the store port (xbot.domain.claiming; claims of one account
serialised): it reads the gates (declared deployment, kill switch) and the account's permits,
and writes what xbot.jobs.post_claim.plan_claim decides on them: expire the account's stale
PENDING permits (or drain them all when the kill switch says so; `posting_blocked_expired` says
`expired`, `drained`, or `deferred_past_expiry` with the back-off when a retry time lies past
the expiry and no claim could ever happen), then either refuse with `posting_blocked_<reason>`
(stale_code, deploy_unmarked, kill_switch, wrong_role, budget, cost_cap: the permit stays as it
was; a fence refusal also logs a warning with both SHAs, once a minute per worker), or withdraw
it when a ghost reply answers its target (FAILED, xbot.domain.answered), or claim the oldest
claimable permit in one statement that also re-checks the gates. Then publish it through the
platform, with the permit id as the idempotency key, and record the outcome at the claim's fence
through the outcome table (xbot.domain.outcomes: permit status, event, candidate status,
severity): an id -> USED (`reply_posted`); a definitive rejection -> FAILED (`permit_failed`);
surely not sent -> PENDING with a back-off (`permit_deferred`, an error when the operator must
act); anything ambiguous -> UNKNOWN (`permit_unknown`): reconcile reads back, and nothing is
re-sent before it has. What each platform error means is xbot.domain.claims.event_for_error. A
crash between publish and record leaves the permit POSTING; its lease runs out and reconcile
takes it from there. One permit per run: a lease is measured from the run's `now`, so each run
claims once and the runner calls it again: a run that claimed wakes the account's post job
(xbot.jobs.wakeups), so PENDING permits go out one after another, not one per slot.

Review and shadow (issue 14): a permit whose text's hash is not its approved hash is never
claimed: FAILED `review_mismatch` with `posting_blocked_review_mismatch` (xbot.domain.review).
A shadow account's claimed permit skips the platform write and ends SHADOWED (`reply_shadowed`);
the mode is read in the claim's statement, so `xbot mode` takes effect at the next claim.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

import structlog

from xbot.domain.account_mode import AccountMode, effective_mode
from xbot.domain.audit import NewEvent
from xbot.domain.candidates import CandidateMark
from xbot.domain.claiming import ClaimPlan, ClaimRead, ClaimResult, Refuse
from xbot.domain.claims import ClaimRefusal, ClaimRefusalReason, event_for_error, retry_backoff
from xbot.domain.cost import Charge
from xbot.domain.errors import LeaseLost
from xbot.domain.outcomes import PublishOutcome, outcome_record
from xbot.domain.permits import (
    Accepted,
    ForbiddenTransition,
    NotSent,
    Permit,
    PermitReply,
    transition,
)
from xbot.events import EventType
from xbot.jobs.base import (
    Account,
    JobContext,
    log_event,
    require_account,
    require_platform,
    run_event,
    wake,
)
from xbot.jobs.costs import spending_refused, stop_spending, write_cost, written_charges
from xbot.jobs.post_claim import COMPONENT, REFUSAL_REPEAT, claim_request, plan_claim
from xbot.jobs.review_posting import record_shadowed
from xbot.jobs.summaries import PostSummary, Recorded

__all__ = ["COMPONENT", "EXCERPT_CHARS", "REFUSAL_REPEAT", "excerpt", "run_once"]

log = structlog.get_logger("xbot.jobs.post")

#: a worker the fence refuses logs a warning at most this often
FENCE_WARNING_REPEAT = timedelta(minutes=1)
#: characters of a reply's text in its log line
EXCERPT_CHARS = 80
FENCE_REASONS = frozenset({ClaimRefusalReason.STALE_CODE, ClaimRefusalReason.DEPLOY_UNMARKED})
#: when each worker (by id) last logged the fence warning
_fence_warned_at: dict[str, datetime] = {}


def run_once(context: JobContext) -> PostSummary:
    """Expire, then claim and publish at most one permit of the account; return a summary."""
    account = require_account(context)
    request = claim_request(context, account)

    def decide(read: ClaimRead) -> ClaimPlan:
        return plan_claim(context, request, read)

    result = context.store.permits.claim_next(request, decide)
    for event in result.written:
        _log(context, event)
    expired = len(result.plan.expire)
    step = result.plan.step
    if isinstance(step, Refuse):
        _warn_fence(context, step.refusal, result.read.gates.declared_sha)
        return PostSummary(expired=expired, blocked=step.refusal.reason.value)
    claimed = result.claimed
    if claimed is None:
        return PostSummary(expired=expired)
    if _mode(account, result) is AccountMode.SHADOW:
        recorded = record_shadowed(context, claimed, COMPONENT)
    else:
        recorded = _record(context, claimed, _publish(context, account, claimed))
    wake(context, "post", account)  # one claim per run: the next PENDING permit is claimed next
    return PostSummary.posted(
        expired=expired, permit_id=claimed.permit.permit_id, recorded=recorded
    )


def _mode(account: Account, result: ClaimResult) -> AccountMode:
    return effective_mode(account.settings.mode, result.read.mode_switch)


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


def _record(context: JobContext, reply: PermitReply, outcome: PublishOutcome) -> Recorded:
    permit = reply.permit
    after = transition(permit, outcome, context.now)
    if isinstance(after, ForbiddenTransition):  # the claim made it POSTING, so this is a bug
        log.error("permit_outcome_forbidden", permit_id=permit.permit_id, reason=after.reason)
        return Recorded(status="forbidden", reason=after.reason)
    try:
        # the publish's price goes in with its outcome: no round trip of its own
        with written_charges(context, require_account(context)) as charges:
            event, mark = _outcome_event(context, reply, after, outcome, charges)
            context.store.permits.record(permit, after, mark, event, charges)
    except LeaseLost:
        _note_lease_lost(context, reply, outcome)
        return Recorded(status="lease_lost")
    except Exception:
        # The post may be out but unrecorded: the log line is the only trace until reconcile.
        log.exception("publish_not_recorded", permit_id=permit.permit_id, outcome=repr(outcome))
        raise
    _log(context, event, reply)
    return Recorded(status=after.status.value)


def _outcome_event(
    context: JobContext,
    reply: PermitReply,
    after: Permit,
    outcome: PublishOutcome,
    charges: Sequence[Charge],
) -> tuple[NewEvent, CandidateMark | None]:
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
    event = run_event(
        context, record.event_type, data, component=COMPONENT,
        account_id=after.account_id, severity=record.severity,
    )  # fmt: skip
    return event, mark


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
    event = run_event(
        context, EventType.PERMIT_LEASE_LOST, data, component=COMPONENT,
        account_id=permit.account_id, severity="warning",
    )  # fmt: skip
    context.store.events.append(event)
    _log(context, event)
