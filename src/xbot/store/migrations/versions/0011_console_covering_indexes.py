"""console covering indexes: the Pipeline's counts and the Trace's events without reading rows

The Pipeline page counts candidates, decisions and permits of a window per account and state;
indexes that lead with the time and carry the grouped columns let PostgreSQL count from the
index alone (an index-only scan) instead of fetching every row of the week. The Trace page
looks its events up by the permit or decision id inside the event's JSON; an index on each of
those two fields finds them directly instead of reading all of an account's events (PostgreSQL
only: SQLite cannot reflect an index on an expression, and its databases are small).

Revision ID: 0011_console_covering_indexes
Revises: 0010_trace_indexes
Create Date: 2026-12-02
"""

from collections.abc import Sequence
from typing import cast

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision: str = "0011_console_covering_indexes"
down_revision: str | None = "0010_trace_indexes"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INDEXES = {
    "reply_candidate_queue": [["created_at", "account_id", "status", "skip_reason"]],
    "reply_decisions": [["created_at", "account_id"]],
    "post_attempts": [["created_at", "account_id", "status"], ["status", "used_at", "account_id"]],
}
#: system_events' JSON fields the Trace page looks up
EVENT_FIELDS = ["permit_id", "decision_id"]


def _name(table: str, columns: list[str]) -> str:
    return f"ix_{table}_{'_'.join(columns)}"


def _field(field: str) -> sa.ColumnElement[str]:
    """`event_data ->> 'field'` on PostgreSQL, `json_extract(event_data, '$."field"')` on SQLite."""
    column = sa.column("event_data", sa.JSON().with_variant(JSONB(), "postgresql"))
    return cast("sa.ColumnElement[str]", column[field].as_string())


def upgrade() -> None:
    for table, indexes in INDEXES.items():
        with op.batch_alter_table(table, schema=None) as batch_op:
            for columns in indexes:
                batch_op.create_index(batch_op.f(_name(table, columns)), columns, unique=False)
    if op.get_bind().dialect.name != "postgresql":
        return  # SQLite cannot reflect an index on an expression; its databases are small
    for field in EVENT_FIELDS:
        op.create_index(
            op.f(f"ix_system_events_event_data_{field}"), "system_events", [_field(field)]
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for field in reversed(EVENT_FIELDS):
            op.drop_index(op.f(f"ix_system_events_event_data_{field}"), table_name="system_events")
    for table, indexes in INDEXES.items():
        with op.batch_alter_table(table, schema=None) as batch_op:
            for columns in reversed(indexes):
                batch_op.drop_index(batch_op.f(_name(table, columns)))
