"""Transactions that translate driver errors inside, so no caller catches a driver error."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Engine
from sqlalchemy.engine import Connection

from xbot.store.engine import translated_errors


class Transactions:
    """Opens the units of work of one engine (procrastinate's `wrap_exceptions` pattern)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    @contextmanager
    def begin(self) -> Iterator[Connection]:
        """One read-write transaction, committed on success, errors translated."""
        with translated_errors(), self.engine.begin() as connection:
            yield connection

    @contextmanager
    def single(self) -> Iterator[Connection]:
        """One statement that is its own transaction: no BEGIN and COMMIT round trips.

        PostgreSQL runs it in autocommit (a single statement is atomic by itself); SQLite
        takes its write lock up front as `begin` does.
        """
        if self.engine.dialect.name != "postgresql":
            with self.begin() as connection:
                yield connection
            return
        with translated_errors(), self.engine.connect() as connection:
            yield connection.execution_options(isolation_level="AUTOCOMMIT")

    @property
    def postgres(self) -> bool:
        """True on PostgreSQL, where the runner's statements use the database's clock inline."""
        return self.engine.dialect.name == "postgresql"

    @contextmanager
    def read(self) -> Iterator[Connection]:
        """One read, errors translated."""
        with translated_errors(), self.engine.connect() as connection:
            yield connection
