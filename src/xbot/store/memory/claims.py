"""The claim in memory: the SQL claim's reads and rules over the twin's tables."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from xbot.domain.budgets import DAY, budget_usage
from xbot.domain.claiming import COUNTED_STATUSES, ClaimGates, ClaimRead, ClaimRequest
from xbot.domain.claims import KillSwitch
from xbot.domain.cost import Spend, month_start, usage_day
from xbot.domain.permits import Permit, PermitReply, PermitStatus
from xbot.store.memory.tables import Tables


def read_gates(tables: Tables) -> ClaimGates:
    """Return the newest declared deployment and the kill switch."""
    newest = max(tables.deployments, key=lambda item: item.declared_at, default=None)
    switch = tables.kill_switch
    return ClaimGates(
        declared_sha=newest.sha if newest is not None else None,
        deployments_seen=len(tables.deployments),
        kill_switch=KillSwitch(on=switch.on, drain=switch.drain),
        kill_switch_seen=switch.since,
    )


def read_claim(tables: Tables, request: ClaimRequest, gates: ClaimGates) -> ClaimRead:
    """Return the stale permits, the claimable one, its ghost answer and the budget's usage."""
    drain = gates.kill_switch.on and gates.kill_switch.drain
    pending = sorted(
        (permit for permit in tables.permits.values()
         if permit.account_id == request.account_id and permit.status is PermitStatus.PENDING),
        key=lambda permit: (permit.created_at, permit.permit_id),
    )  # fmt: skip
    stale = [permit for permit in pending if drain or _stale(permit, request.now)]
    fresh = [permit for permit in pending if not drain and claimable(permit, request.now)]
    if not fresh:
        return ClaimRead(gates=gates, stale=stale)
    reply = permit_reply(tables, fresh[0])
    times = counted_times(tables, request.account_id, request.now - DAY)
    return ClaimRead(
        gates=gates,
        stale=stale,
        claimable=reply,
        answered_by=_answered_by(tables, request.account_id, reply.target_post_id),
        usage=budget_usage(times, request.rules, now=request.now),
        posts_in_day=len(times),
        spend=replace(
            spend(tables, request.account_id, request.now),
            account_reserved=reserved(tables, request.account_id),
            global_reserved=reserved(tables, None),
        ),
        cost_stop=tables.cost_stops.get(request.account_id),
    )


def claimable(permit: Permit, now: datetime) -> bool:
    """Return the claim rule: PENDING, past its back-off, before its expiry."""
    return (
        permit.status is PermitStatus.PENDING
        and (permit.not_before is None or permit.not_before <= now)
        and (permit.expires_at is None or permit.expires_at > now)
    )


def _stale(permit: Permit, now: datetime) -> bool:
    if permit.expires_at is None:
        return False
    return permit.expires_at <= now or (
        permit.not_before is not None and permit.not_before >= permit.expires_at
    )


def permit_reply(tables: Tables, permit: Permit) -> PermitReply:
    """Return the permit with its decision's text and target."""
    decision = tables.decisions[permit.decision_id].decision
    found = tables.candidates[decision.candidate_id].found
    return PermitReply(
        permit=permit,
        candidate_id=decision.candidate_id,
        target_post_id=decision.target_post_id,
        target_author_handle=found.author_handle,
        reply_text=decision.reply_text,
        target_meta=dict(found.target_meta or {}),
    )


def counted_times(tables: Tables, account_id: int, since: datetime) -> list[datetime]:
    """Return when each counted permit of the account was claimed, since `since`."""
    return [
        permit.budget_at
        for permit in tables.permits.values()
        if permit.account_id == account_id
        and permit.status in COUNTED_STATUSES
        and permit.budget_at >= since
    ]


def _answered_by(tables: Tables, account_id: int, target_post_id: str) -> str | None:
    ours = {
        permit.actual_tweet_id
        for permit in tables.permits.values()
        if permit.account_id == account_id and permit.status is PermitStatus.USED
    }
    for ghost_id in sorted(tables.ghosts):
        ghost = tables.ghosts[ghost_id]
        if (
            ghost.account_id == account_id
            and ghost.in_reply_to == target_post_id
            and ghost.post_id not in ours
        ):
            return ghost.post_id
    return None


def spend(tables: Tables, account_id: int, now: datetime) -> Spend:
    """Return what the account and all accounts spent today and this month (UTC)."""
    today, first = usage_day(now), month_start(now)
    sums = {"account_day": 0, "account_month": 0, "global_day": 0, "global_month": 0}
    for owner, day, charge in tables.charges:
        for scope, mine in (("account", owner == account_id), ("global", True)):
            if mine and day == today:
                sums[f"{scope}_day"] += charge.cost_micro
            if mine and day >= first:
                sums[f"{scope}_month"] += charge.cost_micro
    return Spend(**sums)


def reserved(tables: Tables, account_id: int | None) -> int:
    """Return what claims of the account (None: of every account) reserved while POSTING."""
    return sum(
        tables.reserved.get(permit.permit_id, 0)
        for permit in tables.permits.values()
        if permit.status is PermitStatus.POSTING
        and (account_id is None or permit.account_id == account_id)
    )


def claimed(permit: Permit, request: ClaimRequest) -> Permit:
    """Return the permit as a claim leaves it: POSTING, a new fence and attempt, its lease."""
    return replace(
        permit,
        status=PermitStatus.POSTING,
        claimed_by=request.worker_id,
        claimed_sha=request.git_sha,
        lease_until=request.lease_until,
        fence=permit.fence + 1,
        attempts=permit.attempts + 1,
        updated_at=request.now,
        claimed_at=request.now,
    )
