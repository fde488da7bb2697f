"""The claim's re-check: a permit whose target a ghost reply answers is withdrawn, never posted.

The scheduler skips such candidates already; a ghost detected after the decision is caught here,
in the claim's transaction: the permit becomes FAILED (`permit_failed`, reason
`target_already_answered`, with the ghost's post id) and its candidate is skipped. This module
decides the change; the claim writes it in its own transaction.
"""

from __future__ import annotations

from xbot.domain.answered import TARGET_ALREADY_ANSWERED, withdraw
from xbot.domain.candidates import CandidateMark, CandidateStatus
from xbot.domain.permit_changes import PermitChange
from xbot.domain.permits import ForbiddenTransition, PermitReply
from xbot.events import EventType
from xbot.jobs.base import JobContext, run_event


def withdrawal(
    context: JobContext, reply: PermitReply, ghost_post_id: str | None, component: str
) -> PermitChange | None:
    """Return the change that withdraws the PENDING permit a ghost reply answers, else None.

    `ghost_post_id` is the ghost reply the claim's read found for the target (None: none).
    """
    if ghost_post_id is None:
        return None
    permit = reply.permit
    after = withdraw(permit, ghost_post_id, context.now)
    if isinstance(after, ForbiddenTransition):
        return None
    data = {
        "permit_id": permit.permit_id,
        "decision_id": permit.decision_id,
        "target_post_id": reply.target_post_id,
        "reason": TARGET_ALREADY_ANSWERED,
        "ghost_post_id": ghost_post_id,
    }
    event = run_event(context, EventType.PERMIT_FAILED, data, component=component,
                      account_id=permit.account_id, severity="warning")  # fmt: skip
    mark = CandidateMark(status=CandidateStatus.SKIPPED, reason=TARGET_ALREADY_ANSWERED)
    return PermitChange(before=permit, after=after, candidate=mark, events=(event,))
