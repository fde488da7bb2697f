"""The check SQL files: `-- name --` blocks with descriptions, complete for both dialects."""

from __future__ import annotations

import pytest

from xbot.certify.evidence import placeholder_names
from xbot.certify.queries import DIALECTS, load_queries, parse_query_file
from xbot.domain.claims import ClaimRefusalReason

#: every parameter a check passes; a query naming anything else could never run
KNOWN_PARAMETERS = {
    "now",
    "window_start",
    "since",
    "sha",
    "account",
    "stale_before",
    "handle",
    "day_start",
    "today",
    "month_start",
}


def test_parse_query_file_splits_names_descriptions_and_sql() -> None:
    content = """-- This header is ignored.
-- so is this line

-- first --
-- What the first one proves,
-- over two lines.
SELECT 1;

-- second_query --
SELECT 2
  -- a comment inside the body stays
FROM dual
"""
    queries = parse_query_file(content)
    assert list(queries) == ["first", "second_query"]
    assert queries["first"].description == "What the first one proves, over two lines."
    assert queries["first"].sql == "SELECT 1"
    assert queries["second_query"].description == ""
    assert (
        queries["second_query"].sql == "SELECT 2\n  -- a comment inside the body stays\nFROM dual"
    )


def test_a_header_without_sql_is_an_error() -> None:
    with pytest.raises(ValueError, match="empty"):
        parse_query_file("-- empty --\n-- only a description\n")


@pytest.mark.parametrize("dialect", DIALECTS)
def test_every_query_has_a_description_and_known_parameters(dialect: str) -> None:
    queries = load_queries(dialect)
    for query in queries.values():
        assert query.description, query.name
        assert set(placeholder_names(query.sql)) <= KNOWN_PARAMETERS, query.name


def test_both_dialects_define_the_same_queries() -> None:
    postgresql, sqlite = load_queries("postgresql"), load_queries("sqlite")
    assert set(postgresql) == set(sqlite)
    assert {
        "running_sha",
        "worker_alive",
        "fetch_runs",
        "queue",
        "scheduler_runs",
        "accepted_permit",
        "trace_chain",
        "ghost_scans",
        "stuck_permits",
        "duplicate_posts",
    } <= set(postgresql)


def test_json_access_differs_where_the_dialects_differ() -> None:
    assert "->>" in load_queries("postgresql")["running_sha"].sql
    assert "json_extract" in load_queries("sqlite")["running_sha"].sql
    assert "->>" not in load_queries("sqlite")["accepted_permit"].sql


def test_an_unknown_dialect_is_refused() -> None:
    with pytest.raises(ValueError, match="mysql"):
        load_queries("mysql")


@pytest.mark.parametrize("dialect", DIALECTS)
def test_every_refusal_the_post_job_writes_is_counted(dialect: str) -> None:
    queries = load_queries(dialect)
    for reason in ClaimRefusalReason:
        event = f"'posting_blocked_{reason.value}'"
        assert event in queries["blocked_attempts"].sql
        assert event in queries["accepted_permit"].sql
