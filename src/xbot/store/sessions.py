"""Platform session material kept in `accounts.session_state`, so restarts do not log in again.

Tokens live only in this column, encrypted (store/secretbox.py), and in memory; nothing here
logs them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import Connection, Engine, select, update

from xbot.domain.errors import XbotError
from xbot.store.engine import translated_errors
from xbot.store.secretbox import SessionCipher
from xbot.store.tables import accounts


class DatabaseSessionStore:
    """One account's saved session under one key of `accounts.session_state`."""

    def __init__(self, engine: Engine, account_id: int, key: str, cipher: SessionCipher) -> None:
        self.engine = engine
        self.account_id = account_id
        self.key = key
        self.cipher = cipher

    def load(self) -> Mapping[str, Any] | None:
        """Return the saved session, or None."""
        with translated_errors(), self.engine.connect() as connection:
            stored = _stored_state(connection, self.account_id)
        value = self.cipher.open(stored).get(self.key)
        return dict(value) if isinstance(value, dict) else None

    def save(self, session: Mapping[str, Any]) -> None:
        """Replace the saved session, encrypted (SecretKeyMissing without XBOT_SECRET_KEY)."""
        with translated_errors(), self.engine.begin() as connection:
            state = self.cipher.open(_stored_state(connection, self.account_id))
            merged = {**state, self.key: dict(session)}
            connection.execute(
                update(accounts)
                .where(accounts.c.id == self.account_id)
                .values(session_state=self.cipher.seal(merged))
            )


def reseal_sessions(connection: Connection, cipher: SessionCipher) -> int:
    """Encrypt every saved session with the newest key; return how many rows were written."""
    rows = connection.execute(
        select(accounts.c.id, accounts.c.session_state).where(accounts.c.session_state.is_not(None))
    ).all()
    written = 0
    for row in rows:
        sealed = cipher.reseal(row.session_state)
        if sealed is not None:
            connection.execute(
                update(accounts).where(accounts.c.id == row.id).values(session_state=sealed)
            )
            written += 1
    return written


def verify_sessions(engine: Engine, cipher: SessionCipher) -> None:
    """Raise SecretKeyMissing/SecretKeyWrong, naming the account, if a saved session won't open."""
    with translated_errors(), engine.connect() as connection:
        rows = connection.execute(
            select(accounts.c.platform, accounts.c.handle, accounts.c.session_state)
            .where(accounts.c.enabled, accounts.c.session_state.is_not(None))
            .order_by(accounts.c.id)
        ).all()
    for row in rows:
        try:
            cipher.open(row.session_state)
        except XbotError as exc:
            raise type(exc)(f"{row.platform}:@{row.handle}'s saved session: {exc}") from None


def _stored_state(connection: Connection, account_id: int) -> Any:
    return connection.execute(
        select(accounts.c.session_state).where(accounts.c.id == account_id)
    ).scalar()
