"""Permits nobody reviewed before their deadline: EXPIRED `review_expired` (issue 14)."""

from __future__ import annotations

from xbot.domain.candidates import CandidateMark, CandidateStatus
from xbot.domain.permits import ForbiddenTransition
from xbot.domain.review import REVIEW_EXPIRED, ExpireReview, review
from xbot.events import EventType
from xbot.jobs.base import Account, JobContext, log_event, run_event


def expire_reviews(context: JobContext, account: Account, component: str) -> int:
    """Expire the account's AWAITING_REVIEW permits past their deadline; return how many."""
    expired = 0
    permits = context.store.permits
    for permit in permits.past_review_deadline(account.account_id, context.now):
        after = review(permit, ExpireReview(), context.now)
        if isinstance(after, ForbiddenTransition):
            continue
        deadline = permit.review_deadline
        data = {
            "permit_id": permit.permit_id,
            "decision_id": permit.decision_id,
            "review_deadline": deadline.isoformat() if deadline else None,
            "by": component,
        }
        event = run_event(context, EventType.REVIEW_EXPIRED, data, component=component,
                          account_id=account.account_id)  # fmt: skip
        mark = CandidateMark(status=CandidateStatus.EXPIRED, reason=REVIEW_EXPIRED)
        permits.transition(permit, after, mark, [event])
        log_event(context, EventType.REVIEW_EXPIRED, data, component=component,
                  account_id=account.account_id)  # fmt: skip
        expired += 1
    return expired
