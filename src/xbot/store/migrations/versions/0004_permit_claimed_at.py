"""permit claimed_at: when a worker last claimed the permit, on the database clock

Budgets count a permit that did or may have published at its claim time, never at the
platform's timestamp (a skewed platform clock would move a reconciled post out of the window).

Revision ID: 0004_permit_claimed_at
Revises: 0003_posted_id_per_account
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import xbot.store.types

revision: str = "0004_permit_claimed_at"
down_revision: str | None = "0003_posted_id_per_account"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("post_attempts", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("claimed_at", xbot.store.types.UtcDateTime(timezone=True), nullable=True)
        )


def downgrade() -> None:
    with op.batch_alter_table("post_attempts", schema=None) as batch_op:
        batch_op.drop_column("claimed_at")
