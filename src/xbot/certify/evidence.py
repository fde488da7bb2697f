"""Run one named check query and keep what ran: the SQL, its parameters and its rows."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any

from xbot.certify.model import Evidence
from xbot.certify.queries import Query
from xbot.domain.clock import ensure_utc
from xbot.store.snapshot import PLACEHOLDER, SQLITE_TIMESTAMP, Snapshot


class QueryRunner:
    """Execute check queries on one snapshot and return each as Evidence."""

    def __init__(self, snapshot: Snapshot, queries: Mapping[str, Query]) -> None:
        self.snapshot = snapshot
        self.queries = queries
        self.dialect = snapshot.dialect

    def __call__(self, name: str, **parameters: Any) -> Evidence:
        """Run the query `name` with the parameters it names; return what ran and its rows."""
        query = self.queries[name]
        used = {key: parameters[key] for key in placeholder_names(query.sql)}
        columns, found = self.snapshot.rows(query.sql, used)
        rows = tuple(
            {column: plain_value(column, value) for column, value in zip(columns, row, strict=True)}
            for row in found
        )
        return Evidence(
            name=name,
            description=query.description,
            dialect=self.dialect,
            sql=query.sql,
            sql_inline=inline_parameters(query.sql, used, self.dialect),
            parameters=used,
            columns=columns,
            rows=rows,
        )


def placeholder_names(sql: str) -> tuple[str, ...]:
    """Return the distinct :name placeholders of `sql`, in order of first use."""
    return tuple(dict.fromkeys(PLACEHOLDER.findall(_without_comments(sql))))


def _without_comments(sql: str) -> str:
    return "\n".join(line.split("--", 1)[0] for line in sql.splitlines())


def plain_value(column: str, value: Any) -> Any:
    """Return a driver value as the report keeps it: aware UTC datetimes, ints for whole sums."""
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if column.endswith("_at") and isinstance(value, str):
        return ensure_utc(datetime.fromisoformat(value))
    if isinstance(value, datetime):
        return ensure_utc(value)
    return value


def inline_parameters(sql: str, parameters: Mapping[str, Any], dialect: str) -> str:
    """Return `sql` with each placeholder written as a literal of `dialect`, ready to paste."""

    def replace(match: re.Match[str]) -> str:
        name = match.group(1)
        return sql_literal(parameters[name], dialect) if name in parameters else match.group(0)

    lines = []
    for line in sql.splitlines():
        code, sep, comment = line.partition("--")
        lines.append(PLACEHOLDER.sub(replace, code) + sep + comment)
    return "\n".join(lines)


def sql_literal(value: Any, dialect: str) -> str:
    """Return `value` as an SQL literal of `dialect`."""
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return ("TRUE" if value else "FALSE") if dialect == "postgresql" else str(int(value))
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, datetime):
        moment = ensure_utc(value)
        shown = moment.isoformat() if dialect == "postgresql" else moment.strftime(SQLITE_TIMESTAMP)
        return f"'{shown}'"
    return "'" + str(value).replace("'", "''") + "'"
