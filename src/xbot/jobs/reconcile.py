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

The resolutions are written together, at each permit's fence, with what the read-back cost (one
transaction through the store port); a permit another worker moved meanwhile is left alone.
A read-back error fails the run and changes nothing.
"""

from __future__ import annotations

from collections.abc import Mapping, MutableSet, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from xbot.domain.audit import NewEvent, Severity
from xbot.domain.candidates import CandidateMark, CandidateStatus
from xbot.domain.cost import AccountCharges
from xbot.domain.ghosts import find_own_post, read_back_covers
from xbot.domain.outcomes import PERMIT_FAILED
from xbot.domain.permit_changes import PermitChange
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
from xbot.jobs.base import Account, JobContext, log_event, require_account, require_platform
from xbot.jobs.costs import written_charges
from xbot.jobs.summaries import ReconcileSummary, Resolution

COMPONENT = "reconcile"
#: own posts read back per run; a permit older than the oldest of them is never declared absent
READ_BACK_LIMIT = 100


@dataclass(frozen=True, kw_only=True, slots=True)
class Planned:
    """What reconcile means to do with one permit: its resolution and the change that writes it."""

    resolution: Resolution
    change: PermitChange | None = None


def run_once(context: JobContext) -> ReconcileSummary:
    """Lapse expired leases, then resolve UNKNOWN permits against the account's own posts."""
    account = require_account(context)
    permits = context.store.permits
    lapsed = _lapse_expired_leases(context, account)
    unknown = permits.unknown_replies(account.account_id)
    if not unknown:
        return ReconcileSummary(lease_expired=lapsed)
    platform = require_platform(context, account)
    posts = list(platform.own_recent_posts(limit=READ_BACK_LIMIT))
    taken = permits.used_post_ids(account.account_id, [post.post_id for post in posts])
    grace = platform.visibility_grace
    planned = [_resolve(context, reply, posts, taken, grace) for reply in unknown]
    resolutions = settle(context, account, planned)
    return ReconcileSummary.of(lease_expired=lapsed, read_back=len(posts), resolutions=resolutions)


def settle(
    context: JobContext, account: Account, planned: Sequence[Planned], *, charged: bool = True
) -> list[Resolution]:
    """Write the planned changes (with the account's pending charges when `charged`).

    Return what became of each: a permit another worker moved meanwhile is TAKEN_OVER. The
    events written are logged.
    """
    changes = [plan.change for plan in planned if plan.change is not None]
    with written_charges(context, account if charged else None) as charges:
        bill = AccountCharges(account_id=account.account_id, charges=tuple(charges),
                              at=context.now) if charges else None  # fmt: skip
        lost = context.store.permits.settle(changes, bill)
    for change in changes:
        if change.permit_id not in lost:
            log_events(context, change.events)
    return [
        Resolution.TAKEN_OVER
        if plan.change is not None and plan.change.permit_id in lost
        else plan.resolution
        for plan in planned
    ]


def permit_event(  # noqa: PLR0913 - the event's parts
    context: JobContext,
    event_type: EventType,
    permit: Permit,
    data: Mapping[str, Any],
    *,
    severity: Severity = "info",
    component: str = COMPONENT,
) -> NewEvent:
    """Return one event about a permit, by this worker, for the store method that writes it."""
    payload = {"permit_id": permit.permit_id, "decision_id": permit.decision_id, **data}
    return NewEvent(
        event_type=event_type, data=payload, now=context.now, severity=severity,
        component=component, account_id=permit.account_id, worker_id=context.worker.worker_id,
    )  # fmt: skip


def log_events(context: JobContext, events: Sequence[NewEvent]) -> None:
    """Log events the store has written, for operators."""
    for event in events:
        log_event(context, event.event_type, event.data, component=event.component,
                  account_id=event.account_id, severity=event.severity)  # fmt: skip


def _lapse_expired_leases(context: JobContext, account: Account) -> int:
    stale = context.store.permits.posting_past_lease(account.account_id, context.now)
    changes = []
    for permit in stale:
        after = transition(permit, LeaseExpired(), context.now)
        if isinstance(after, ForbiddenTransition):
            continue
        data = {
            "reason": "lease_expired",
            "claimed_by": permit.claimed_by,
            "claimed_sha": permit.claimed_sha,
            "fence": after.fence,
        }
        event = permit_event(context, EventType.PERMIT_UNKNOWN, permit, data, severity="warning")
        changes.append(PermitChange(before=permit, after=after, events=(event,)))
    if not changes:
        return 0
    lost = context.store.permits.settle(changes)
    written = [change for change in changes if change.permit_id not in lost]
    for change in written:
        log_events(context, change.events)
    return len(written)


def _resolve(
    context: JobContext,
    reply: PermitReply,
    posts: Sequence[Post],
    taken: MutableSet[str],
    grace: timedelta,
) -> Planned:
    post = find_own_post(reply, posts, taken)
    if post is not None:
        taken.add(post.post_id)
        return found_change(context, reply, post, COMPONENT)
    if not read_back_covers(posts, READ_BACK_LIMIT, reply.permit.created_at):
        return Planned(resolution=Resolution.READ_BACK_TOO_SHORT)
    return _absent_change(context, reply.permit, grace)


def found_change(context: JobContext, reply: PermitReply, post: Post, source: str) -> Planned:
    """Plan recording that read-back found the permit's post: USED, reconciled."""
    permit = reply.permit
    found = FoundOnReadBack(post_id=post.post_id, posted_at=post.created_at)
    after = transition(permit, found, context.now)
    if isinstance(after, ForbiddenTransition):
        return Planned(resolution=Resolution.NOT_RECONCILABLE)
    data = {
        "post_id": post.post_id,
        "target_post_id": reply.target_post_id,
        "previous_status": permit.status.value,
        "source": source,
    }
    event = permit_event(context, EventType.PERMIT_RECONCILED, permit, data, component=source)
    mark = CandidateMark(status=CandidateStatus.REPLIED)
    change = PermitChange(before=permit, after=after, candidate=mark, events=(event,))
    return Planned(resolution=Resolution.RECONCILED, change=change)


def _absent_change(context: JobContext, permit: Permit, grace: timedelta) -> Planned:
    after = transition(permit, AbsentOnReadBack(grace=grace), context.now)
    if isinstance(after, ForbiddenTransition):
        return Planned(resolution=Resolution.WAITING)
    data = {"attempts": after.attempts, "reason": after.failure_reason}
    if after.status is PermitStatus.FAILED:
        event = permit_event(context, EventType.PERMIT_FAILED, permit, data, severity="warning")
        mark = CandidateMark(status=CandidateStatus.SKIPPED, reason=PERMIT_FAILED)
        change = PermitChange(before=permit, after=after, candidate=mark, events=(event,))
        return Planned(resolution=Resolution.FAILED, change=change)
    event = permit_event(context, EventType.PERMIT_REQUEUED, permit, data)
    return Planned(
        resolution=Resolution.REQUEUED,
        change=PermitChange(before=permit, after=after, events=(event,)),
    )
