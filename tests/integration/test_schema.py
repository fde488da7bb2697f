"""The migrated schema equals the table definitions, on SQLite and PostgreSQL."""

from __future__ import annotations

import warnings
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, inspect, text

from xbot.domain.errors import SchemaBehind
from xbot.store.engine import make_engine
from xbot.store.migrate import current_revision, verify_schema
from xbot.store.revisions import head_revision
from xbot.store.tables import metadata

#: PostgreSQL-only indexes on an expression (migration 0011): SQLite cannot reflect them, so
#: alembic skips them there; test_expression_indexes_exist_on_postgresql_only checks them by
#: name instead
EXPRESSION_INDEXES = {
    "ix_system_events_event_data_permit_id",
    "ix_system_events_event_data_decision_id",
}


def test_migrated_schema_matches_tables(engine: Engine) -> None:
    with engine.connect() as connection, warnings.catch_warnings():
        if engine.dialect.name == "sqlite":
            warnings.filterwarnings("ignore", message=".*expression-based index.*")
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, metadata) == []


def test_expression_indexes_exist_on_postgresql_only(engine: Engine) -> None:
    query = (
        "SELECT name FROM sqlite_master WHERE type = 'index'"
        if engine.dialect.name == "sqlite"
        else "SELECT indexname FROM pg_indexes"
    )
    with engine.connect() as connection:
        names = set(connection.execute(text(query)).scalars())
    expected = EXPRESSION_INDEXES if engine.dialect.name == "postgresql" else set()
    assert names & EXPRESSION_INDEXES == expected


def test_every_design_table_exists(engine: Engine) -> None:
    names = set(inspect(engine).get_table_names())
    expected = {
        "accounts",
        "system_events",
        "reply_candidate_queue",
        "reply_decisions",
        "post_attempts",
        "ghost_tweets",
        "deployments",
        "workers",
        "job_runs",
        "leases",
    }
    assert expected <= names


def test_verify_schema_accepts_head(engine: Engine) -> None:
    assert verify_schema(engine) == head_revision()


def test_seed_column_names_are_verbatim(engine: Engine) -> None:
    with engine.connect() as connection:
        connection.execute(
            text(
                "SELECT permit_id, decision_id, actual_tweet_id, used_at, pipeline_source, status "
                "FROM post_attempts WHERE status = 'USED'"
            )
        ).all()
        connection.execute(
            text("SELECT created_at, event_type, event_data FROM system_events")
        ).all()


def test_head_revision_read_from_the_files_is_alembics_head() -> None:
    from alembic.script import ScriptDirectory

    from xbot.store.migrate import MIGRATIONS

    assert head_revision() == ScriptDirectory(str(MIGRATIONS)).get_current_head()


def test_an_unmigrated_database_is_behind(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'empty.db'}")
    try:
        assert current_revision(engine) is None
        with pytest.raises(SchemaBehind, match="at an empty database, this code needs"):
            verify_schema(engine)
    finally:
        engine.dispose()


def test_a_database_at_an_older_revision_is_behind(engine: Engine) -> None:
    with engine.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = '0001'"))
    assert current_revision(engine) == "0001"
    with pytest.raises(SchemaBehind, match=f"at 0001, this code needs {head_revision()}"):
        verify_schema(engine)
