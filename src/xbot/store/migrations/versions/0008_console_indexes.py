"""console indexes: the newest rows first, by time, for the console's pages

The Replies page lists permits newest first (optionally per account), the Pipeline page counts
candidates and decisions created in a window, and the Events page lists one account's events
newest first; without these indexes each reads the whole table at a million rows.

Revision ID: 0008_console_indexes
Revises: 0007_opt_outs
Create Date: 2026-12-01
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0008_console_indexes"
down_revision: str | None = "0007_opt_outs"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INDEXES = {
    "post_attempts": [["created_at"], ["account_id", "created_at"]],
    "reply_candidate_queue": [["created_at"]],
    "reply_decisions": [["created_at"]],
    "system_events": [["account_id", "id"]],
}


def _name(table: str, columns: list[str]) -> str:
    return f"ix_{table}_{'_'.join(columns)}"


def upgrade() -> None:
    for table, indexes in INDEXES.items():
        with op.batch_alter_table(table, schema=None) as batch_op:
            for columns in indexes:
                batch_op.create_index(batch_op.f(_name(table, columns)), columns, unique=False)


def downgrade() -> None:
    for table, indexes in INDEXES.items():
        with op.batch_alter_table(table, schema=None) as batch_op:
            for columns in indexes:
                batch_op.drop_index(batch_op.f(_name(table, columns)))
