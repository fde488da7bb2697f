"""The checks' SQL: `.sql` files of `-- name --` blocks, each with `-- description` lines.

`checks.sql` (and `checks_accounts.sql`, check I's) holds what both dialects share;
`checks_<dialect>.sql` holds what differs and overrides a shared query of the same name
(CONVENTIONS 3.1).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from importlib import resources

HEADER = re.compile(r"^-- ([a-z0-9_]+) --$", re.MULTILINE)
DIALECTS = ("postgresql", "sqlite")


@dataclass(frozen=True, kw_only=True, slots=True)
class Query:
    """One named statement and what it proves."""

    name: str
    description: str
    sql: str


def parse_query_file(content: str) -> dict[str, Query]:
    """Split a file into its named queries; text before the first header is ignored."""
    parts = HEADER.split(content)
    queries: dict[str, Query] = {}
    for name, body in zip(parts[1::2], parts[2::2], strict=True):
        description, sql = _split_description(body.strip("\n"))
        if not sql:
            raise ValueError(f"query {name!r} has no SQL")
        queries[name] = Query(name=name, description=description, sql=sql)
    return queries


def _split_description(body: str) -> tuple[str, str]:
    lines = body.splitlines()
    taken = 0
    while taken < len(lines) and lines[taken].startswith("-- "):
        taken += 1
    description = " ".join(line.removeprefix("-- ").strip() for line in lines[:taken])
    return description, "\n".join(lines[taken:]).strip().rstrip(";")


def load_queries(dialect: str) -> dict[str, Query]:
    """Return every check query for `dialect`, the dialect's own file overriding the shared one."""
    if dialect not in DIALECTS:
        raise ValueError(f"certification supports {', '.join(DIALECTS)}, not {dialect}")
    queries = parse_query_file(_read("checks.sql"))
    queries.update(parse_query_file(_read("checks_accounts.sql")))
    queries.update(parse_query_file(_read("checks_compliance.sql")))
    queries.update(parse_query_file(_read(f"checks_{dialect}.sql")))
    return queries


def _read(filename: str) -> str:
    return resources.files(__package__).joinpath(filename).read_text(encoding="utf-8")
