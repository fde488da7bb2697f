"""Alembic from code: `xbot migrate`, the SQLite self-migration and the boot schema check.

Only migrating imports Alembic: the schema check reads the revisions from the migration files'
text and the database's `alembic_version` row, so `xbot certify` and a worker's boot do not pay
for Alembic, Mako and every migration module.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import Engine, inspect, text

from xbot.store.engine import translated_errors
from xbot.store.revisions import (
    MIGRATIONS,
    VERSION_TABLE,
    require_head,
    single_revision,
)

if TYPE_CHECKING:
    from alembic.config import Config
    from pydantic import SecretStr


def alembic_config(engine: Engine, secret_key: SecretStr | None = None) -> Config:
    """Return an Alembic config bound to `engine` (no alembic.ini needed).

    Migrations read XBOT_SECRET_KEY from `config.attributes["secret_key"]`, never the
    environment (0005 encrypts saved sessions with it).
    """
    from alembic.config import Config  # noqa: PLC0415 - only migrating pays for Alembic

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["engine"] = engine
    config.attributes["secret_key"] = secret_key
    return config


def current_revision(engine: Engine) -> str | None:
    """Return the revision the database is at, or None when it was never migrated."""
    with translated_errors(), engine.connect() as connection:
        if not inspect(connection).has_table(VERSION_TABLE):
            return None
        found = connection.execute(text(f"SELECT version_num FROM {VERSION_TABLE}")).scalars()
        revisions = list(found)
    return single_revision(revisions)


def upgrade(engine: Engine, secret_key: SecretStr | None = None) -> None:
    """Bring the database schema to the newest revision (the key encrypts saved sessions)."""
    from alembic import command  # noqa: PLC0415 - only migrating pays for Alembic

    with translated_errors():
        command.upgrade(alembic_config(engine, secret_key), "head")


def verify_schema(engine: Engine) -> str:
    """Return the current revision, or raise SchemaBehind when it is not the newest."""
    return require_head(current_revision(engine))
