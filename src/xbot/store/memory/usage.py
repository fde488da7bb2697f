"""What platform calls cost, in memory: the charges per account and UTC day, and the cost stops."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from xbot.domain.audit import NewEvent
from xbot.domain.cost import AccountCharges, CostStop, Spend, usage_day
from xbot.store.memory import claims
from xbot.store.memory.events import append_to
from xbot.store.memory.tables import Tables


def add_charges_to(tables: Tables, charges: AccountCharges) -> None:
    """Add the charges to the account's usage of their day, inside the caller's transaction."""
    day = usage_day(charges.at)
    tables.charges.extend((charges.account_id, day, charge) for charge in charges.charges)


class MemoryUsage:
    """`UsageStore` in memory."""

    def __init__(self, tables: Tables) -> None:
        self.tables = tables

    def spend(self, account_id: int, now: datetime) -> Spend:
        """Return what the account and all accounts spent on `now`'s UTC day and month."""
        with self.tables.transaction() as tables:
            return claims.spend(tables, account_id, now)

    def cost_stops(self) -> dict[int, CostStop]:
        """Return each account's stop set by a platform refusal (ended ones too), by account id."""
        with self.tables.transaction() as tables:
            return dict(tables.cost_stops)

    def set_cost_stop(self, account_id: int, stop: CostStop, by: str, event: NewEvent) -> None:
        """Record that the platform refused payment for the account until `stop.until`."""
        del by  # the SQL store keeps who set it in `controls.updated_by`; nothing reads it back
        with self.tables.transaction() as tables:
            tables.cost_stops[account_id] = replace(stop, since=stop.since or stop.until)
            append_to(tables, event)
