"""The posting path's statements on the driver's cursor: compiled once per dialect, bound by type.

SQLAlchemy builds, caches and runs a statement in about 0.1-0.3 ms of Python; the claim and the
record run a handful per permit, so that was most of a permit's time outside the database. A
`Prepared` statement is compiled once per dialect (expanded IN lists rendered), and each run
binds the parameters with the column types' own processors, executes through the dialect's
`do_execute` on the transaction's connection and reads rows with the types' result processors:
the same SQL and values as `connection.execute`, without its per-call machinery. Driver errors
come out as SQLAlchemy's DBAPIError, so `translated_errors` handles them as before.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import exc
from sqlalchemy.engine import Connection, Dialect
from sqlalchemy.sql import ClauseElement

Processor = Callable[[Any], Any]


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
    return _Compiled(
        sql=state.statement,
        order=tuple(state.positiontup) if dialect.positional else None,
        defaults={key: value for key, value in state.parameters.items() if key not in unset},
        binders=processors,
        names=tuple(column.keyname for column in columns),
        readers=tuple(
            column.type._cached_result_processor(dialect, None)  # noqa: SLF001
            for column in columns
        ),
    )


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
    cursor = connection.connection.cursor()
    try:
        dialect.do_execute(cursor, compiled.sql, bound, None)
        raw = cursor.fetchall() if cursor.description else []
        rowcount = cursor.rowcount
    except dialect.loaded_dbapi.Error as error:
        raise exc.DBAPIError.instance(
            compiled.sql, bound, error, dialect.loaded_dbapi.Error, dialect=dialect
        ) from error
    finally:
        cursor.close()
    return Result(rows=[_row(compiled, row) for row in raw], rowcount=rowcount)


def _row(compiled: _Compiled, row: Sequence[Any]) -> dict[str, Any]:
    return {
        name: reader(value) if reader is not None else value
        for name, reader, value in zip(compiled.names, compiled.readers, row, strict=False)
    }
