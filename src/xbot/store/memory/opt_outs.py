"""Opt-outs in memory, one per (platform, author id) as the table's unique key."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from xbot.domain.audit import NewEvent
from xbot.domain.opt_outs import NewOptOut
from xbot.store.memory.events import append_to
from xbot.store.memory.tables import Tables


class MemoryOptOuts:
    """`OptOutStore` in memory."""

    def __init__(self, tables: Tables) -> None:
        self.tables = tables

    def add(self, opt_out: NewOptOut, now: datetime, event: NewEvent) -> bool:
        """Record an opt-out with `event`; False (and no event) when already recorded."""
        key = (opt_out.platform, opt_out.author_id)
        with self.tables.transaction() as tables:
            if key in tables.opt_outs:
                return False
            tables.opt_outs[key] = (opt_out, now)
            append_to(tables, event)
            return True

    def opted_out_authors(self, platform: str, author_ids: Sequence[str]) -> set[str]:
        """Return which of these author ids opted out on the platform."""
        with self.tables.transaction() as tables:
            return {author for author in author_ids if (platform, author) in tables.opt_outs}
