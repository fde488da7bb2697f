"""The claim's re-check: a permit whose target a ghost reply answers is withdrawn, never posted.

The scheduler skips such candidates already; a ghost detected after the decision is caught here,
in the claim's transaction: the permit becomes FAILED (`permit_failed`, reason
`target_already_answered`, with the ghost's post id) and its candidate is skipped.
"""

from __future__ import annotations

from sqlalchemy.engine import Connection

from xbot.domain.answered import TARGET_ALREADY_ANSWERED, withdraw
from xbot.domain.candidates import CandidateStatus
from xbot.domain.permits import ForbiddenTransition, PermitReply
from xbot.events import EventType
from xbot.jobs.base import JobContext, job_event
from xbot.store.queries import permits as permit_queries


def withdraw_if_answered(
    connection: Connection,
    context: JobContext,
    reply: PermitReply,
    ghost_post_id: str | None,
    component: str,
) -> bool:
    """Withdraw the PENDING permit when a ghost reply answers its target; True when it did.

    `ghost_post_id` is the ghost reply the claim's read found for the target (None: none).
    """
    if ghost_post_id is None:
        return False
    permit = reply.permit
    after = withdraw(permit, ghost_post_id, context.now)
    if isinstance(after, ForbiddenTransition):
        return False
    permit_queries.write_transition(connection, permit, after)
    permit_queries.mark_candidate(
        connection, permit.decision_id, CandidateStatus.SKIPPED, TARGET_ALREADY_ANSWERED
    )
    data = {
        "permit_id": permit.permit_id,
        "decision_id": permit.decision_id,
        "target_post_id": reply.target_post_id,
        "reason": TARGET_ALREADY_ANSWERED,
        "ghost_post_id": ghost_post_id,
    }
    job_event(
        connection,
        context,
        EventType.PERMIT_FAILED,
        data,
        component=component,
        account_id=permit.account_id,
        severity="warning",
    )
    return True
