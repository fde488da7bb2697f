"""What platform calls cost through the port, on SQLite and PostgreSQL (`platform_usage`)."""

from __future__ import annotations

from datetime import datetime

from xbot.domain.audit import NewEvent
from xbot.domain.cost import CostStop, Spend
from xbot.store.queries import usage
from xbot.store.queries.events import insert_event
from xbot.store.sql.transactions import Transactions


class SqlUsage:
    """`UsageStore` on `platform_usage` and the cost stops in `controls`."""

    def __init__(self, transactions: Transactions) -> None:
        self.transactions = transactions

    def spend(self, account_id: int, now: datetime) -> Spend:
        """Return what the account and all accounts spent on `now`'s UTC day and month."""
        with self.transactions.read() as connection:
            return usage.read_spend(connection, account_id, now)

    def cost_stops(self) -> dict[int, CostStop]:
        """Return each account's stop set by a platform refusal (ended ones too), by account id."""
        with self.transactions.read() as connection:
            return usage.cost_stops(connection)

    def set_cost_stop(self, account_id: int, stop: CostStop, by: str, event: NewEvent) -> None:
        """Record that the platform refused payment for the account until `stop.until`."""
        with self.transactions.begin() as connection:
            usage.set_cost_stop(connection, account_id, stop, by=by)
            insert_event(connection, event)
