"""trace indexes: find a permit by its posted id and a candidate by the post it answers

`xbot trace ID` and the console's Trace page look an id up as a posted id and as a candidate's
post id on every account; the unique indexes lead with account_id, so without these PostgreSQL
reads every permit and every candidate (hundreds of milliseconds at a million rows).

Revision ID: 0010_trace_indexes
Revises: 0009_platform_usage
Create Date: 2026-12-02
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0010_trace_indexes"
down_revision: str | None = "0009_platform_usage"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("post_attempts", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_post_attempts_actual_tweet_id"), ["actual_tweet_id"])
    with op.batch_alter_table("reply_candidate_queue", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_reply_candidate_queue_candidate_post_id"), ["candidate_post_id"]
        )


def downgrade() -> None:
    with op.batch_alter_table("reply_candidate_queue", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_reply_candidate_queue_candidate_post_id"))
    with op.batch_alter_table("post_attempts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_post_attempts_actual_tweet_id"))
