"""The schema's revision read from the migration files' text: no Alembic, no SQLAlchemy.

A worker's boot and `xbot certify` compare the database's `alembic_version` with the newest
migration this code ships; only `xbot migrate` loads Alembic.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

from xbot.domain.errors import SchemaBehind

MIGRATIONS = Path(__file__).parent / "migrations"
#: the table Alembic keeps the database's revision in
VERSION_TABLE = "alembic_version"
_REVISION = re.compile(r"^revision\b[^=]*=\s*['\"]([^'\"]+)['\"]", re.MULTILINE)
_DOWN_REVISION = re.compile(r"^down_revision\b[^=]*=(.*)$", re.MULTILINE)
_QUOTED = re.compile(r"['\"]([^'\"]+)['\"]")


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


def single_revision(revisions: Sequence[str]) -> str | None:
    """Return the one revision `alembic_version` holds, None when empty; SchemaBehind if several."""
    if len(revisions) > 1:
        raise SchemaBehind(f"the database is at several revisions ({', '.join(revisions)})")
    return revisions[0] if revisions else None


def require_head(current: str | None) -> str:
    """Return `current`, or raise SchemaBehind naming the fix when it is not the newest."""
    head = head_revision()
    if current != head:
        found = current or "an empty database"
        raise SchemaBehind(
            f"the database schema is at {found}, this code needs {head}. Run `xbot migrate`."
        )
    return current
