"""Connections: one engine per process, SQLite tuned for a single worker, errors translated."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import Connection, Dialect
from sqlalchemy.exc import ArgumentError, DBAPIError, InvalidatePoolError, OperationalError
from sqlalchemy.pool import ConnectionPoolEntry

from xbot.domain.errors import ConfigError, DatabaseUnreachable, StoreError
from xbot.redact import redact_text, redact_url
from xbot.store.driver_errors import first_line, is_unreachable, unreachable_message

SQLITE_BUSY_TIMEOUT_MS = 10_000
#: a PostgreSQL connection this old is replaced before use (servers and proxies drop old ones)
POOL_RECYCLE_SECONDS = 600
#: a PostgreSQL connection idle this long is pinged before use; in a busy loop none is
PING_AFTER_IDLE_SECONDS = 10.0
#: where a pooled connection remembers when it was last returned
_RETURNED_AT = "xbot_returned_at"


def make_engine(url: str) -> Engine:
    """Create the engine for `url`, or raise ConfigError naming the fix."""
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    try:
        if url.startswith("sqlite"):
            engine = create_engine(url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000})
            event.listen(engine, "connect", _sqlite_pragmas)
            event.listen(engine, "begin", _sqlite_begin)
            return engine
        return _ping_when_idle(
            create_engine(url, pool_recycle=POOL_RECYCLE_SECONDS, connect_args=_postgres_args(url))
        )
    except (ArgumentError, ImportError, ValueError) as exc:
        raise ConfigError(
            f"cannot use database URL {redact_url(url)!r}: {redact_text(str(exc))}. "
            "Fix XBOT_DATABASE_URL."
        ) from None


def _postgres_args(url: str) -> dict[str, Any]:
    return {"connect_timeout": 5} if "psycopg" in url else {}


def _ping_when_idle(engine: Engine) -> Engine:
    """Ping a pooled connection only when it sat idle: a busy loop pays no round trip for it.

    A connection the server or a proxy dropped while idle is replaced before use, as
    `pool_pre_ping` would; one dropped in the middle of a burst fails that transaction, which
    rolls back, and the pool drops every older connection (the worker's outage handling retries).
    """
    dialect = engine.dialect

    def checkout(dbapi_connection: Any, record: ConnectionPoolEntry, _proxy: object) -> None:
        returned = record.info.get(_RETURNED_AT)
        if returned is not None and time.monotonic() - returned >= PING_AFTER_IDLE_SECONDS:
            _ping(dialect, dbapi_connection)

    event.listen(engine, "checkout", checkout)
    event.listen(engine, "checkin", _note_returned)
    return engine


def _ping(dialect: Dialect, dbapi_connection: Any) -> None:
    try:
        dialect.do_ping(dbapi_connection)
    except dialect.loaded_dbapi.Error as exc:
        # the pool replaces this connection and every older one, then hands out a fresh one
        raise InvalidatePoolError(f"an idle connection was dropped: {_first_line_of(exc)}") from exc


def _note_returned(dbapi_connection: Any, record: ConnectionPoolEntry) -> None:
    if dbapi_connection is not None:
        record.info[_RETURNED_AT] = time.monotonic()


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # Let SQLAlchemy own transactions: the driver's own BEGIN handling defers locks wrongly.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def _sqlite_begin(connection: Connection) -> None:
    # BEGIN IMMEDIATE takes the write lock up front, so a claim can never be lost to a racing
    # writer half-way through its read-then-update (DESIGN §7).
    connection.exec_driver_sql("BEGIN IMMEDIATE")


@contextmanager
def translated_errors() -> Iterator[None]:
    """Turn driver errors into ours, once, at the edge (CONVENTIONS 3.2)."""
    try:
        yield
    except OperationalError as exc:
        if is_unreachable(str(exc.orig)):
            raise DatabaseUnreachable(unreachable_message(_first_line(exc))) from exc
        raise StoreError(f"database error: {_first_line(exc)}") from exc
    except DBAPIError as exc:
        raise StoreError(f"database error: {_first_line(exc)}") from exc


def _first_line_of(exc: BaseException) -> str:
    return redact_text((str(exc).strip().splitlines() or [type(exc).__name__])[0])


def _first_line(exc: DBAPIError) -> str:
    """Return the driver's first line, with any connection string's password masked."""
    return first_line(str(exc.orig) if exc.orig else str(exc))
