"""The schedule job: from queued candidates to decisions with PENDING permits (DESIGN §4.2).

It expires stale candidates, picks the best one the budget and policy allow, generates and
guards its reply, and writes the decision with its PENDING permit.

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
from sqlalchemy.engine import Row

from xbot.domain.budgets import (
    BudgetRules,
    Grant,
    ReplyIntent,
    ReplyRecord,
    account_refusal,
    may_post,
)
from xbot.domain.drafts import NEAR_DUPLICATE_WINDOW
from xbot.domain.errors import DuplicateDecision, GeneratorFailed
from xbot.domain.guard import Accepted, GuardPolicy, check_reply
from xbot.domain.policy import GeneratorKind, PlatformName, generator_block
from xbot.domain.ports import ReplyGenerator
from xbot.jobs.base import Account, JobContext, job_event, require_account, require_generator
from xbot.store.engine import translated_errors
from xbot.store.queries import candidates, decisions

log = structlog.get_logger("xbot.schedule")
COMPONENT = "schedule"

DAY = timedelta(days=1)


@dataclass(kw_only=True, slots=True)
class _Pass:
    """What one scheduler pass has seen and done so far."""

    history: list[ReplyRecord]
    recent_texts: list[str]
    created: list[str] = field(default_factory=list)
    skipped: Counter[str] = field(default_factory=Counter)
    waiting: int = 0


def run_once(context: JobContext) -> Mapping[str, Any]:
    """One scheduling pass for one account."""
    account = require_account(context)
    with translated_errors(), context.engine.begin() as connection:
        expired = candidates.expire_stale(connection, account.account_id, context.now)
        queued = candidates.queued_candidates(connection, account.account_id, context.now)
        history = decisions.posting_history(connection, account.account_id, context.now - DAY)
        recent = decisions.recent_reply_texts(
            connection, account.account_id, context.now - NEAR_DUPLICATE_WINDOW
        )
    summary: dict[str, Any] = {"expired": expired, "queued": len(queued)}
    block = generator_block(
        PlatformName(account.platform),
        GeneratorKind(account.settings.generator),
        ai_replies_approved=context.settings.x.ai_replies_approved,
    )
    if block is not None:
        _event(context, account, "reply_v2_scheduler_policy_blocked", {"reason": block.value})
        return {**summary, "permits_created": 0, "blocked_by": block.value}
    state = _Pass(history=[_record(row) for row in history], recent_texts=recent)
    refusal = _schedule(context, account, queued, state)
    return {
        **summary,
        "permits_created": len(state.created),
        "permit_ids": state.created,
        "skipped": dict(state.skipped),
        "waiting": state.waiting,
        "budget": refusal,
    }


def _schedule(
    context: JobContext, account: Account, queued: list[Row[Any]], state: _Pass
) -> str | None:
    rules = BudgetRules.from_settings(account.settings.budgets)
    generator: ReplyGenerator | None = None
    for row in queued:
        refusal = account_refusal(state.history, rules, now=context.now)
        if refusal is not None:
            return refusal.reason.value
        verdict = may_post(state.history, _intent(row), rules, now=context.now)
        if not isinstance(verdict, Grant):
            if verdict.retry_at is None:
                _skip(context, row, verdict.reason.value, state)
            else:
                state.waiting += 1
            continue
        generator = generator or require_generator(context, account)
        _decide(context, account, row, generator, state)
    return None


def _decide(
    context: JobContext, account: Account, row: Row[Any], generator: ReplyGenerator, state: _Pass
) -> None:
    try:
        text = generator.generate(
            row.text, row.author_handle, account.settings.topics, avoid=state.recent_texts
        )
    except GeneratorFailed as exc:
        _skip(context, row, "generator_failed", state, {"error": str(exc)})
        return
    verdict = check_reply(
        text,
        target_author=row.author_handle,
        recent_replies=state.recent_texts,
        policy=GuardPolicy.from_settings(account.settings),
    )
    if not isinstance(verdict, Accepted):
        _skip(context, row, verdict.skip_reason, state, {"detail": verdict.detail})
        return
    permit_id = _write(context, account, row, verdict.text, generator.name)
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
    context: JobContext, account: Account, row: Row[Any], text: str, generator: str
) -> str | None:
    """Decision, PENDING permit, selected candidate and event: one transaction, or nothing."""
    ttl = timedelta(minutes=account.settings.candidate_ttl_minutes)
    decision = decisions.NewDecision(
        account_id=account.account_id,
        candidate_id=row.id,
        target_post_id=row.candidate_post_id,
        reply_text=text,
        generator=generator,
        generator_meta={"score": row.score, "tier": row.tier},
        permit_expires_at=context.now + ttl,
    )
    try:
        with translated_errors(), context.engine.begin() as connection:
            if not candidates.select_candidate(connection, row.id):
                return None
            decision_id, permit_id = decisions.insert_decision_with_permit(
                connection, decision, context.now
            )
            created = {
                "decision_id": decision_id,
                "permit_id": permit_id,
                "candidate_id": row.id,
                "target_post_id": row.candidate_post_id,
                "generator": generator,
            }
            job_event(
                connection,
                context,
                "reply_v2_attempt_created",
                created,
                component=COMPONENT,
                account_id=account.account_id,
            )
    except DuplicateDecision:
        return None
    log.info("permit_created", decision_id=decision_id, permit_id=permit_id, candidate_id=row.id)
    return permit_id


def _skip(
    context: JobContext,
    row: Row[Any],
    reason: str,
    state: _Pass,
    detail: Mapping[str, Any] | None = None,
) -> None:
    state.skipped[reason] += 1
    with translated_errors(), context.engine.begin() as connection:
        candidates.skip_candidate(connection, row.id, reason)
        if detail is not None:
            job_event(
                connection,
                context,
                "reply_v2_candidate_skipped",
                {"candidate_id": row.id, "reason": reason, **detail},
                component=COMPONENT,
                account_id=row.account_id,
                severity="warning",
            )


def _event(context: JobContext, account: Account, event_type: str, data: Mapping[str, Any]) -> None:
    with translated_errors(), context.engine.begin() as connection:
        job_event(
            connection,
            context,
            event_type,
            data,
            component=COMPONENT,
            account_id=account.account_id,
            severity="warning",
        )


def _intent(row: Row[Any]) -> ReplyIntent:
    return ReplyIntent(
        author_id=row.author_id,
        thread_id=row.conversation_id or row.candidate_post_id,
        target_post_id=row.candidate_post_id,
    )


def _record(row: Row[Any]) -> ReplyRecord:
    return ReplyRecord(
        at=row.used_at or row.created_at,
        author_id=row.author_id,
        thread_id=row.conversation_id or row.target_post_id,
        target_post_id=row.target_post_id,
    )
