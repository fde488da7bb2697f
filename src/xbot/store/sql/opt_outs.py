"""Opt-outs through the port, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from xbot.domain.audit import NewEvent
from xbot.domain.opt_outs import NewOptOut
from xbot.store.queries import opt_outs
from xbot.store.queries.events import insert_event
from xbot.store.sql.transactions import Transactions


class SqlOptOuts:
    """`OptOutStore` on `opt_outs`."""

    def __init__(self, transactions: Transactions) -> None:
        self.transactions = transactions

    def add(self, opt_out: NewOptOut, now: datetime, event: NewEvent) -> bool:
        """Record an opt-out with `event`; False (and no event) when already recorded."""
        with self.transactions.begin() as connection:
            added = opt_outs.add_opt_out(connection, opt_out, now=now)
            if added:
                insert_event(connection, event)
            return added

    def opted_out_authors(self, platform: str, author_ids: Sequence[str]) -> set[str]:
        """Return which of these author ids opted out on the platform."""
        with self.transactions.read() as connection:
            return opt_outs.opted_out_authors(connection, platform, author_ids)
