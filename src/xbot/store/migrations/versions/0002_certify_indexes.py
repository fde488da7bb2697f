"""certify indexes: USED permits by time, across accounts

Checks F and H of `xbot certify` look for USED permits since the deployment on every account;
without this index PostgreSQL reads every permit (seconds at a million permits).

Revision ID: 0002_certify_indexes
Revises: 0001
Create Date: 2026-11-28
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0002_certify_indexes"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("post_attempts", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_post_attempts_status_used_at"), ["status", "used_at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("post_attempts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_post_attempts_status_used_at"))
