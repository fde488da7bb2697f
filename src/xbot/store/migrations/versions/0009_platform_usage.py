"""platform_usage: what the platform calls cost, per account, UTC day and endpoint class

Additive: a new table, so workers of the previous release keep working beside this one.

Revision ID: 0009_platform_usage
Revises: 0008_console_indexes
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import xbot.store.types

revision: str = "0009_platform_usage"
down_revision: str | None = "0008_console_indexes"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "platform_usage",
        sa.Column("account_id", _ID, nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("endpoint_class", sa.String(length=32), nullable=False),
        sa.Column("calls", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
        sa.Column("units", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
        sa.Column("cost_micro_usd", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
        sa.Column(
            "updated_at",
            xbot.store.types.UtcDateTime(timezone=True),
            server_default=sa.text("(CURRENT_TIMESTAMP)"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("fk_platform_usage_account_id_accounts")
        ),
        sa.PrimaryKeyConstraint(
            "account_id", "day", "endpoint_class", name=op.f("pk_platform_usage")
        ),
    )
    with op.batch_alter_table("platform_usage", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_platform_usage_day"), ["day"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("platform_usage", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_platform_usage_day"))
    op.drop_table("platform_usage")
