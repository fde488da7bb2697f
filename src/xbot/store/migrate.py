"""Alembic from code: `xbot migrate`, the SQLite self-migration and the boot schema check.

Only migrating imports Alembic: the schema check reads the revisions from the migration files'
text and the database's `alembic_version` row, so `xbot certify` and a worker's boot do not pay
for Alembic, Mako and every migration module.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Engine, inspect, text

from xbot.domain.errors import SchemaBehind
from xbot.store.engine import translated_errors

if TYPE_CHECKING:
    from alembic.config import Config
    from pydantic import SecretStr

MIGRATIONS = Path(__file__).parent / "migrations"
#: the table Alembic keeps the database's revision in
VERSION_TABLE = "alembic_version"
_REVISION = re.compile(r"^revision\b[^=]*=\s*['\"]([^'\"]+)['\"]", re.MULTILINE)
_DOWN_REVISION = re.compile(r"^down_revision\b[^=]*=(.*)$", re.MULTILINE)
_QUOTED = re.compile(r"['\"]([^'\"]+)['\"]")


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


def head_revision() -> str:
    """Return the newest migration this code knows: the one no other migration revises."""
    revisions: set[str] = set()
    revised: set[str] = set()
    for path in (MIGRATIONS / "versions").glob("*.py"):
        source = path.read_text(encoding="utf-8")
        revisions.update(_REVISION.findall(source))
        for down in _DOWN_REVISION.findall(source):
            revised.update(_QUOTED.findall(down))
    heads = sorted(revisions - revised)
    if len(heads) != 1:  # pragma: no cover - the package always ships one line of migrations
        raise SchemaBehind(f"this build ships {len(heads)} migration heads ({', '.join(heads)})")
    return heads[0]


def current_revision(engine: Engine) -> str | None:
    """Return the revision the database is at, or None when it was never migrated."""
    with translated_errors(), engine.connect() as connection:
        if not inspect(connection).has_table(VERSION_TABLE):
            return None
        found = connection.execute(text(f"SELECT version_num FROM {VERSION_TABLE}")).scalars()
        revisions = list(found)
    if len(revisions) > 1:
        raise SchemaBehind(f"the database is at several revisions ({', '.join(revisions)})")
    return revisions[0] if revisions else None


def upgrade(engine: Engine, secret_key: SecretStr | None = None) -> None:
    """Bring the database schema to the newest revision (the key encrypts saved sessions)."""
    from alembic import command  # noqa: PLC0415 - only migrating pays for Alembic

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
