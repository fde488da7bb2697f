"""What ran: placeholders, literals per dialect and the SQL with its parameters written in."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from xbot.certify.context import sha_matches, short
from xbot.certify.evidence import inline_parameters, placeholder_names, sql_literal

MOMENT = datetime(2026, 1, 9, 19, 51, 25, 342000, tzinfo=UTC)


def test_placeholders_skip_casts_and_comments() -> None:
    sql = "SELECT x::text, :b -- not :c\nFROM t WHERE a = :a AND b = :b"
    assert placeholder_names(sql) == ("b", "a")


def test_literals_follow_the_dialect() -> None:
    assert sql_literal(MOMENT, "postgresql") == "'2026-01-09T19:51:25.342000+00:00'"
    assert sql_literal(MOMENT, "sqlite") == "'2026-01-09 19:51:25.342000'"
    other_zone = MOMENT.astimezone(timezone(timedelta(hours=2)))
    assert sql_literal(other_zone, "sqlite") == "'2026-01-09 19:51:25.342000'"
    assert sql_literal(None, "sqlite") == "NULL"
    assert sql_literal("o'brien", "postgresql") == "'o''brien'"
    assert sql_literal(3, "sqlite") == "3"
    assert sql_literal(True, "postgresql") == "TRUE"
    assert sql_literal(True, "sqlite") == "1"


def test_inline_parameters_writes_every_placeholder_once_per_use() -> None:
    sql = "SELECT (e.event_data->>'n')::int -- at :now\nWHERE a >= :since AND (:account IS NULL)"
    inlined = inline_parameters(sql, {"since": MOMENT, "account": None}, "postgresql")
    assert inlined == (
        "SELECT (e.event_data->>'n')::int -- at :now\n"
        "WHERE a >= '2026-01-09T19:51:25.342000+00:00' AND (NULL IS NULL)"
    )


def test_sha_matching_accepts_abbreviations_of_seven_or_more() -> None:
    full = "5a8a81ca3f0e4c7d9b2a1e6f8c0d4b3a2e1f0a9b"
    assert sha_matches(full, "5a8a81ca")
    assert sha_matches("5A8A81C", full)
    assert not sha_matches(full, "5a8a8")  # too short to name a commit
    assert not sha_matches("e35a4371", "fdf00f1e")
    assert not sha_matches("unknown", "unknown")
    assert not sha_matches(None, full)
    assert short(full) == "5a8a81ca"
    assert short("unknown") == "unknown"
