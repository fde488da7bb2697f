"""Connections: one engine per process, SQLite tuned for a single worker, errors translated."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import Connection
from sqlalchemy.exc import ArgumentError, DBAPIError, OperationalError

from xbot.domain.errors import ConfigError, DatabaseUnreachable, StoreError
from xbot.redact import redact_text, redact_url

SQLITE_BUSY_TIMEOUT_MS = 10_000


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
        return create_engine(url, pool_pre_ping=True, connect_args=_postgres_args(url))
    except (ArgumentError, ImportError, ValueError) as exc:
        raise ConfigError(
            f"cannot use database URL {redact_url(url)!r}: {redact_text(str(exc))}. "
            "Fix XBOT_DATABASE_URL."
        ) from None


def _postgres_args(url: str) -> dict[str, Any]:
    return {"connect_timeout": 5} if "psycopg" in url else {}


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
        if _is_unreachable(exc):
            raise DatabaseUnreachable(
                f"the database cannot be reached ({_first_line(exc)}). "
                "Check XBOT_DATABASE_URL and that the server is running."
            ) from exc
        raise StoreError(f"database error: {_first_line(exc)}") from exc
    except DBAPIError as exc:
        raise StoreError(f"database error: {_first_line(exc)}") from exc


def _is_unreachable(exc: OperationalError) -> bool:
    text = str(exc.orig).lower()
    needles = ("connection refused", "could not connect", "unable to open", "timeout expired")
    return any(needle in text for needle in needles) or ("connection" in text and "failed" in text)


def _first_line(exc: DBAPIError) -> str:
    """Return the driver's first line, with any connection string's password masked."""
    line = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc).splitlines()[0]
    return redact_text(line)
