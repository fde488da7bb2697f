"""opt_outs: authors who asked not to be answered, per platform (issue 15)

Additive: a new table, so workers on the previous revision keep working.

Revision ID: 0007_opt_outs
Revises: 0006_review_and_shadow
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import xbot.store.types

revision: str = "0007_opt_outs"
down_revision: str | None = "0006_review_and_shadow"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "opt_outs",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("platform", sa.String(length=16), nullable=False),
        sa.Column("author_id", sa.String(length=255), nullable=False),
        sa.Column("author_handle", sa.String(length=255), nullable=True),
        sa.Column("how", sa.String(length=32), nullable=False),
        sa.Column("detail", sa.Text(), nullable=True),
        sa.Column(
            "account_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column("created_by", sa.String(length=255), nullable=True),
        sa.Column(
            "created_at",
            xbot.store.types.UtcDateTime(timezone=True),
            server_default=sa.text("CURRENT_TIMESTAMP"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_opt_outs_account_id_accounts"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_opt_outs")),
        sa.UniqueConstraint("platform", "author_id", name=op.f("uq_opt_outs_platform_author_id")),
    )


def downgrade() -> None:
    op.drop_table("opt_outs")
