"""opt-out post: the post that carried an author's stop word (or showed their block)

Certify's check J knows the one reply confirming an opt-out by it: the reply to exactly that
post (issue 15). Additive: a nullable column that workers of the previous release leave empty.

Revision ID: 0014_opt_out_post
Revises: 0013_cost_reservations
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014_opt_out_post"
down_revision: str | None = "0013_cost_reservations"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("opt_outs", schema=None) as batch_op:
        batch_op.add_column(sa.Column("post_id", sa.String(length=255), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("opt_outs", schema=None) as batch_op:
        batch_op.drop_column("post_id")
