"""The schedule job: from queued candidates to decisions with PENDING permits (DESIGN §4.2).

It expires stale candidates, picks the best one the budget and policy allow, generates and
guards its reply, and writes the decision with its PENDING permit. In quiet hours every queued
candidate keeps its place until they end plus its TTL; a candidate that expires anyway is
skipped as `expired_during_<hold>` when the account was held (hourly_budget, ...), else `expired`,
with one `reply_v2_candidates_expired` event per pass. Targets a ghost reply answers are skipped
as `target_already_answered` (xbot.domain.answered).

On a review account (`review` = required, or llm_only for `llm` replies) the permit is made
AWAITING_REVIEW with the hash of its exact text and a review deadline (`review_ttl_minutes`,
never beyond the permit's expiry, itself the candidate's TTL extended by quiet hours), one
`review_requested` event, and a webhook notification when `review.webhook_url` is set. At most
`per_hour` permits of an account wait at once (`review_queue_full`). Each pass first expires the
permits whose review deadline has passed (EXPIRED `review_expired`; xbot.jobs.review_expiry).

A stop message queued as a confirmation (`opt_outs.confirmation`, xbot.domain.confirmations) is
answered with the configured text instead of the generator's, through the same guard, decision
and permit (generator `confirmation`); its author's opt-out keeps every other candidate of
theirs skipped `opted_out`.

The runner writes `reply_v2_scheduler_job_started` / `_completed` / `_failed`; this module
writes `reply_v2_attempt_created` per permit, in the same transaction as the permit.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import structlog

from xbot.domain.audit import NewEvent, Severity
from xbot.domain.budgets import (
    BudgetRules,
    Grant,
    Refusal,
    RefusalReason,
    ReplyRecord,
    account_refusal,
    may_post,
)
from xbot.domain.candidates import WaitingCandidate, expiry_skip_reason
from xbot.domain.confirmations import CONFIRMATION_GENERATOR, may_confirm
from xbot.domain.decisions import Decided, NewDecision
from xbot.domain.drafts import NEAR_DUPLICATE_WINDOW
from xbot.domain.errors import GeneratorFailed
from xbot.domain.filters import SkipReason
from xbot.domain.guard import Accepted, GuardPolicy, check_reply
from xbot.domain.labels import is_live
from xbot.domain.policy import GeneratorKind, PlatformName, account_block
from xbot.domain.ports import ReplyGenerator
from xbot.events import EventType
from xbot.jobs.base import (
    Account,
    JobContext,
    log_event,
    require_account,
    require_generator,
    run_event,
    wake,
)
from xbot.jobs.review_expiry import expire_reviews
from xbot.jobs.review_requests import (
    notify_review,
    review_plan,
    review_queue_full,
    review_request,
)
from xbot.jobs.summaries import PermitCreated, SchedulePolicyBlocked, ScheduleSummary

log = structlog.get_logger("xbot.schedule")
COMPONENT = "schedule"

DAY = timedelta(days=1)


@dataclass(kw_only=True, slots=True)
class _Pass:
    """What one scheduler pass has seen and done so far."""

    history: list[ReplyRecord]
    recent_texts: list[str]
    #: {target id: ghost post id} for queued targets a ghost reply answers already
    answered: Mapping[str, str] = field(default_factory=dict)
    #: queued authors who opted out since they were queued (never answered)
    opted_out: set[str] = field(default_factory=set)
    created: list[str] = field(default_factory=list)
    skipped: Counter[str] = field(default_factory=Counter)
    waiting: int = 0


def run_once(context: JobContext) -> ScheduleSummary | SchedulePolicyBlocked:
    """One scheduling pass for one account."""
    account = require_account(context)
    rules = BudgetRules.from_settings(account.settings.budgets)
    review_expired = expire_reviews(context, account, COMPONENT)
    store = context.store
    records = store.decisions.posting_history(account.account_id, context.now - DAY)
    hold = account_refusal(records, rules, now=context.now)
    kept = _keep_through_quiet_hours(context, account, hold)
    expired = _expire(context, account, hold)
    queued = store.candidates.queued(account.account_id, context.now)
    recent = store.decisions.recent_reply_texts(
        account.account_id, context.now - NEAR_DUPLICATE_WINDOW
    )
    answered = store.ghosts.answered_targets(
        account.account_id, [row.candidate_post_id for row in queued]
    )
    opted_out = store.opt_outs.opted_out_authors(
        account.platform, [row.author_id for row in queued]
    )
    block = account_block(
        PlatformName(account.platform),
        GeneratorKind(account.settings.generator),
        ai_replies_approved=context.settings.x.ai_replies_approved,
        label_attested=context.settings.x.automated_label_attested,
        live=is_live(account.settings.base_url),
    )
    if block is not None:
        _event(
            context, account, EventType.REPLY_V2_SCHEDULER_POLICY_BLOCKED, {"reason": block.value}
        )
        return SchedulePolicyBlocked(
            expired=expired, queued=len(queued), kept_for_hold=kept, blocked_by=block.value
        )
    state = _Pass(history=records, recent_texts=recent, answered=answered, opted_out=opted_out)
    refusal = _schedule(context, account, queued, state)
    if state.created:
        wake(context, "post", account)  # the new permits need not wait for the post job's slot
    return ScheduleSummary(
        expired=expired,
        review_expired=review_expired,
        queued=len(queued),
        kept_for_hold=kept,
        permits_created=len(state.created),
        permit_ids=tuple(state.created),
        skipped=dict(state.skipped),
        waiting=state.waiting,
        budget=refusal,
    )


def _keep_through_quiet_hours(context: JobContext, account: Account, hold: Refusal | None) -> int:
    """In quiet hours, every queued candidate keeps its place until they end plus its TTL."""
    if hold is None or hold.reason is not RefusalReason.QUIET_HOURS or hold.retry_at is None:
        return 0
    ttl = timedelta(minutes=account.settings.candidate_ttl_minutes)
    return context.store.candidates.keep_queued_until(account.account_id, hold.retry_at + ttl)


def _expire(context: JobContext, account: Account, hold: Refusal | None) -> int:
    """Expire stale candidates, saying whether a hold (and which) was why they were lost."""
    reason = expiry_skip_reason(hold.reason.value if hold is not None else None)
    severity: Severity = "warning" if hold is not None else "info"

    def expired_event(expired: list[int]) -> NewEvent:
        data = {"reason": reason, "count": len(expired), "candidate_ids": expired[:50]}
        return run_event(
            context, EventType.REPLY_V2_CANDIDATES_EXPIRED, data, component=COMPONENT,
            account_id=account.account_id, severity=severity,
        )  # fmt: skip

    expired = context.store.candidates.expire_stale(
        account.account_id, context.now, reason, expired_event
    )
    if expired:
        logged = expired_event(expired)
        log_event(context, logged.event_type, logged.data, component=COMPONENT,
                  account_id=account.account_id, severity=severity)  # fmt: skip
    return len(expired)


def _schedule(
    context: JobContext, account: Account, queued: list[WaitingCandidate], state: _Pass
) -> str | None:
    rules = BudgetRules.from_settings(account.settings.budgets)
    generator: ReplyGenerator | None = None
    for row in queued:
        refusal = account_refusal(state.history, rules, now=context.now)
        if refusal is not None:
            return refusal.reason.value
        if review_queue_full(account, state.history, rules):
            return "review_queue_full"
        if row.confirmation:
            _confirm(context, account, row, state)
            continue
        if row.author_id in state.opted_out:
            _skip(context, row, SkipReason.OPTED_OUT.value, state)
            continue
        verdict = may_post(
            state.history, row.intent(), rules, now=context.now, answered=state.answered
        )
        if _granted(context, row, verdict, state):
            generator = generator or require_generator(context, account)
            _decide(context, account, row, generator, state)
    return None


def _granted(
    context: JobContext, row: WaitingCandidate, verdict: Grant | Refusal, state: _Pass
) -> bool:
    """Return True on a Grant; else skip the candidate, or count it waiting for a retry."""
    if isinstance(verdict, Grant):
        return True
    if verdict.retry_at is None:
        ghost = state.answered.get(row.candidate_post_id)
        detail = {"ghost_post_id": ghost} if ghost else None
        _skip(context, row, verdict.reason.value, state, detail)
    else:
        state.waiting += 1
    return False


def _confirm(context: JobContext, account: Account, row: WaitingCandidate, state: _Pass) -> None:
    """Answer a stop message once with the configured text, while its author stays opted out."""
    if row.author_id not in state.opted_out:  # an operator removed the opt-out meanwhile
        _skip(context, row, "opt_out_removed", state)
        return
    rules = BudgetRules.from_settings(account.settings.budgets)
    verdict = may_confirm(
        state.history, row.intent(), rules, now=context.now, answered=state.answered
    )
    if _granted(context, row, verdict, state):
        # every confirmation says the same: the guard runs, but not against recent replies
        text = context.settings.opt_outs.confirmation_text
        _guard_and_write(context, account, row, text, generator=CONFIRMATION_GENERATOR,
                         state=state, recent=[])  # fmt: skip


def _decide(
    context: JobContext,
    account: Account,
    row: WaitingCandidate,
    generator: ReplyGenerator,
    state: _Pass,
) -> None:
    try:
        text = generator.generate(
            row.text, row.author_handle, account.settings.topics, avoid=state.recent_texts
        )
    except GeneratorFailed as exc:
        _skip(context, row, "generator_failed", state, {"error": str(exc)})
        return
    _guard_and_write(context, account, row, text, generator=generator.name, state=state,
                     recent=state.recent_texts)  # fmt: skip


def _guard_and_write(  # noqa: PLR0913 - the reply, who wrote it, and what this pass has done
    context: JobContext,
    account: Account,
    row: WaitingCandidate,
    text: str,
    *,
    generator: str,
    state: _Pass,
    recent: list[str],
) -> None:
    verdict = check_reply(
        text,
        target_author=row.author_handle,
        recent_replies=recent,
        policy=GuardPolicy.from_settings(
            account.settings, secret_values=context.settings.secret_values()
        ),
    )
    if not isinstance(verdict, Accepted):
        _skip(context, row, verdict.skip_reason, state, {"detail": verdict.detail})
        return
    permit_id = _write(context, account, row, verdict.text, generator)
    if permit_id is None:
        state.skipped["decided_elsewhere"] += 1
        return
    state.created.append(permit_id)
    state.recent_texts.insert(0, verdict.text)
    state.history.append(
        ReplyRecord(
            at=context.now,
            author_id=row.author_id,
            thread_id=row.conversation_id or row.candidate_post_id,
            target_post_id=row.candidate_post_id,
        )
    )


def _write(
    context: JobContext, account: Account, row: WaitingCandidate, text: str, generator: str
) -> str | None:
    """Decision, permit, selected candidate and events: one transaction, or nothing."""
    expires_at, deadline = review_plan(account, generator, context.now)
    decision = NewDecision(
        account_id=account.account_id,
        candidate_id=row.candidate_id,
        target_post_id=row.candidate_post_id,
        reply_text=text,
        generator=generator,
        generator_meta={"score": row.score, "tier": row.tier},
        permit_expires_at=expires_at,
        review_deadline=deadline,
    )

    def events(decided: Decided) -> list[NewEvent]:
        created = PermitCreated(
            decision_id=decided.decision_id, permit_id=decided.permit_id,
            candidate_id=row.candidate_id, target_post_id=row.candidate_post_id,
            generator=generator, awaiting_review=deadline is not None,
        )  # fmt: skip
        written = [run_event(context, EventType.REPLY_V2_ATTEMPT_CREATED, created.as_data(),
                             component=COMPONENT, account_id=account.account_id)]  # fmt: skip
        if deadline is not None:
            written.append(review_request(context, account, created, deadline))
        return written

    decided = context.store.decisions.decide(decision, context.now, events)
    if decided is None:
        return None
    written = events(decided)
    for event in written:
        log_event(context, event.event_type, event.data, component=COMPONENT,
                  account_id=account.account_id)  # fmt: skip
    if deadline is not None:
        notify_review(context, account, written[-1].data)
    log.info("permit_created", account=account.key, decision_id=decided.decision_id,
             permit_id=decided.permit_id, candidate_id=row.candidate_id,
             target_post_id=row.candidate_post_id)  # fmt: skip
    return decided.permit_id


def _skip(
    context: JobContext,
    row: WaitingCandidate,
    reason: str,
    state: _Pass,
    detail: Mapping[str, Any] | None = None,
) -> None:
    state.skipped[reason] += 1
    event = None
    if detail is not None:
        data = {"candidate_id": row.candidate_id, "reason": reason, **detail}
        event = run_event(
            context, EventType.REPLY_V2_CANDIDATE_SKIPPED, data, component=COMPONENT,
            account_id=row.account_id, severity="warning",
        )  # fmt: skip
    context.store.candidates.skip(row.candidate_id, reason, event)
    if event is None:  # no event to log: still one line saying which and why
        account = context.account.key if context.account is not None else None
        log.info("candidate_skipped", account=account, candidate_id=row.candidate_id,
                 reason=reason, target_post_id=row.candidate_post_id)  # fmt: skip
    else:
        log_event(context, event.event_type, event.data, component=COMPONENT,
                  account_id=row.account_id, severity="warning")  # fmt: skip


def _event(
    context: JobContext, account: Account, event_type: EventType, data: Mapping[str, Any]
) -> None:
    context.store.events.append(
        run_event(
            context,
            event_type,
            data,
            component=COMPONENT,
            account_id=account.account_id,
            severity="warning",
        )
    )
    log_event(context, event_type, data, component=COMPONENT, account_id=account.account_id,
              severity="warning")  # fmt: skip
