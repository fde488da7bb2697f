"""cost reservations: the reply's price a claim reserves against the cost caps (issue 15)

A claim writes its reply's price; the caps count it while the permit is POSTING, so concurrent
claims cannot together pass a cap. Additive: a nullable column that workers of the previous
release leave empty (their claims reserve nothing, as before).

Revision ID: 0013_cost_reservations
Revises: 0012_intake_streams
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013_cost_reservations"
down_revision: str | None = "0012_intake_streams"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("post_attempts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("reserved_micro_usd", sa.BigInteger(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("post_attempts", schema=None) as batch_op:
        batch_op.drop_column("reserved_micro_usd")
