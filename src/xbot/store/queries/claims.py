"""The post job's claim transaction in three statements, built once and reused.

1. `lock_and_read_gates`: on PostgreSQL the account's claim lock with the gates in one SELECT;
   the gates may be read before the lock was granted, which is safe because the claim re-checks
   them (xbot.store.queries.permits.claim_permit).
2. `read_claim`: after the lock, one SELECT returns the account's stale PENDING permits, the next
   claimable one with its decision, whether a ghost reply answers its target, the budget's
   window usage counted in SQL (xbot.domain.budgets.BudgetUsage: the rule stays in the domain)
   and the day's and month's spend for the cost caps (xbot.domain.cost).
3. `claim_with_event`: the claim of exactly that permit at its fence, reserving its reply's
   price against the cost caps, and its `permit_claimed` event: one statement on PostgreSQL,
   two on SQLite.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Date,
    Integer,
    Label,
    ScalarSelect,
    Select,
    String,
    Update,
    and_,
    bindparam,
    case,
    cast,
    func,
    insert,
    literal,
    or_,
    select,
    true,
    update,
)
from sqlalchemy.engine import Connection

from xbot.domain.account_mode import mode_control
from xbot.domain.budgets import DAY, BudgetRules, BudgetUsage, WindowUsage, budget_windows
from xbot.domain.claiming import ClaimGates, ClaimRead, ClaimRequest, Take
from xbot.domain.clock import ensure_utc
from xbot.domain.cost import month_start, usage_day
from xbot.domain.permits import Permit, PermitReply, PermitStatus
from xbot.store.queries import permits as permit_queries
from xbot.store.queries.common import is_postgres
from xbot.store.queries.events import append, event_values
from xbot.store.queries.fast import Prepared, run
from xbot.store.queries.permits import (
    COUNTED_AT,
    REPLY_COLUMNS,
    REPLY_SOURCE,
    claim_values,
    claimable,
    gates_columns,
    gates_from_mapping,
    gates_unchanged,
)
from xbot.store.queries.usage import STOP_PREFIX, spend_columns, spend_from, stop_from
from xbot.store.tables import controls, ghost_tweets, post_attempts, reply_decisions, system_events

_LOCK_AND_GATES = select(
    func.pg_advisory_xact_lock(bindparam("lock_key", type_=BigInteger)).label("locked"),
    *gates_columns(),
)
# With a global cost cap, the claims of every account take one more lock, after the account's
# (always in this order, so no two claims wait on each other): each then reads the reservations
# the claims before it committed, and together they cannot pass the cap.
_LOCK_ALL_AND_GATES = select(
    func.pg_advisory_xact_lock(bindparam("lock_key", type_=BigInteger)).label("locked"),
    func.pg_advisory_xact_lock(bindparam("all_key", type_=BigInteger)).label("locked_all"),
    *gates_columns(),
)
#: the key of the lock all accounts' claims share when a global cost cap is set
ALL_ACCOUNTS_LOCK_KEY = (permit_queries.CLAIM_LOCK_NAMESPACE + 1) << 32

_ACCOUNT = bindparam("account", type_=BigInteger)
_NOW = bindparam("now", type_=COUNTED_AT.type)
#: the UTC day and its month's first day, for the cost caps' spend (xbot.domain.cost)
_TODAY = bindparam("usage_today", type_=Date)
_MONTH = bindparam("usage_month", type_=Date)
_SINCE = bindparam("since", type_=COUNTED_AT.type)
_COUNTED = and_(
    post_attempts.c.account_id == _ACCOUNT,
    post_attempts.c.status.in_(
        [
            PermitStatus.USED.value,
            PermitStatus.POSTING.value,
            PermitStatus.UNKNOWN.value,
            PermitStatus.SHADOWED.value,
        ]
    ),
    COUNTED_AT >= _SINCE,
)
_WINDOWS = ("day", "hour", "gap")
_NEVER = 2**31 - 1


def _usage_columns() -> list[Label[Any]]:
    # Per window: how many counted permits fall in it, and its limit-th newest counted time.
    moment = COUNTED_AT
    columns = [select(func.count()).where(_COUNTED).scalar_subquery().label("posts_in_day")]
    for name in _WINDOWS:
        inside = and_(_COUNTED, moment > bindparam(f"{name}_start", type_=moment.type))
        columns.append(select(func.count()).where(inside).scalar_subquery().label(f"{name}_count"))
        freeing = (
            select(COUNTED_AT)
            .where(inside)
            .order_by(COUNTED_AT.desc())
            .limit(1)
            .offset(bindparam(f"{name}_offset", type_=Integer))
        )
        columns.append(freeing.scalar_subquery().label(f"{name}_freeing"))
    return columns


def _answered_by() -> ScalarSelect[Any]:
    # The oldest ghost reply of the account that answers the permit's target (xbot's own excluded).
    ours = select(post_attempts.c.permit_id).where(
        post_attempts.c.account_id == _ACCOUNT,
        post_attempts.c.status == PermitStatus.USED.value,
        post_attempts.c.actual_tweet_id == ghost_tweets.c.tweet_id,
    )
    return (
        select(ghost_tweets.c.tweet_id)
        .where(
            ghost_tweets.c.account_id == _ACCOUNT,
            ghost_tweets.c.in_reply_to == reply_decisions.c.target_post_id,
            ~ours.exists(),
        )
        .order_by(ghost_tweets.c.id)
        .limit(1)
        .scalar_subquery()
    )


def _reserved_columns() -> list[Label[Any]]:
    # What claims not yet recorded reserved against the cost caps: the account's and everyone's.
    column = post_attempts.c
    total = func.coalesce(func.sum(column.reserved_micro_usd), 0)
    posting = column.status == PermitStatus.POSTING.value
    return [
        select(total).where(posting, column.account_id == _ACCOUNT).scalar_subquery()
        .label("account_reserved"),
        select(total).where(posting).scalar_subquery().label("global_reserved"),
    ]  # fmt: skip


def _mode_switch() -> ScalarSelect[Any]:
    # The live/shadow switch (xbot.domain.account_mode.effective_mode), read with the claim.
    return (
        select(controls.c.value)
        .where(controls.c.name == bindparam("mode_control"))
        .scalar_subquery()
    )


def _cost_stop() -> ScalarSelect[Any]:
    # The account's stop after X refused payment (xbot.store.queries.usage.set_cost_stop).
    name = literal(STOP_PREFIX) + cast(_ACCOUNT, String)
    return select(controls.c.value).where(controls.c.name == name).scalar_subquery()


def _claim_read(*, drain: bool) -> Select[Any]:
    stale: ColumnElement[bool] = (
        true()
        if drain
        else or_(
            post_attempts.c.expires_at <= _NOW,
            post_attempts.c.not_before >= post_attempts.c.expires_at,
        )
    )
    next_claimable = (
        select(post_attempts.c.permit_id)
        .where(claimable(_ACCOUNT, _NOW))
        .order_by(post_attempts.c.created_at, post_attempts.c.permit_id)
        .limit(1)
        .scalar_subquery()
    )
    return (
        select(
            *REPLY_COLUMNS,
            case((stale, literal(1)), else_=literal(0)).label("stale"),
            _answered_by().label("answered_by"),
            _mode_switch().label("mode_switch"),
            *_usage_columns(),
            *spend_columns(_ACCOUNT, _TODAY, _MONTH),
            *_reserved_columns(),
            _cost_stop().label("cost_stop"),
        )
        .select_from(REPLY_SOURCE)
        .where(
            post_attempts.c.account_id == _ACCOUNT,
            post_attempts.c.status == PermitStatus.PENDING.value,
            or_(stale, post_attempts.c.permit_id == next_claimable),
        )
        .order_by(post_attempts.c.created_at)
    )


_READ = {drain: Prepared(_claim_read(drain=drain)) for drain in (False, True)}
_GATES = Prepared(select(*gates_columns()))
_LOCKED_GATES = Prepared(_LOCK_AND_GATES)
_ALL_LOCKED_GATES = Prepared(_LOCK_ALL_AND_GATES)


def lock_and_read_gates(
    connection: Connection, account_id: int, *, all_accounts: bool = False
) -> ClaimGates:
    """Serialise claims of the account until commit and read the gates, in one statement.

    `all_accounts` (a global cost cap is set) serialises the claims of every account too.
    SQLite needs no lock: every transaction begins IMMEDIATE and so holds the write lock already.
    """
    if not is_postgres(connection):
        return gates_from_mapping(run(connection, _GATES, {}).rows[0])
    key = (permit_queries.CLAIM_LOCK_NAMESPACE << 32) | (account_id & 0xFFFF_FFFF)
    if all_accounts:
        params = {"lock_key": key, "all_key": ALL_ACCOUNTS_LOCK_KEY}
        return gates_from_mapping(run(connection, _ALL_LOCKED_GATES, params).rows[0])
    return gates_from_mapping(run(connection, _LOCKED_GATES, {"lock_key": key}).rows[0])


def read_claim(connection: Connection, request: ClaimRequest, gates: ClaimGates) -> ClaimRead:
    """Return the stale permits, the claimable one, its ghost answer and the budget's usage."""
    drain = gates.kill_switch.on and gates.kill_switch.drain
    params = _read_params(request.account_id, request.now, request.rules)
    rows = run(connection, _READ[drain], params).rows
    stale = [Permit.from_row(row) for row in rows if row["stale"]]
    fresh = [row for row in rows if not row["stale"]]
    if not fresh:
        return ClaimRead(gates=gates, stale=stale)
    row = fresh[0]
    return ClaimRead(
        gates=gates,
        stale=stale,
        claimable=PermitReply.from_row(row),
        answered_by=row["answered_by"],
        usage=_usage(row),
        posts_in_day=int(row["posts_in_day"]),
        mode_switch=row["mode_switch"],
        spend=replace(
            spend_from(row),
            account_reserved=int(row["account_reserved"] or 0),
            global_reserved=int(row["global_reserved"] or 0),
        ),
        cost_stop=stop_from(row["cost_stop"], None),
    )


