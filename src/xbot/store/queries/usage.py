"""`platform_usage`: add what platform calls cost, and read the spend the caps count.

Charges are added inside the caller's transaction (the job's own writes), never in one of their
own: on PostgreSQL the post job's charge even rides in the record's single statement
(xbot.store.queries.records), so pricing a post adds no round trip.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import BigInteger, Insert, Label, and_, bindparam, delete, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection

from xbot.domain.clock import ensure_utc
from xbot.domain.cost import Charge, CostStop, Spend, month_start, usage_day
from xbot.store.queries.common import is_postgres
from xbot.store.queries.controls import set_control
from xbot.store.tables import accounts, controls, platform_usage

_ADDED = ("calls", "units", "cost_micro_usd")


def charge_params(account_id: int, charge: Charge, now: datetime) -> dict[str, Any]:
    """Return the bound values of one charge for `upsert_statement`."""
    return {
        "usage_account": account_id,
        "usage_day": usage_day(now),
        "usage_class": charge.endpoint_class.value,
        "usage_calls": charge.calls,
        "usage_units": charge.units,
        "usage_cost": charge.cost_micro,
        "usage_now": now,
    }


def upsert_statement(*, postgres: bool) -> Insert:
    """Return INSERT … ON CONFLICT DO UPDATE adding one charge (bound as `charge_params`)."""
    dialect_insert = postgresql.insert if postgres else sqlite.insert
    column = platform_usage.c
    statement = dialect_insert(platform_usage).values(
        account_id=bindparam("usage_account", type_=column.account_id.type),
        day=bindparam("usage_day", type_=column.day.type),
        endpoint_class=bindparam("usage_class", type_=column.endpoint_class.type),
        calls=bindparam("usage_calls", type_=BigInteger),
        units=bindparam("usage_units", type_=BigInteger),
        cost_micro_usd=bindparam("usage_cost", type_=BigInteger),
        updated_at=bindparam("usage_now", type_=column.updated_at.type),
    )
    added = {name: column[name] + statement.excluded[name] for name in _ADDED}
    return statement.on_conflict_do_update(
        index_elements=["account_id", "day", "endpoint_class"],
        set_={**added, "updated_at": statement.excluded.updated_at},
    )


_UPSERTS = {postgres: upsert_statement(postgres=postgres) for postgres in (False, True)}


def add_charges(
    connection: Connection, account_id: int, charges: Sequence[Charge], now: datetime
) -> None:
    """Add charges to the account's usage of `now`'s UTC day, in the caller's transaction."""
    if not charges:
        return
    rows = [charge_params(account_id, charge, now) for charge in merged_charges(charges)]
    connection.execute(_UPSERTS[is_postgres(connection)], rows)


def merged_charges(charges: Sequence[Charge]) -> list[Charge]:
    """Return one charge per endpoint class (one row each in a batch upsert)."""
    merged: dict[str, Charge] = {}
    for charge in charges:
        key = charge.endpoint_class.value
        before = merged.get(key)
        merged[key] = charge if before is None else Charge(
            endpoint_class=charge.endpoint_class,
            calls=before.calls + charge.calls,
            units=before.units + charge.units,
            cost_micro=before.cost_micro + charge.cost_micro,
        )  # fmt: skip
    return list(merged.values())


def spend_columns(account: Any, today: Any, first: Any) -> list[Label[Any]]:
    """Return the four spend sums (account/global, day/month) as scalar subqueries.

    `today` is the UTC day and `first` the first day of its month: values or bound parameters.
    """
    column = platform_usage.c
    total = func.coalesce(func.sum(column.cost_micro_usd), 0)
    mine = column.account_id == account
    wheres = {
        "account_day": and_(mine, column.day == today),
        "account_month": and_(mine, column.day >= first),
        "global_day": column.day == today,
        "global_month": column.day >= first,
    }
    return [
        select(total).where(where).scalar_subquery().label(name) for name, where in wheres.items()
    ]


def read_spend(connection: Connection, account_id: int, now: datetime) -> Spend:
    """Return what the account and all accounts spent today and this month (UTC)."""
    columns = spend_columns(account_id, usage_day(now), month_start(now))
    return spend_from(connection.execute(select(*columns)).mappings().one())


def spend_from(row: Any) -> Spend:
    """Return a Spend from a row holding the four sums."""
    return Spend(
        account_day=int(row["account_day"] or 0),
        account_month=int(row["account_month"] or 0),
        global_day=int(row["global_day"] or 0),
        global_month=int(row["global_month"] or 0),
    )


@dataclass(frozen=True, kw_only=True, slots=True)
class UsageTotal:
    """One account's calls and cost of one endpoint class over a period."""

    account: str
    endpoint_class: str
    calls: int
    units: int
    cost_micro: int


def usage_totals(connection: Connection, since: date) -> list[UsageTotal]:
    """Return calls and cost per account ("platform:handle") and endpoint class since a day."""
    column = platform_usage.c
    name = accounts.c.platform + ":" + accounts.c.handle
    rows = connection.execute(
        select(
            name.label("account"),
            column.endpoint_class,
            func.sum(column.calls).label("calls"),
            func.sum(column.units).label("units"),
            func.sum(column.cost_micro_usd).label("cost"),
        )
        .join(accounts, accounts.c.id == column.account_id)
        .where(column.day >= since)
        .group_by(name, column.endpoint_class)
        .order_by(name, column.endpoint_class)
    )
    return [
        UsageTotal(
            account=row.account,
            endpoint_class=row.endpoint_class,
            calls=int(row.calls),
            units=int(row.units),
            cost_micro=int(row.cost),
        )
        for row in rows
    ]


#: the `controls` row of an account's cost stop set by a platform refusal (402, usage cap)
STOP_PREFIX = "cost_cap:"


def stop_name(account_id: int) -> str:
    """Return the `controls` name of one account's cost stop."""
    return f"{STOP_PREFIX}{account_id}"


def set_cost_stop(connection: Connection, account_id: int, stop: CostStop, *, by: str) -> None:
    """Record that the platform refused payment for the account, until `stop.until`."""
    value = {"detail": stop.detail, "until": stop.until.isoformat()}
    set_control(
        connection, stop_name(account_id), value, now=stop.since or stop.until, updated_by=by
    )


def cost_stops(connection: Connection) -> dict[int, CostStop]:
    """Return every account's stop set by a platform refusal, by account id (ended ones too)."""
    rows = connection.execute(
        select(controls.c.name, controls.c.value, controls.c.updated_at).where(
            controls.c.name.like(f"{STOP_PREFIX}%")
        )
    )
    stops = {
        int(row.name.removeprefix(STOP_PREFIX)): stop_from(row.value, row.updated_at)
        for row in rows
    }
    return {account_id: stop for account_id, stop in stops.items() if stop is not None}


def stop_from(value: Any, since: datetime | None) -> CostStop | None:
    """Return a stop from its stored value (a mapping, or JSON text from raw SQL), or None."""
    data = json.loads(value) if isinstance(value, str) else value
    if not isinstance(data, dict) or not isinstance(data.get("until"), str):
        return None
    try:
        until = ensure_utc(datetime.fromisoformat(data["until"]))
    except ValueError:
        return None
    return CostStop(detail=str(data.get("detail", "")), until=until, since=since)


def clear_cost_stops(connection: Connection) -> int:
    """Forget every account's stop set by a platform refusal (operator resume); return how many."""
    removed = connection.execute(delete(controls).where(controls.c.name.like(f"{STOP_PREFIX}%")))
    return int(removed.rowcount)
