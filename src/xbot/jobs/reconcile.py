"""The reconcile job: settle every permit whose outcome is unknown by reading back (DESIGN §5).

One run: POSTING permits whose lease ran out become UNKNOWN (`permit_unknown`, reason
lease_expired). Then, if any permit is UNKNOWN, the account's own recent posts (replies included)
are read once, and each UNKNOWN permit is matched on its target and text (on its exact text
within its claim window when the read-back omits what posts reply to: xbot.domain.ghosts.answers):

- found -> USED with reconciled = true and the post's id (`permit_reconciled`);
- absent, and the read reached back past the permit, and the platform's visibility grace has passed
  since it became UNKNOWN -> PENDING for another claim with the same idempotency material (same
  text, permit id as the key: `permit_requeued`), or FAILED after MAX_PUBLISH_ATTEMPTS claims
  (`permit_failed`);
- otherwise it stays UNKNOWN and the next run looks again. Nothing is re-sent from here.

A read-back error fails the run and changes nothing.
"""

from __future__ import annotations

from collections.abc import Mapping, MutableSet, Sequence
from datetime import timedelta
from typing import Any

from sqlalchemy.engine import Connection

from xbot.domain.candidates import CandidateStatus
from xbot.domain.errors import LeaseLost
from xbot.domain.ghosts import find_own_post, read_back_covers
from xbot.domain.outcomes import PERMIT_FAILED
from xbot.domain.permits import (
    AbsentOnReadBack,
    ForbiddenTransition,
    FoundOnReadBack,
    LeaseExpired,
    Permit,
    PermitReply,
    PermitStatus,
    transition,
)
from xbot.domain.posts import Post
from xbot.events import EventType
from xbot.jobs.base import Account, JobContext, job_event, require_account, require_platform
from xbot.jobs.summaries import ReconcileSummary, Resolution
from xbot.store.engine import translated_errors
from xbot.store.queries import ghosts as ghost_queries
from xbot.store.queries import permits as permit_queries
from xbot.store.queries.events import Severity

COMPONENT = "reconcile"
#: own posts read back per run; a permit older than the oldest of them is never declared absent
READ_BACK_LIMIT = 100


def run_once(context: JobContext) -> ReconcileSummary:
    """Lapse expired leases, then resolve UNKNOWN permits against the account's own posts."""
    account = require_account(context)
    lapsed = _lapse_expired_leases(context, account)
    with translated_errors(), context.engine.connect() as connection:
        unknown = permit_queries.unknown_replies(connection, account.account_id)
    if not unknown:
        return ReconcileSummary(lease_expired=lapsed)
    platform = require_platform(context, account)
    posts = list(platform.own_recent_posts(limit=READ_BACK_LIMIT))
    with translated_errors(), context.engine.connect() as connection:
        ids = [post.post_id for post in posts]
        taken = ghost_queries.used_post_ids(connection, account.account_id, ids)
    resolutions = [
        _resolve(context, reply, posts, taken, platform.visibility_grace) for reply in unknown
    ]
    return ReconcileSummary.of(lease_expired=lapsed, read_back=len(posts), resolutions=resolutions)


def permit_event(  # noqa: PLR0913 - the event's parts
    connection: Connection,
    context: JobContext,
    event_type: EventType,
    permit: Permit,
    data: Mapping[str, Any],
    *,
    severity: Severity = "info",
    component: str = COMPONENT,
) -> None:
    """Append one event about a permit, by this worker."""
    payload = {"permit_id": permit.permit_id, "decision_id": permit.decision_id, **data}
    job_event(
        connection,
        context,
        event_type,
        payload,
        component=component,
        account_id=permit.account_id,
        severity=severity,
    )


def _lapse_expired_leases(context: JobContext, account: Account) -> int:
    with translated_errors(), context.engine.begin() as connection:
        stale = permit_queries.posting_past_lease(connection, account.account_id, context.now)
        lapsed = 0
        for permit in stale:
            after = transition(permit, LeaseExpired(), context.now)
            if isinstance(after, ForbiddenTransition):
                continue
            permit_queries.write_transition(connection, permit, after)
            data = {
                "reason": "lease_expired",
                "claimed_by": permit.claimed_by,
                "claimed_sha": permit.claimed_sha,
                "fence": after.fence,
            }
            permit_event(
                connection, context, EventType.PERMIT_UNKNOWN, permit, data, severity="warning"
            )
            lapsed += 1
        return lapsed


def _resolve(
    context: JobContext,
    reply: PermitReply,
    posts: Sequence[Post],
    taken: MutableSet[str],
    grace: timedelta,
) -> Resolution:
    try:
        with translated_errors(), context.engine.begin() as connection:
            post = find_own_post(reply, posts, taken)
            if post is not None:
                taken.add(post.post_id)
                return record_found(connection, context, reply, post, COMPONENT)
            if not read_back_covers(posts, READ_BACK_LIMIT, reply.permit.created_at):
                return Resolution.READ_BACK_TOO_SHORT
            return _record_absent(connection, context, reply.permit, grace)
    except LeaseLost:
        return Resolution.TAKEN_OVER


def record_found(
    connection: Connection, context: JobContext, reply: PermitReply, post: Post, source: str
) -> Resolution:
    """Record that read-back found the permit's post: USED, reconciled (raises LeaseLost)."""
    permit = reply.permit
    found = FoundOnReadBack(post_id=post.post_id, posted_at=post.created_at)
    after = transition(permit, found, context.now)
    if isinstance(after, ForbiddenTransition):
        return Resolution.NOT_RECONCILABLE
    permit_queries.write_transition(connection, permit, after)
    permit_queries.mark_candidate(connection, permit.decision_id, CandidateStatus.REPLIED)
    data = {
        "post_id": post.post_id,
        "target_post_id": reply.target_post_id,
        "previous_status": permit.status.value,
        "source": source,
    }
    permit_event(connection, context, EventType.PERMIT_RECONCILED, permit, data, component=source)
    return Resolution.RECONCILED


def _record_absent(
    connection: Connection, context: JobContext, permit: Permit, grace: timedelta
) -> Resolution:
    after = transition(permit, AbsentOnReadBack(grace=grace), context.now)
    if isinstance(after, ForbiddenTransition):
        return Resolution.WAITING
    permit_queries.write_transition(connection, permit, after)
    data = {"attempts": after.attempts, "reason": after.failure_reason}
    if after.status is PermitStatus.FAILED:
        permit_queries.mark_candidate(
            connection, permit.decision_id, CandidateStatus.SKIPPED, PERMIT_FAILED
        )
        permit_event(connection, context, EventType.PERMIT_FAILED, permit, data, severity="warning")
        return Resolution.FAILED
    permit_event(connection, context, EventType.PERMIT_REQUEUED, permit, data)
    return Resolution.REQUEUED
