"""review and shadow: the hash of a permit's exact text, its review deadline and its approval

A permit of a review account waits in AWAITING_REVIEW until a person approves, edits or rejects
it; the approval is bound to the SHA-256 of the exact text. Shadow accounts' permits end in
SHADOWED (a status value, no column). Every column is nullable: workers of the previous release
keep writing permits without them.

Revision ID: 0006_review_and_shadow
Revises: 0005_encrypt_session_state
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import xbot.store.types

revision: str = "0006_review_and_shadow"
down_revision: str | None = "0005_encrypt_session_state"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_TIME = xbot.store.types.UtcDateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("post_attempts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("content_sha256", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("review_deadline", _TIME, nullable=True))
        batch_op.add_column(sa.Column("approved_sha256", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("approved_by", sa.String(length=255), nullable=True))
        batch_op.add_column(sa.Column("approved_at", _TIME, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("post_attempts", schema=None) as batch_op:
        for name in (
            "approved_at",
            "approved_by",
            "approved_sha256",
            "review_deadline",
            "content_sha256",
        ):
            batch_op.drop_column(name)
