"""The posting path's statements on the driver's cursor: compiled once per dialect, bound by type.

SQLAlchemy builds, caches and runs a statement in about 0.1-0.3 ms of Python; the claim and the
record run a handful per permit, so that was most of a permit's time outside the database. A
`Prepared` statement is compiled once per dialect (expanded IN lists rendered), and each run
binds the parameters with the column types' own processors, executes through the dialect's
`do_execute` on the transaction's connection and reads rows with the types' result processors:
the same SQL and values as `connection.execute`, without its per-call machinery. Driver errors
come out as SQLAlchemy's DBAPIError, so `translated_errors` handles them as before.

On psycopg the statement is compiled once more, to PostgreSQL's own `$1` placeholders, and runs
on a raw cursor: psycopg otherwise parses `%(name)s` placeholders on every call, and caches that
parse only for statements under 4 KB, which the claim's read (8.5 KB) is not.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import exc
from sqlalchemy.engine import Connection, Dialect
from sqlalchemy.sql import ClauseElement

Processor = Callable[[Any], Any]
#: a pyformat placeholder, or an escaped percent sign
_PYFORMAT = re.compile(r"%%|%\((\w+)\)s")


@dataclass(frozen=True, slots=True)
class _Compiled:
    sql: str
    #: bind names in the order a positional driver takes them; None for a named paramstyle
    order: tuple[str, ...] | None
    #: values the statement carries itself (constants, expanded IN lists)
    defaults: Mapping[str, Any]
    binders: Mapping[str, Processor]
    names: tuple[str, ...]
    readers: tuple[Processor | None, ...]
    #: `sql` uses PostgreSQL's `$n` placeholders, for psycopg's raw cursor (values in `order`)
    raw: bool = False


class Prepared:
    """One statement, compiled on first use per dialect."""

    def __init__(self, statement: ClauseElement) -> None:
        self.statement = statement
        self._compiled: dict[str, _Compiled] = {}

    def compiled(self, dialect: Dialect) -> _Compiled:
        """Return the statement compiled for `dialect` (once)."""
        found = self._compiled.get(dialect.name)
        if found is None:
            found = self._compiled[dialect.name] = _compile(self.statement, dialect)
        return found


def _compile(statement: ClauseElement, dialect: Dialect) -> _Compiled:
    compiled: Any = statement.compile(dialect=dialect)
    unset = {key: None for key, bind in compiled.binds.items() if bind.value is None}
    state = compiled.construct_expanded_state(unset)
    every = {**compiled._bind_processors, **state.processors}  # noqa: SLF001 - the types' own
    processors = {
        name: processor
        for name, processor in every.items()
        if processor is not None and name in state.parameters
    }
    columns = compiled._result_columns  # noqa: SLF001 - the compiled statement's own column types
    sql, order = state.statement, tuple(state.positiontup) if dialect.positional else None
    raw = dialect.driver == "psycopg" and order is None
    if raw:
        sql, order = _numbered(sql)
    return _Compiled(
        sql=sql,
        order=order,
        defaults={key: value for key, value in state.parameters.items() if key not in unset},
        binders=processors,
        names=tuple(column.keyname for column in columns),
        readers=tuple(
            column.type._cached_result_processor(dialect, None)  # noqa: SLF001
            for column in columns
        ),
        raw=raw,
    )


def _numbered(sql: str) -> tuple[str, tuple[str, ...]]:
    """Return pyformat SQL with `$n` placeholders (one per name), and the names in `$n` order."""
    order: list[str] = []

    def number(match: re.Match[str]) -> str:
        name = match.group(1)
        if name is None:
            return "%"
        if name not in order:
            order.append(name)
        return f"${order.index(name) + 1}"

    return _PYFORMAT.sub(number, sql), tuple(order)


@dataclass(frozen=True, slots=True)
class Result:
    """The rows a statement returned (as mappings) and how many rows it changed."""

    rows: list[dict[str, Any]]
    rowcount: int


def run(connection: Connection, prepared: Prepared, params: Mapping[str, Any]) -> Result:
    """Run the statement in the connection's transaction and return its rows."""
    dialect = connection.dialect
    compiled = prepared.compiled(dialect)
    values = {**compiled.defaults, **params}
    binders = compiled.binders
    for name, binder in binders.items():
        values[name] = binder(values[name])
    bound: Sequence[Any] | Mapping[str, Any] = (
        values if compiled.order is None else tuple(values[name] for name in compiled.order)
    )
    cursor = _raw_cursor(connection) if compiled.raw else connection.connection.cursor()
    try:
        dialect.do_execute(cursor, compiled.sql, bound, None)
        # the compiled columns say whether rows come back: `description` builds them per call
        raw = cursor.fetchall() if compiled.names or cursor.description else []
        rowcount = cursor.rowcount
    except dialect.loaded_dbapi.Error as error:
        raise exc.DBAPIError.instance(
            compiled.sql, bound, error, dialect.loaded_dbapi.Error, dialect=dialect
        ) from error
    finally:
        cursor.close()
    return Result(rows=[_row(compiled, row) for row in raw], rowcount=rowcount)


def _raw_cursor(connection: Connection) -> Any:
    from psycopg import RawCursor  # noqa: PLC0415 - only a psycopg engine gets here

    return RawCursor(connection.connection.driver_connection)  # type: ignore[arg-type]


def _row(compiled: _Compiled, row: Sequence[Any]) -> dict[str, Any]:
    return {
        name: reader(value) if reader is not None else value
        for name, reader, value in zip(compiled.names, compiled.readers, row, strict=False)
    }
