"""What each account spent on platform calls against its cost caps, for checks I and J.

The same decision as /ready (`domain.cost.cost_stop`), fed by certify's own SQL
(`account_spend` in checks_accounts.sql): an account whose cap is reached, or that X refused to
be paid, is blocked `cost_cap`; the report shows spend today and this month against the caps.
Check J fails when a spend is *over* a cap (`overspent`): the governor stops a call before it
would cross one, so money past a cap is a broken rule, not a reached limit.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable, Sequence
from datetime import datetime

from xbot.certify.context import Context
from xbot.certify.rows import Row, count
from xbot.config import AccountSettings
from xbot.domain.account_state import AccountFacts
from xbot.domain.clock import ensure_utc
from xbot.domain.cost import (
    CapPeriod,
    CostCaps,
    CostStop,
    Spend,
    cost_stop,
    month_start,
    usage_day,
)
from xbot.domain.rate_card import micro_to_usd, rate_card

#: the configured settings of a spend row's account (None: not configured)
SettingsOf = Callable[[Row], AccountSettings | None]


def spend_parameters(context: Context) -> dict[str, object]:
    """Return the `account_spend` query's parameters for the run's `now`."""
    return {
        "today": usage_day(context.now),
        "month_start": month_start(context.now),
        "account": context.account,
    }


def with_cost(
    facts: AccountFacts,
    row: Row | None,
    context: Context,
    settings: AccountSettings | None,
) -> AccountFacts:
    """Return the facts with the account's cost stop, if a cap or X's refusal stops it."""
    if row is None:
        return facts
    stop = cost_stop(
        _spend(row), caps(context, settings), rate_card(str(row["platform"]),
        context.settings.cost.prices_for(str(row["platform"])) if context.settings else {}),
        refused=_refused(row), now=context.now,
    )  # fmt: skip
    return dataclasses.replace(facts, cost=stop)


def caps(context: Context, settings: AccountSettings | None) -> CostCaps:
    """Return the account's caps and the global ones (none without settings)."""
    mine = settings.cost if settings is not None else None
    overall = context.settings.cost if context.settings is not None else None
    return CostCaps.from_usd(
        (mine.daily_usd, mine.monthly_usd) if mine else (None, None),
        (overall.daily_usd, overall.monthly_usd) if overall else (None, None),
    )


def account_settings(context: Context, row: Row) -> AccountSettings | None:
    """Return the configured settings of the row's account (matched by platform and handle)."""
    configured = context.settings.accounts if context.settings else []
    key = (row["platform"], str(row["handle"]).lower())
    return next((item for item in configured if (item.platform, item.handle.lower()) == key), None)


def overspent(rows: Sequence[Row], context: Context) -> list[str]:
    """Return one line per cap that a spend went past: "x:bot daily $0.0600 over $0.05"."""
    found: list[str] = []
    for row in rows:
        mine = caps(context, account_settings(context, row))
        found += [
            f"{row['platform']}:{row['handle']} {period.value} {_usd(spent)} over {_cap(limit)}"
            for period, spent, limit in (
                (CapPeriod.DAILY, _spend(row).account_day, mine.account_daily),
                (CapPeriod.MONTHLY, _spend(row).account_month, mine.account_monthly),
            )
            if limit is not None and spent > limit
        ]
    if rows:
        overall, spend = caps(context, None), _spend(rows[0])
        found += [
            f"all accounts {period.value} {_usd(spent)} over {_cap(limit)}"
            for period, spent, limit in (
                (CapPeriod.DAILY, spend.global_day, overall.global_daily),
                (CapPeriod.MONTHLY, spend.global_month, overall.global_monthly),
            )
            if limit is not None and spent > limit
        ]
    return found


def spend_line(rows: Sequence[Row], context: Context, settings: SettingsOf) -> str:
    """Return "spend: x:bot today $0.0490 of $0.05, month $0.0490 of no cap; all …" for I, J."""
    if not _worth_a_line(rows, context, settings):
        return ""
    parts = []
    for row in rows:
        mine = caps(context, settings(row))
        spend = _spend(row)
        parts.append(
            f"{row['platform']}:{row['handle']} today {_usd(spend.account_day)} of "
            f"{_cap(mine.account_daily)}, month {_usd(spend.account_month)} of "
            f"{_cap(mine.account_monthly)}"
        )
    if rows:
        overall = caps(context, None)
        spend = _spend(rows[0])
        parts.append(
            f"all accounts today {_usd(spend.global_day)} of {_cap(overall.global_daily)}, "
            f"month {_usd(spend.global_month)} of {_cap(overall.global_monthly)}"
        )
    return "spend: " + "; ".join(parts) if parts else ""


def _worth_a_line(rows: Sequence[Row], context: Context, settings: SettingsOf) -> bool:
    # Free platforms and no caps: nothing to say, and the report stays as it was.
    capped = [caps(context, settings(row)) for row in rows] + [caps(context, None)]
    spent = any(_spend(row).global_month for row in rows)
    return spent or any(
        value is not None for limits in capped for value in dataclasses.astuple(limits)
    )


def _spend(row: Row) -> Spend:
    return Spend(
        account_day=count(row, "account_day"),
        account_month=count(row, "account_month"),
        global_day=count(row, "global_day"),
        global_month=count(row, "global_month"),
    )


def _refused(row: Row) -> CostStop | None:
    value = row.get("cost_stop")
    data = json.loads(value) if isinstance(value, str) else value
    if not isinstance(data, dict) or not isinstance(data.get("until"), str):
        return None
    since = row.get("cost_stop_at")
    return CostStop(
        detail=str(data.get("detail", "")),
        until=ensure_utc(datetime.fromisoformat(data["until"])),
        since=ensure_utc(since) if isinstance(since, datetime) else None,
    )


def _usd(micro: int) -> str:
    return f"${micro_to_usd(micro):.4f}"


def _cap(micro: int | None) -> str:
    return "no cap" if micro is None else f"${micro_to_usd(micro):g}"
