"""Read typed values out of one evidence row (a query's columns as the driver returned them)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

#: one result row of a check query (xbot.certify.evidence: Decimals and `_at` texts converted)
Row = Mapping[str, Any]


def count(row: Row, key: str) -> int:
    """Return a count or sum; NULL and a missing column are 0."""
    return int(row.get(key) or 0)


def moment(row: Row, key: str) -> datetime | None:
    """Return a time; anything but a datetime (NULL, a missing column) is None."""
    value = row.get(key)
    return value if isinstance(value, datetime) else None


def required_moment(row: Row, key: str) -> datetime:
    """Return a NOT NULL time column."""
    value = row[key]
    if not isinstance(value, datetime):
        raise TypeError(f"column {key} is {type(value).__name__}, not a datetime")
    return value


def text(row: Row, key: str) -> str | None:
    """Return a text column; NULL and a missing column are None."""
    value = row.get(key)
    return None if value is None else str(value)


def moment_or_text(row: Row, key: str) -> datetime | str | None:
    """Return a time column the query does not name `_at`: SQLite's driver returns its text."""
    value = row.get(key)
    return value if value is None or isinstance(value, datetime) else str(value)
