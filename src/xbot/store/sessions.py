"""Platform session material kept in `accounts.session_state`, so restarts do not log in again.

Tokens live only in this column and in memory; nothing here logs them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import Engine, select, update

from xbot.store.engine import translated_errors
from xbot.store.tables import accounts


class DatabaseSessionStore:
    """One account's saved session under one key of `accounts.session_state`."""

    def __init__(self, engine: Engine, account_id: int, key: str) -> None:
        self.engine = engine
        self.account_id = account_id
        self.key = key

    def load(self) -> Mapping[str, Any] | None:
        """Return the saved session, or None."""
        with translated_errors(), self.engine.connect() as connection:
            state = connection.execute(
                select(accounts.c.session_state).where(accounts.c.id == self.account_id)
            ).scalar()
        value = (state or {}).get(self.key)
        return dict(value) if isinstance(value, dict) else None

    def save(self, session: Mapping[str, Any]) -> None:
        """Replace the saved session."""
        with translated_errors(), self.engine.begin() as connection:
            state = connection.execute(
                select(accounts.c.session_state).where(accounts.c.id == self.account_id)
            ).scalar()
            merged = {**(state or {}), self.key: dict(session)}
            connection.execute(
                update(accounts)
                .where(accounts.c.id == self.account_id)
                .values(session_state=merged)
            )
