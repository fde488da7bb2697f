"""The post job's side of review and shadow mode (issue 14).

- refuse_if_mismatched: in the claim's transaction, a PENDING permit whose decision text does not
  hash to its approved hash (a text changed in the database after approval) is never claimed:
  FAILED `review_mismatch`, event `posting_blocked_review_mismatch` (error), candidate skipped.
- record_shadowed: a shadow account's claimed permit did everything but the platform write; it
  ends SHADOWED at its claim's fence (`reply_shadowed`, with the text that would have gone out).
"""

from __future__ import annotations

from typing import Any

import structlog
from sqlalchemy.engine import Connection

from xbot.domain.candidates import CandidateStatus
from xbot.domain.errors import LeaseLost
from xbot.domain.permits import ForbiddenTransition, PermitReply
from xbot.domain.review import REVIEW_MISMATCH, content_sha256, refuse_mismatch, text_mismatch
from xbot.domain.shadow import SHADOWED, shadow
from xbot.events import EventType
from xbot.jobs.base import JobContext, job_event, log_event
from xbot.store.engine import translated_errors
from xbot.store.queries import permits as permit_queries
from xbot.store.queries.events import NewEvent
from xbot.store.queries.records import CandidateMark, record_outcome

log = structlog.get_logger("xbot.jobs.post")


def refuse_if_mismatched(
    connection: Connection, context: JobContext, reply: PermitReply, component: str
) -> bool:
    """Fail the permit when its text is not the approved text; True when it did."""
    permit = reply.permit
    detail = text_mismatch(permit, reply.reply_text)
    if detail is None:
        return False
    after = refuse_mismatch(permit, detail, context.now)
    if isinstance(after, ForbiddenTransition):
        return False
    permit_queries.write_transition(connection, permit, after)
    permit_queries.mark_candidate(
        connection, permit.decision_id, CandidateStatus.SKIPPED, REVIEW_MISMATCH
    )
    data = {
        "permit_id": permit.permit_id,
        "decision_id": permit.decision_id,
        "reason": REVIEW_MISMATCH,
        "detail": detail,
        "approved_sha256": permit.approved_sha256,
        "text_sha256": content_sha256(reply.reply_text),
    }
    job_event(
        connection,
        context,
        EventType.POSTING_BLOCKED_REVIEW_MISMATCH,
        data,
        component=component,
        account_id=permit.account_id,
        severity="error",
    )
    return True


def record_shadowed(context: JobContext, reply: PermitReply, component: str) -> dict[str, Any]:
    """Record the claimed permit SHADOWED instead of publishing it; return the run's status."""
    permit = reply.permit
    after = shadow(permit, context.now)
    if isinstance(after, ForbiddenTransition):  # the claim made it POSTING, so this is a bug
        log.error("permit_outcome_forbidden", permit_id=permit.permit_id, reason=after.reason)
        return {"status": "forbidden", "reason": after.reason}
    event = NewEvent(
        event_type=EventType.REPLY_SHADOWED,
        data={
            "permit_id": permit.permit_id,
            "decision_id": permit.decision_id,
            "target_post_id": reply.target_post_id,
            "fence": permit.fence,
            "text": reply.reply_text,
            "text_sha256": content_sha256(reply.reply_text),
        },
        now=context.now,
        component=component,
        account_id=permit.account_id,
        worker_id=context.worker.worker_id,
    )
    mark = CandidateMark(status=CandidateStatus.SKIPPED, reason=SHADOWED)
    try:
        with translated_errors(), context.engine.begin() as connection:
            record_outcome(connection, permit, after, mark, event)
    except LeaseLost:
        log.warning("permit_lease_lost", permit_id=permit.permit_id, post_id=None)
        return {"status": "lease_lost"}
    log_event(
        context, event.event_type, event.data, component=component,
        account_id=event.account_id, severity=event.severity,
    )  # fmt: skip
    return {"status": after.status.value}
