"""encrypt accounts.session_state with XBOT_SECRET_KEY

Saved platform sessions (Bluesky JWTs, X OAuth 2 tokens) were plain JSON. With a key (handed
over by store/migrate.py as `config.attributes["secret_key"]`, never read from the environment
here) every plain row is sealed with the newest key. Without one the rows stay as they are: the
store reads plain rows transparently and seals each on its next write, and `xbot secrets rotate`
seals them all once a key is set. No schema change: the column stays JSON.

Revision ID: 0005_encrypt_session_state
Revises: 0004_permit_claimed_at
Create Date: 2026-12-01
"""

from collections.abc import Sequence
from typing import Any

from alembic import context, op
from sqlalchemy import Connection, column, select, table, update

from xbot.store.secretbox import SessionCipher, is_sealed
from xbot.store.types import JsonData

revision: str = "0005_encrypt_session_state"
down_revision: str | None = "0004_permit_claimed_at"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

accounts = table("accounts", column("id"), column("session_state", JsonData))


def upgrade() -> None:
    cipher = SessionCipher(context.config.attributes.get("secret_key"))
    if cipher.has_key:
        _rewrite(op.get_bind(), lambda stored: None if is_sealed(stored) else cipher.seal(stored))


def downgrade() -> None:
    cipher = SessionCipher(context.config.attributes.get("secret_key"))
    _rewrite(op.get_bind(), lambda stored: cipher.open(stored) if is_sealed(stored) else None)


def _rewrite(connection: Connection, change: Any) -> None:
    rows = connection.execute(
        select(accounts.c.id, accounts.c.session_state).where(accounts.c.session_state.is_not(None))
    ).all()
    for row in rows:
        if not row.session_state:
            continue
        changed = change(row.session_state)
        if changed is not None:
            connection.execute(
                update(accounts).where(accounts.c.id == row.id).values(session_state=changed)
            )