def _read_params(account_id: int, now: datetime, rules: BudgetRules) -> dict[str, Any]:
    params: dict[str, Any] = {"account": account_id, "now": now, "since": now - DAY}
    params["mode_control"] = mode_control(account_id)
    params |= {"usage_today": usage_day(now), "usage_month": month_start(now)}
    for name, (limit, window) in zip(_WINDOWS, budget_windows(rules), strict=True):
        params[f"{name}_start"] = now - window
        # a limit of 0 refuses on any count: no time frees it (the offset then finds none)
        params[f"{name}_offset"] = limit - 1 if limit > 0 else _NEVER
    return params


def _usage(row: Mapping[str, Any]) -> BudgetUsage:
    day, hour, gap = (
        WindowUsage(
            count=int(row[f"{name}_count"]),
            freeing=ensure_utc(row[f"{name}_freeing"]) if row[f"{name}_freeing"] else None,
        )
        for name in _WINDOWS
    )
    return BudgetUsage(day=day, hour=hour, gap=gap)


_CLAIM_PARAMS = {
    "worker_id": bindparam("claim_worker"),
    "git_sha": bindparam("claim_sha"),
    "now": _NOW,
    "lease_until": bindparam("lease_until_", type_=COUNTED_AT.type),
}
_RESERVE = bindparam("claim_reserve", type_=BigInteger)


