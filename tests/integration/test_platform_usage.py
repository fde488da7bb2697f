"""`platform_usage` on both dialects: charges add up per account, UTC day and class."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from sqlalchemy import Engine, insert

from xbot.domain.cost import Charge, Spend
from xbot.domain.rate_card import EndpointClass
from xbot.store.queries import usage
from xbot.store.tables import accounts

NOW = datetime(2026, 12, 15, 23, 30, tzinfo=UTC)


def _accounts(engine: Engine) -> tuple[int, int]:
    with engine.begin() as connection:
        ids = [
            connection.execute(
                insert(accounts).values(platform="x", handle=handle).returning(accounts.c.id)
            ).scalar_one()
            for handle in ("one", "two")
        ]
    return ids[0], ids[1]


def test_charges_add_up_and_the_caps_read_them(engine: Engine) -> None:
    one, two = _accounts(engine)
    reply = Charge(endpoint_class=EndpointClass.SUMMONED_REPLY, cost_micro=10_000)
    reads = Charge(endpoint_class=EndpointClass.OWNED_READ, units=5, cost_micro=5_000)
    with engine.begin() as connection:
        usage.add_charges(connection, one, [reply, reads, reply], NOW)
        usage.add_charges(connection, one, [reply], NOW - timedelta(days=2))  # same month
        usage.add_charges(connection, two, [reads], NOW)
        usage.add_charges(connection, two, [reply], datetime(2026, 11, 30, tzinfo=UTC))
        usage.add_charges(connection, one, [], NOW)
    with engine.connect() as connection:
        assert usage.read_spend(connection, one, NOW) == Spend(
            account_day=25_000, account_month=35_000, global_day=30_000, global_month=40_000
        )
        totals = usage.usage_totals(connection, date(2026, 12, 15))
    assert [(t.account, t.endpoint_class, t.calls, t.units, t.cost_micro) for t in totals] == [
        ("x:one", "owned_read", 1, 5, 5_000),
        ("x:one", "summoned_reply", 2, 2, 20_000),
        ("x:two", "owned_read", 1, 5, 5_000),
    ]
