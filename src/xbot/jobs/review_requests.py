"""The scheduler's side of review: which permits wait, until when, and who is told (issue 14)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

import structlog

from xbot.domain.audit import NewEvent
from xbot.domain.budgets import BudgetRules, ReplyRecord
from xbot.domain.review import ReviewMode, needs_review, quiet_extended, review_deadline
from xbot.events import EventType
from xbot.jobs.base import Account, JobContext, run_event
from xbot.jobs.summaries import PermitCreated

log = structlog.get_logger("xbot.schedule")
COMPONENT = "schedule"


def review_plan(
    account: Account, generator: str, now: datetime
) -> tuple[datetime, datetime | None]:
    """Return the permit's expiry and, when a person must review it, its review deadline.

    A reviewed permit's expiry is the candidate's TTL extended by the quiet hours inside it, so
    an approval given at night can still be claimed when they end; the deadline never passes it.
    """
    settings = account.settings
    expires_at = now + timedelta(minutes=settings.candidate_ttl_minutes)
    if not needs_review(ReviewMode(settings.review), generator):
        return expires_at, None
    rules = BudgetRules.from_settings(settings.budgets)
    expires_at = quiet_extended(now, expires_at, rules)
    ttl = timedelta(minutes=settings.review_ttl_minutes)
    return expires_at, review_deadline(now, ttl, expires_at)


def review_queue_full(account: Account, history: Sequence[ReplyRecord], rules: BudgetRules) -> bool:
    """Return True when `per_hour` of the account's permits wait for review already.

    Awaiting permits spend no budget, so without this bound a pass would ask a person about
    every queued candidate at once.
    """
    if ReviewMode(account.settings.review) is ReviewMode.OFF:
        return False
    waiting = sum(1 for record in history if not record.counted)
    return waiting >= max(rules.per_hour, 1)


def review_request(
    context: JobContext, account: Account, created: PermitCreated, deadline: datetime
) -> NewEvent:
    """Return `review_requested`, written beside the new permit; its data is the notification."""
    data = {
        "permit_id": created.permit_id,
        "decision_id": created.decision_id,
        "account": account.key,
        "review_deadline": deadline.isoformat(),
        "generator": created.generator,
    }
    return run_event(context, EventType.REVIEW_REQUESTED, data, component=COMPONENT,
                     account_id=account.account_id)  # fmt: skip


def notify_review(context: JobContext, account: Account, request: Mapping[str, Any]) -> None:
    """Tell a person that a permit waits (the webhook); a failure is an event, never a raise."""
    if context.notify_review is None:
        return
    failure = context.notify_review(request)
    if failure is None:
        return
    log.warning("review_notification_failed", permit_id=request["permit_id"], reason=failure)
    data = {"permit_id": request["permit_id"], "reason": failure}
    context.store.events.append(
        run_event(
            context,
            EventType.REVIEW_NOTIFICATION_FAILED,
            data,
            component=COMPONENT,
            account_id=account.account_id,
            severity="warning",
        )
    )
