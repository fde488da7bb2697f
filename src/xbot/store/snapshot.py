"""One read-only snapshot on the DB-API driver alone, for `xbot certify`.

Certify runs its checks' `.sql` files as they are written; it needs a connection, a consistent
snapshot and its parameters bound, not SQLAlchemy, whose import was a third of the command's
time. PostgreSQL: psycopg, `REPEATABLE READ READ ONLY`, `:name` placeholders rewritten with
the casts SQLAlchemy's psycopg dialect would add. SQLite: the stdlib driver, a deferred
`BEGIN` (a WAL reader: certify never holds the write lock), timestamps bound in the text form
the columns store. Driver errors come out as `StoreError`/`DatabaseUnreachable`, once, here.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, Protocol

from xbot.domain.errors import ConfigError, DatabaseUnreachable, StoreError
from xbot.store.driver_errors import first_line, is_unreachable, unreachable_message

#: `:name` as the checks write it; `::` casts are not placeholders
PLACEHOLDER = re.compile(r"(?<![:\w]):(\w+)(?![:\w])")
#: how a UtcDateTime column stores a moment on SQLite: naive UTC text that sorts by time
SQLITE_TIMESTAMP = "%Y-%m-%d %H:%M:%S.%f"
SQLITE_BUSY_SECONDS = 10.0
POSTGRES_CONNECT_TIMEOUT = 5
#: the table Alembic keeps the database's revision in
VERSION_TABLE = "alembic_version"

Rows = tuple[tuple[str, ...], list[tuple[Any, ...]]]


class _Cursor(Protocol):
    @property
    def description(self) -> Sequence[Any] | None: ...

    def execute(self, sql: str, parameters: Any = ..., /) -> Any: ...
    def fetchall(self) -> list[Any]: ...


@dataclass(frozen=True, slots=True)
class Snapshot:
    """A read-only transaction: run statements, read the database's clock and revision."""

    dialect: str
    cursor: _Cursor

    def rows(self, sql: str, parameters: Mapping[str, Any]) -> Rows:
        """Run `sql` with its `:name` parameters; return the column names and the rows."""
        statement, bound = _bind(sql, parameters, self.dialect)
        try:
            self.cursor.execute(statement, bound)
            columns = tuple(str(column[0]) for column in self.cursor.description or ())
            return columns, [tuple(row) for row in self.cursor.fetchall()]
        except (sqlite3.Error, _psycopg_error()) as exc:
            raise StoreError(f"database error: {first_line(str(exc))}") from exc

    def now(self) -> datetime:
        """Return the database's clock on PostgreSQL (the workers' clock), else this process's."""
        if self.dialect != "postgresql":
            return datetime.now(UTC)
        _columns, found = self.rows("SELECT clock_timestamp()", {})
        moment: datetime = found[0][0]
        return moment.astimezone(UTC)

    def revisions(self) -> list[str] | None:
        """Return the revisions in `alembic_version`, or None when the table does not exist."""
        exists = (
            "SELECT to_regclass(:table) IS NOT NULL"
            if self.dialect == "postgresql"
            else "SELECT COUNT(*) > 0 FROM sqlite_master WHERE type = 'table' AND name = :table"
        )
        _columns, found = self.rows(exists, {"table": VERSION_TABLE})
        if not found[0][0]:
            return None
        _columns, versions = self.rows(f"SELECT version_num FROM {VERSION_TABLE}", {})
        return [str(row[0]) for row in versions]


@contextmanager
def open_snapshot(url: str) -> Iterator[Snapshot]:
    """Open `url` (as XBOT_DATABASE_URL gives it) and yield one read-only snapshot of it."""
    scheme = url.partition("://")[0].partition("+")[0].lower()
    if scheme == "sqlite":
        with _sqlite_snapshot(url) as snapshot:
            yield snapshot
        return
    if scheme in {"postgresql", "postgres"}:
        with _postgres_snapshot(url) as snapshot:
            yield snapshot
        return
    raise ConfigError(
        f"cannot read database URL scheme {scheme!r}: use sqlite:///FILE or "
        "postgresql+psycopg://USER@HOST/DB. Fix XBOT_DATABASE_URL."
    )


def sqlite_path(url: str) -> str | None:
    """Return the file a `sqlite://` URL names, or None for an in-memory database."""
    path = url.partition("://")[2].removeprefix("/").partition("?")[0]
    return path if path not in {"", ":memory:"} else None


@contextmanager
def _sqlite_snapshot(url: str) -> Iterator[Snapshot]:
    path = sqlite_path(url)
    if path is None or not Path(path).exists():
        # connecting would create an empty file; certify must not
        raise DatabaseUnreachable(
            f"there is no SQLite database at {path or ':memory:'}. "
            "Check XBOT_DATABASE_URL, or create it with `xbot migrate`."
        )
    try:
        connection = sqlite3.connect(path, timeout=SQLITE_BUSY_SECONDS, isolation_level=None)
    except sqlite3.Error as exc:
        raise DatabaseUnreachable(unreachable_message(first_line(str(exc)))) from exc
    try:
        cursor = connection.cursor()
        cursor.execute("BEGIN")  # deferred: the snapshot starts at the first read
        yield Snapshot("sqlite", cursor)
    finally:
        connection.close()


@contextmanager
def _postgres_snapshot(url: str) -> Iterator[Snapshot]:
    import psycopg  # noqa: PLC0415 - only a PostgreSQL certification pays for the driver

    conninfo = "postgresql://" + url.partition("://")[2]
    try:
        connection = psycopg.connect(conninfo, connect_timeout=POSTGRES_CONNECT_TIMEOUT)
    except psycopg.Error as exc:
        line = first_line(str(exc))
        if is_unreachable(str(exc)):
            raise DatabaseUnreachable(unreachable_message(line)) from exc
        raise StoreError(f"database error: {line}") from exc
    try:
        with connection.cursor() as cursor:
            cursor.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
            yield Snapshot("postgresql", cursor)
    finally:
        connection.close()


def _psycopg_error() -> type[Exception]:
    try:
        import psycopg  # noqa: PLC0415 - loaded already when the snapshot is PostgreSQL's
    except ImportError:  # pragma: no cover - psycopg is a dependency
        return sqlite3.Error
    return psycopg.Error


def _bind(sql: str, parameters: Mapping[str, Any], dialect: str) -> tuple[str, dict[str, Any]]:
    if dialect != "postgresql":
        return sql, {key: _sqlite_value(value) for key, value in parameters.items()}
    lines = []
    for line in sql.splitlines():
        code, separator, comment = line.replace("%", "%%").partition("--")  # % is psycopg's
        code = PLACEHOLDER.sub(lambda match: _postgres_placeholder(match, parameters), code)
        lines.append(code + separator + comment)
    return "\n".join(lines), dict(parameters)


def _postgres_placeholder(match: re.Match[str], parameters: Mapping[str, Any]) -> str:
    name = match.group(1)
    value = parameters.get(name)
    if isinstance(value, datetime):
        cast = "::timestamptz"
    elif isinstance(value, date):
        cast = "::date"
    elif value is None or isinstance(value, str):
        cast = "::varchar"
    else:
        cast = ""
    return f"%({name})s{cast}"


def _sqlite_value(value: Any) -> Any:
    if isinstance(value, datetime):
        moment = value if value.tzinfo is None else value.astimezone(UTC).replace(tzinfo=None)
        return moment.strftime(SQLITE_TIMESTAMP)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bool):
        return int(value)
    return value
