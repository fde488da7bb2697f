"""intake_streams: per (account, stream) cursor, consumer lease and health (issue 16)

Additive: a new table, so workers on the previous revision keep working (they only poll).

Revision ID: 0012_intake_streams
Revises: 0011_console_covering_indexes
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import xbot.store.types

revision: str = "0012_intake_streams"
down_revision: str | None = "0011_console_covering_indexes"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_WHEN = xbot.store.types.UtcDateTime(timezone=True)


def _count(name: str, kind: sa.types.TypeEngine[int]) -> sa.Column[int]:
    return sa.Column(name, kind, server_default=sa.text("0"), nullable=False)


def upgrade() -> None:
    op.create_table(
        "intake_streams",
        sa.Column("account_id", _ID, nullable=False),
        sa.Column("stream", sa.String(length=32), nullable=False),
        sa.Column("cursor", sa.String(length=255), nullable=True),
        sa.Column("owner", sa.String(length=255), nullable=True),
        sa.Column("lease_until", _WHEN, nullable=True),
        _count("fence", sa.Integer()),
        sa.Column(
            "state", sa.String(length=16), server_default=sa.text("'stopped'"), nullable=False
        ),
        sa.Column("detail", sa.Text(), nullable=True),
        sa.Column("connected_since", _WHEN, nullable=True),
        sa.Column("last_event_at", _WHEN, nullable=True),
        sa.Column("lag_seconds", sa.Float(), nullable=True),
        _count("events", sa.BigInteger()),
        _count("admitted", sa.BigInteger()),
        _count("duplicates", sa.BigInteger()),
        _count("connects", sa.Integer()),
        _count("backfilled", sa.BigInteger()),
        sa.Column(
            "updated_at", _WHEN, server_default=sa.text("(CURRENT_TIMESTAMP)"), nullable=False
        ),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("fk_intake_streams_account_id_accounts")
        ),
        sa.PrimaryKeyConstraint("account_id", "stream", name=op.f("pk_intake_streams")),
    )


def downgrade() -> None:
    op.drop_table("intake_streams")
