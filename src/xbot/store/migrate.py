"""Alembic from code: `xbot migrate`, the SQLite self-migration and the boot schema check."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from pydantic import SecretStr
from sqlalchemy import Engine

from xbot.domain.errors import SchemaBehind
from xbot.store.engine import translated_errors

MIGRATIONS = Path(__file__).parent / "migrations"


def alembic_config(engine: Engine, secret_key: SecretStr | None = None) -> Config:
    """Return an Alembic config bound to `engine` (no alembic.ini needed).

    Migrations read XBOT_SECRET_KEY from `config.attributes["secret_key"]`, never the
    environment (0005 encrypts saved sessions with it).
    """
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["engine"] = engine
    config.attributes["secret_key"] = secret_key
    return config


def head_revision() -> str:
    """Return the newest migration this code knows."""
    head = ScriptDirectory(str(MIGRATIONS)).get_current_head()
    if head is None:  # pragma: no cover - the package always ships migrations
        raise SchemaBehind("this build ships no migrations")
    return head


def current_revision(engine: Engine) -> str | None:
    """Return the revision the database is at, or None when it was never migrated."""
    with translated_errors(), engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def upgrade(engine: Engine, secret_key: SecretStr | None = None) -> None:
    """Bring the database schema to the newest revision (the key encrypts saved sessions)."""
    with translated_errors():
        command.upgrade(alembic_config(engine, secret_key), "head")


def verify_schema(engine: Engine) -> str:
    """Return the current revision, or raise SchemaBehind when it is not the newest."""
    current = current_revision(engine)
    head = head_revision()
    if current != head:
        found = current or "an empty database"
        raise SchemaBehind(
            f"the database schema is at {found}, this code needs {head}. Run `xbot migrate`."
        )
    return current
