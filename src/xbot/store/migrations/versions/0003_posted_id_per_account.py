"""posted id unique per account, not across accounts

Two Mastodon instances (or any two platforms) may hand out the same post id to two accounts;
what must never happen is one account with two permits for one post.

Revision ID: 0003_posted_id_per_account
Revises: 0002_certify_indexes
Create Date: 2026-11-28
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0003_posted_id_per_account"
down_revision: str | None = "0002_certify_indexes"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("post_attempts", schema=None) as batch_op:
        batch_op.drop_constraint("uq_post_attempts_actual_tweet_id", type_="unique")
        batch_op.create_unique_constraint(
            batch_op.f("uq_post_attempts_account_id_actual_tweet_id"),
            ["account_id", "actual_tweet_id"],
        )


def downgrade() -> None:
    with op.batch_alter_table("post_attempts", schema=None) as batch_op:
        batch_op.drop_constraint("uq_post_attempts_account_id_actual_tweet_id", type_="unique")
        batch_op.create_unique_constraint(
            batch_op.f("uq_post_attempts_actual_tweet_id"), ["actual_tweet_id"]
        )
