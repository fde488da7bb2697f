"""Permits nobody reviewed before their deadline: EXPIRED `review_expired` (issue 14)."""

from __future__ import annotations

from sqlalchemy.engine import Connection

from xbot.domain.candidates import CandidateStatus
from xbot.domain.permits import ForbiddenTransition
from xbot.domain.review import REVIEW_EXPIRED, ExpireReview, review
from xbot.events import EventType
from xbot.jobs.base import Account, JobContext, job_event
from xbot.store.engine import translated_errors
from xbot.store.queries import permits as permit_queries
from xbot.store.queries import reviews


def expire_reviews(context: JobContext, account: Account, component: str) -> int:
    """Expire the account's AWAITING_REVIEW permits past their deadline; return how many."""
    # permits are not on the store port yet: this transaction is the last one schedule opens
    with translated_errors(), context.engine.begin() as connection:
        return _expire_reviews(connection, context, account, component)


def _expire_reviews(
    connection: Connection, context: JobContext, account: Account, component: str
) -> int:
    expired = 0
    for permit in reviews.past_review_deadline(connection, account.account_id, context.now):
        after = review(permit, ExpireReview(), context.now)
        if isinstance(after, ForbiddenTransition):
            continue
        permit_queries.write_transition(connection, permit, after)
        permit_queries.mark_candidate(
            connection, permit.decision_id, CandidateStatus.EXPIRED, REVIEW_EXPIRED
        )
        data = {
            "permit_id": permit.permit_id,
            "decision_id": permit.decision_id,
            "review_deadline": permit.review_deadline.isoformat()
            if permit.review_deadline
            else None,
            "by": component,
        }
        job_event(
            connection,
            context,
            EventType.REVIEW_EXPIRED,
            data,
            component=component,
            account_id=account.account_id,
        )
        expired += 1
    return expired
