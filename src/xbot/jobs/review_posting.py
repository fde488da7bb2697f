"""The post job's side of review and shadow mode (issue 14).

- mismatch_transition: in the claim's plan, a PENDING permit whose decision text does not hash
  to its approved hash (a text changed in the database after approval) is never claimed:
  FAILED `review_mismatch`, event `posting_blocked_review_mismatch` (error), candidate skipped.
- record_shadowed: a shadow account's claimed permit did everything but the platform write; it
  ends SHADOWED at its claim's fence (`reply_shadowed`, with the text that would have gone out).
"""

from __future__ import annotations

import structlog

from xbot.domain.candidates import CandidateMark, CandidateStatus
from xbot.domain.errors import LeaseLost
from xbot.domain.permit_changes import PermitChange
from xbot.domain.permits import ForbiddenTransition, PermitReply
from xbot.domain.review import REVIEW_MISMATCH, content_sha256, refuse_mismatch, text_mismatch
from xbot.domain.shadow import SHADOWED, shadow
from xbot.events import EventType
from xbot.jobs.base import JobContext, log_event, run_event
from xbot.jobs.summaries import Recorded

log = structlog.get_logger("xbot.jobs.post")


def mismatch_transition(
    context: JobContext, reply: PermitReply, component: str
) -> PermitChange | None:
    """Return the permit's refusal when its text is not the approved text, else None."""
    permit = reply.permit
    detail = text_mismatch(permit, reply.reply_text)
    if detail is None:
        return None
    after = refuse_mismatch(permit, detail, context.now)
    if isinstance(after, ForbiddenTransition):
        return None
    data = {
        "permit_id": permit.permit_id,
        "decision_id": permit.decision_id,
        "reason": REVIEW_MISMATCH,
        "detail": detail,
        "approved_sha256": permit.approved_sha256,
        "text_sha256": content_sha256(reply.reply_text),
    }
    event = run_event(
        context, EventType.POSTING_BLOCKED_REVIEW_MISMATCH, data, component=component,
        account_id=permit.account_id, severity="error",
    )  # fmt: skip
    mark = CandidateMark(status=CandidateStatus.SKIPPED, reason=REVIEW_MISMATCH)
    return PermitChange(before=permit, after=after, candidate=mark, events=(event,))


def record_shadowed(context: JobContext, reply: PermitReply, component: str) -> Recorded:
    """Record the claimed permit SHADOWED instead of publishing it; return the run's status."""
    permit = reply.permit
    after = shadow(permit, context.now)
    if isinstance(after, ForbiddenTransition):  # the claim made it POSTING, so this is a bug
        log.error("permit_outcome_forbidden", permit_id=permit.permit_id, reason=after.reason)
        return Recorded(status="forbidden", reason=after.reason)
    data = {
        "permit_id": permit.permit_id,
        "decision_id": permit.decision_id,
        "target_post_id": reply.target_post_id,
        "fence": permit.fence,
        "text": reply.reply_text,
        "text_sha256": content_sha256(reply.reply_text),
    }
    event = run_event(context, EventType.REPLY_SHADOWED, data, component=component,
                      account_id=permit.account_id)  # fmt: skip
    mark = CandidateMark(status=CandidateStatus.SKIPPED, reason=SHADOWED)
    try:
        context.store.permits.record(permit, after, mark, event)
    except LeaseLost:
        log.warning("permit_lease_lost", permit_id=permit.permit_id, post_id=None)
        return Recorded(status="lease_lost")
    log_event(
        context, event.event_type, event.data, component=component,
        account_id=event.account_id, severity=event.severity,
    )  # fmt: skip
    return Recorded(status=after.status.value)