def _targeted_claim(*, switch_set: bool) -> Update:
    switch_seen = bindparam("switch_seen", type_=COUNTED_AT.type) if switch_set else None
    return (
        update(post_attempts)
        .where(
            post_attempts.c.permit_id == bindparam("claim_permit"),
            post_attempts.c.fence == bindparam("claim_fence", type_=Integer),
            claimable(_ACCOUNT, _NOW),
            gates_unchanged(bindparam("deployments_seen", type_=BigInteger), switch_seen),
        )
        .values(claim_values(**_CLAIM_PARAMS) | {"reserved_micro_usd": _RESERVE})
        .returning(*post_attempts.c)
    )


def _with_event(claim: Update) -> Select[Any]:
    # PostgreSQL: the claim and its event in one statement; no row claimed, no event.
    claimed = claim.cte("claimed")
    columns = [column for column in system_events.c if column.name != "id"]
    event = select(
        *(cast(bindparam(f"event_{c.name}", type_=c.type), c.type) for c in columns)
    ).select_from(claimed)
    written = insert(system_events).from_select([c.name for c in columns], event).cte("event")
    return select(claimed).add_cte(written)


_CLAIMS = {switch_set: _targeted_claim(switch_set=switch_set) for switch_set in (False, True)}
_CLAIM = {switch_set: Prepared(claim) for switch_set, claim in _CLAIMS.items()}
_CLAIM_WITH_EVENT = {
    switch_set: Prepared(_with_event(claim)) for switch_set, claim in _CLAIMS.items()
}


def claim_with_event(
    connection: Connection, request: ClaimRequest, read: ClaimRead, take: Take
) -> Permit | None:
    """Claim the permit read by read_claim, at its fence, reserving its price, with its event.

    None when the permit changed or a gate moved since they were read: nothing is written.
    """
    event = take.event
    if read.claimable is None:
        return None
    permit, gates = read.claimable.permit, read.gates
    params = {
        "claim_permit": permit.permit_id,
        "claim_fence": permit.fence,
        "account": permit.account_id,
        "now": request.now,
        "claim_worker": request.worker_id,
        "claim_sha": request.git_sha,
        "lease_until_": request.lease_until,
        "deployments_seen": gates.deployments_seen,
        "switch_seen": gates.kill_switch_seen,
        "claim_reserve": take.reserve_micro,
    }
    switch_set = gates.kill_switch_seen is not None
    if is_postgres(connection):
        values = {f"event_{name}": value for name, value in event_values(event).items()}
        rows = run(connection, _CLAIM_WITH_EVENT[switch_set], params | values).rows
        return Permit.from_row(rows[0]) if rows else None
    rows = run(connection, _CLAIM[switch_set], params).rows
    if not rows:
        return None
    append(connection, event)
    return Permit.from_row(rows[0])
