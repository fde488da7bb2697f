"""initial schema

Revision ID: 0001
Revises:
Create Date: 2026-11-28
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import xbot.store.types

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:

    op.create_table(
        "accounts",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("platform", sa.String(length=16), nullable=False),
        sa.Column("handle", sa.String(length=255), nullable=False),
        sa.Column("platform_user_id", sa.String(length=255), nullable=True),
        sa.Column("enabled", sa.Boolean(), server_default=sa.text("(true)"), nullable=False),
        sa.Column(
            "settings",
            sa.JSON().with_variant(postgresql.JSONB(), "postgresql"),
            server_default=sa.text("'{}'"),
            nullable=False,
        ),
        sa.Column("fetch_watermark", sa.String(length=255), nullable=True),
        sa.Column("ghost_watermark", sa.String(length=255), nullable=True),
        sa.Column(
            "session_state", sa.JSON().with_variant(postgresql.JSONB(), "postgresql"), nullable=True
        ),
        sa.Column(
            "created_at",
            xbot.store.types.UtcDateTime(timezone=True),
            server_default=sa.text("(CURRENT_TIMESTAMP)"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_accounts")),
        sa.UniqueConstraint("platform", "handle", name=op.f("uq_accounts_platform_handle")),
    )
    op.create_table(
        "controls",
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column(
            "value", sa.JSON().with_variant(postgresql.JSONB(), "postgresql"), nullable=False
        ),
        sa.Column(
            "updated_at",
            xbot.store.types.UtcDateTime(timezone=True),
            server_default=sa.text("(CURRENT_TIMESTAMP)"),
            nullable=False,
        ),
        sa.Column("updated_by", sa.String(length=255), nullable=True),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_controls")),
    )
    op.create_table(
        "deployments",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("sha", sa.String(length=64), nullable=False),
        sa.Column(
            "declared_at",
            xbot.store.types.UtcDateTime(timezone=True),
            server_default=sa.text("(CURRENT_TIMESTAMP)"),
            nullable=False,
        ),
        sa.Column("declared_by", sa.String(length=255), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_deployments")),
    )
    with op.batch_alter_table("deployments", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_deployments_declared_at"), ["declared_at"], unique=False
        )

    op.create_table(
        "job_runs",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("job", sa.String(length=64), nullable=False),
        sa.Column(
            "account_id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            server_default=sa.text("0"),
            nullable=False,
        ),
        sa.Column("slot", sa.BigInteger(), nullable=False),
        sa.Column("status", sa.String(length=16), server_default="pending", nullable=False),
        sa.Column("owner", sa.String(length=255), nullable=True),
        sa.Column("attempts", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("lease_until", xbot.store.types.UtcDateTime(timezone=True), nullable=True),
        sa.Column("started_at", xbot.store.types.UtcDateTime(timezone=True), nullable=True),
        sa.Column("finished_at", xbot.store.types.UtcDateTime(timezone=True), nullable=True),
        sa.Column(
            "summary", sa.JSON().with_variant(postgresql.JSONB(), "postgresql"), nullable=True
        ),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column(
            "created_at",
            xbot.store.types.UtcDateTime(timezone=True),
            server_default=sa.text("(CURRENT_TIMESTAMP)"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_job_runs")),
        sa.UniqueConstraint(
            "job", "account_id", "slot", name=op.f("uq_job_runs_job_account_id_slot")
        ),
    )
    with op.batch_alter_table("job_runs", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_job_runs_job_account_id_finished_at"),
            ["job", "account_id", "finished_at"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_job_runs_status_lease_until"), ["status", "lease_until"], unique=False
        )

    op.create_table(
        "leases",
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("owner", sa.String(length=255), nullable=True),
        sa.Column("fence", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("lease_until", xbot.store.types.UtcDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_leases")),
    )
    op.create_table(
        "workers",
        sa.Column("worker_id", sa.String(length=255), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("git_sha", sa.String(length=64), nullable=False),
        sa.Column("sha_source", sa.String(length=64), nullable=False),
        sa.Column("host", sa.String(length=255), nullable=False),
        sa.Column("pid", sa.Integer(), nullable=False),
        sa.Column("booted_at", xbot.store.types.UtcDateTime(timezone=True), nullable=False),
        sa.Column("heartbeat_at", xbot.store.types.UtcDateTime(timezone=True), nullable=False),
        sa.Column("stopped_at", xbot.store.types.UtcDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("worker_id", name=op.f("pk_workers")),
    )
    op.create_table(
        "ghost_scans",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column(
            "account_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("scanned", sa.Integer(), nullable=False),
        sa.Column("ghosts", sa.Integer(), nullable=False),
        sa.Column("watermark", sa.String(length=255), nullable=True),
        sa.Column("worker_id", sa.String(length=255), nullable=True),
        sa.Column(
            "created_at",
            xbot.store.types.UtcDateTime(timezone=True),
            server_default=sa.text("(CURRENT_TIMESTAMP)"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("fk_ghost_scans_account_id_accounts")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ghost_scans")),
    )
    with op.batch_alter_table("ghost_scans", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_ghost_scans_account_id_created_at"),
            ["account_id", "created_at"],
            unique=False,
        )

    op.create_table(
        "ghost_tweets",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column(
            "account_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("tweet_id", sa.String(length=255), nullable=False),
        sa.Column("text", sa.Text(), nullable=True),
        sa.Column("in_reply_to", sa.String(length=255), nullable=True),
        sa.Column("posted_at", xbot.store.types.UtcDateTime(timezone=True), nullable=True),
        sa.Column(
            "detected_at",
            xbot.store.types.UtcDateTime(timezone=True),
            server_default=sa.text("(CURRENT_TIMESTAMP)"),
            nullable=False,
        ),
        sa.Column("classification", sa.String(length=32), nullable=False),
        sa.Column("acknowledged_at", xbot.store.types.UtcDateTime(timezone=True), nullable=True),
        sa.Column("acknowledged_by", sa.String(length=255), nullable=True),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("fk_ghost_tweets_account_id_accounts")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ghost_tweets")),
        sa.UniqueConstraint(
            "account_id", "tweet_id", name=op.f("uq_ghost_tweets_account_id_tweet_id")
        ),
    )
    with op.batch_alter_table("ghost_tweets", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_ghost_tweets_detected_at"), ["detected_at"], unique=False
        )

    op.create_table(
        "reply_candidate_queue",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column(
            "account_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("candidate_post_id", sa.String(length=255), nullable=False),
        sa.Column("author_id", sa.String(length=255), nullable=False),
        sa.Column("author_handle", sa.String(length=255), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("posted_at", xbot.store.types.UtcDateTime(timezone=True), nullable=True),
        sa.Column("conversation_id", sa.String(length=255), nullable=True),
        sa.Column("in_reply_to_post_id", sa.String(length=255), nullable=True),
        sa.Column("summoned", sa.Boolean(), server_default=sa.text("(false)"), nullable=False),
        sa.Column("score", sa.Float(), nullable=True),
        sa.Column(
            "score_parts", sa.JSON().with_variant(postgresql.JSONB(), "postgresql"), nullable=True
        ),
        sa.Column("tier", sa.String(length=16), nullable=True),
        sa.Column("status", sa.String(length=16), server_default="queued", nullable=False),
        sa.Column("skip_reason", sa.String(length=64), nullable=True),
        sa.Column(
            "target_meta", sa.JSON().with_variant(postgresql.JSONB(), "postgresql"), nullable=True
        ),
        sa.Column("expires_at", xbot.store.types.UtcDateTime(timezone=True), nullable=True),
        sa.Column(
            "created_at",
            xbot.store.types.UtcDateTime(timezone=True),
            server_default=sa.text("(CURRENT_TIMESTAMP)"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_reply_candidate_queue_account_id_accounts"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reply_candidate_queue")),
        sa.UniqueConstraint(
            "account_id",
            "candidate_post_id",
            name=op.f("uq_reply_candidate_queue_account_id_candidate_post_id"),
        ),
    )
    with op.batch_alter_table("reply_candidate_queue", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_reply_candidate_queue_account_id_status_score"),
            ["account_id", "status", "score"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_reply_candidate_queue_status_expires_at"),
            ["status", "expires_at"],
            unique=False,
        )

    op.create_table(
        "system_events",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("event_type", sa.String(length=128), nullable=False),
        sa.Column(
            "event_data",
            sa.JSON().with_variant(postgresql.JSONB(), "postgresql"),
            server_default=sa.text("'{}'"),
            nullable=False,
        ),
        sa.Column("severity", sa.String(length=16), server_default="info", nullable=False),
        sa.Column("component", sa.String(length=64), server_default="xbot", nullable=False),
        sa.Column(
            "account_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column("worker_id", sa.String(length=255), nullable=True),
        sa.Column(
            "created_at",
            xbot.store.types.UtcDateTime(timezone=True),
            server_default=sa.text("(CURRENT_TIMESTAMP)"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_system_events_account_id_accounts"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_system_events")),
    )
    with op.batch_alter_table("system_events", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_system_events_created_at"), ["created_at"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_system_events_event_type_created_at"),
            ["event_type", "created_at"],
            unique=False,
        )

    op.create_table(
        "reply_decisions",
        sa.Column("decision_id", sa.String(length=64), nullable=False),
        sa.Column(
            "account_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column(
            "candidate_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("target_post_id", sa.String(length=255), nullable=False),
        sa.Column("reply_text", sa.Text(), nullable=False),
        sa.Column("generator", sa.String(length=32), nullable=False),
        sa.Column(
            "generator_meta",
            sa.JSON().with_variant(postgresql.JSONB(), "postgresql"),
            nullable=True,
        ),
        sa.Column(
            "created_at",
            xbot.store.types.UtcDateTime(timezone=True),
            server_default=sa.text("(CURRENT_TIMESTAMP)"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("fk_reply_decisions_account_id_accounts")
        ),
        sa.ForeignKeyConstraint(
            ["candidate_id"],
            ["reply_candidate_queue.id"],
            name=op.f("fk_reply_decisions_candidate_id_reply_candidate_queue"),
        ),
        sa.PrimaryKeyConstraint("decision_id", name=op.f("pk_reply_decisions")),
        sa.UniqueConstraint(
            "account_id",
            "target_post_id",
            name=op.f("uq_reply_decisions_account_id_target_post_id"),
        ),
    )
    op.create_table(
        "post_attempts",
        sa.Column("permit_id", sa.String(length=64), nullable=False),
        sa.Column("decision_id", sa.String(length=64), nullable=False),
        sa.Column(
            "account_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column(
            "pipeline_source",
            sa.String(length=64),
            server_default="reply_v2_scheduler",
            nullable=False,
        ),
        sa.Column("status", sa.String(length=16), server_default="PENDING", nullable=False),
        sa.Column(
            "created_at",
            xbot.store.types.UtcDateTime(timezone=True),
            server_default=sa.text("(CURRENT_TIMESTAMP)"),
            nullable=False,
        ),
        sa.Column("expires_at", xbot.store.types.UtcDateTime(timezone=True), nullable=True),
        sa.Column("not_before", xbot.store.types.UtcDateTime(timezone=True), nullable=True),
        sa.Column("claimed_by", sa.String(length=255), nullable=True),
        sa.Column("claimed_sha", sa.String(length=64), nullable=True),
        sa.Column("lease_until", xbot.store.types.UtcDateTime(timezone=True), nullable=True),
        sa.Column("fence", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("attempts", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("actual_tweet_id", sa.String(length=255), nullable=True),
        sa.Column("used_at", xbot.store.types.UtcDateTime(timezone=True), nullable=True),
        sa.Column("reconciled", sa.Boolean(), server_default=sa.text("(false)"), nullable=False),
        sa.Column("failure_reason", sa.String(length=255), nullable=True),
        sa.Column("updated_at", xbot.store.types.UtcDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("fk_post_attempts_account_id_accounts")
        ),
        sa.ForeignKeyConstraint(
            ["decision_id"],
            ["reply_decisions.decision_id"],
            name=op.f("fk_post_attempts_decision_id_reply_decisions"),
        ),
        sa.PrimaryKeyConstraint("permit_id", name=op.f("pk_post_attempts")),
        sa.UniqueConstraint("actual_tweet_id", name=op.f("uq_post_attempts_actual_tweet_id")),
        sa.UniqueConstraint("decision_id", name=op.f("uq_post_attempts_decision_id")),
    )
    with op.batch_alter_table("post_attempts", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_post_attempts_account_id_status_used_at"),
            ["account_id", "status", "used_at"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_post_attempts_pipeline_source_created_at"),
            ["pipeline_source", "created_at"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_post_attempts_status_not_before"), ["status", "not_before"], unique=False
        )


def downgrade() -> None:

    with op.batch_alter_table("post_attempts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_post_attempts_status_not_before"))
        batch_op.drop_index(batch_op.f("ix_post_attempts_pipeline_source_created_at"))
        batch_op.drop_index(batch_op.f("ix_post_attempts_account_id_status_used_at"))

    op.drop_table("post_attempts")
    op.drop_table("reply_decisions")
    with op.batch_alter_table("system_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_system_events_event_type_created_at"))
        batch_op.drop_index(batch_op.f("ix_system_events_created_at"))

    op.drop_table("system_events")
    with op.batch_alter_table("reply_candidate_queue", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_reply_candidate_queue_status_expires_at"))
        batch_op.drop_index(batch_op.f("ix_reply_candidate_queue_account_id_status_score"))

    op.drop_table("reply_candidate_queue")
    with op.batch_alter_table("ghost_tweets", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_ghost_tweets_detected_at"))

    op.drop_table("ghost_tweets")
    with op.batch_alter_table("ghost_scans", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_ghost_scans_account_id_created_at"))

    op.drop_table("ghost_scans")
    op.drop_table("workers")
    op.drop_table("leases")
    with op.batch_alter_table("job_runs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_job_runs_status_lease_until"))
        batch_op.drop_index(batch_op.f("ix_job_runs_job_account_id_finished_at"))

    op.drop_table("job_runs")
    with op.batch_alter_table("deployments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_deployments_declared_at"))

    op.drop_table("deployments")
    op.drop_table("controls")
    op.drop_table("accounts")
