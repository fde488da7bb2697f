"""Certify's driver snapshot: parameters bound as the checks expect, errors on one line."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from xbot.domain.errors import ConfigError, DatabaseUnreachable
from xbot.store.revisions import head_revision
from xbot.store.snapshot import open_snapshot

NOW = datetime(2026, 12, 2, 4, 30, tzinfo=UTC)


def test_parameters_bind_with_the_types_the_checks_compare(database_url: str) -> None:
    sql = (
        "SELECT 'a%b' AS literal, :missing IS NULL AS missing, :name AS name,\n"
        "       :day AS day, :count + 1 AS next -- a comment with :colon and 100%\n"
    )
    with open_snapshot(database_url) as snapshot:
        columns, rows = snapshot.rows(
            sql, {"missing": None, "name": "acme", "day": date(2026, 12, 2), "count": 41}
        )
    assert columns == ("literal", "missing", "name", "day", "next")
    literal, missing, name, day, following = rows[0]
    assert (literal, bool(missing), name, str(day), following) == (
        "a%b",
        True,
        "acme",
        "2026-12-02",
        42,
    )


def test_moments_compare_with_what_the_workers_stored(database_url: str) -> None:
    # workers store events through SQLAlchemy (naive UTC text on SQLite, timestamptz on PostgreSQL)
    from sqlalchemy import insert

    from xbot.store.engine import make_engine
    from xbot.store.tables import system_events

    engine = make_engine(database_url)
    with engine.begin() as connection:
        connection.execute(
            insert(system_events).values(event_type="probe", severity="info", created_at=NOW)
        )
    engine.dispose()
    sql = "SELECT COUNT(*) FROM system_events WHERE event_type = 'probe' AND created_at >= :since"
    with open_snapshot(database_url) as snapshot:
        assert snapshot.rows(sql, {"since": NOW - timedelta(microseconds=1)})[1] == [(1,)]
        assert snapshot.rows(sql, {"since": NOW + timedelta(microseconds=1)})[1] == [(0,)]
        assert snapshot.revisions() == [head_revision()]


def test_a_missing_sqlite_file_is_reported_and_not_created(tmp_path: Path) -> None:
    path = tmp_path / "absent.db"
    with (
        pytest.raises(DatabaseUnreachable, match="xbot migrate"),
        open_snapshot(f"sqlite:///{path}"),
    ):
        pass
    assert not path.exists()


def test_an_unreachable_server_is_one_line_without_the_password() -> None:
    url = "postgresql+psycopg://bot:hunter2secret@127.0.0.1:1/xbot"
    with pytest.raises(DatabaseUnreachable) as raised, open_snapshot(url):
        pass
    message = str(raised.value)
    assert "hunter2secret" not in message
    assert "\n" not in message
    assert "XBOT_DATABASE_URL" in message


def test_an_unknown_scheme_names_the_fix() -> None:
    with pytest.raises(ConfigError, match="Fix XBOT_DATABASE_URL"), open_snapshot("mysql://x/y"):
        pass
