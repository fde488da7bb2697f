"""Every table of DESIGN §3, with the seed's names kept verbatim (SQLAlchemy Core)."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    text,
)

from xbot.store.types import JsonData, UtcDateTime

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

#: an autoincrementing 64-bit key that SQLite also accepts as its rowid alias
BigId = BigInteger().with_variant(Integer(), "sqlite")

NOW = text("CURRENT_TIMESTAMP")

accounts = Table(
    "accounts",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("platform", String(16), nullable=False),
    Column("handle", String(255), nullable=False),
    Column("platform_user_id", String(255)),
    Column("enabled", Boolean, nullable=False, server_default=text("true")),
    Column("settings", JsonData, nullable=False, server_default=text("'{}'")),
    #: the newest candidate id seen by fetch (platform cursor or since_id)
    Column("fetch_watermark", String(255)),
    #: the newest own post id seen by the ghost scan
    Column("ghost_watermark", String(255)),
    #: platform session material (e.g. Bluesky refresh token); never logged
    Column("session_state", JsonData),
    Column("created_at", UtcDateTime, nullable=False, server_default=NOW),
    UniqueConstraint("platform", "handle"),
)

system_events = Table(
    "system_events",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("event_type", String(128), nullable=False),
    Column("event_data", JsonData, nullable=False, server_default=text("'{}'")),
    Column("severity", String(16), nullable=False, server_default="info"),
    Column("component", String(64), nullable=False, server_default="xbot"),
    Column("account_id", BigId, ForeignKey("accounts.id", ondelete="SET NULL")),
    Column("worker_id", String(255)),
    Column("created_at", UtcDateTime, nullable=False, server_default=NOW),
    Index(None, "event_type", "created_at"),
    Index(None, "created_at"),
    #: the console's Events page for one account (migration 0008)
    Index(None, "account_id", "id"),
)
#: the console's Trace page finds a permit's and a decision's events by these JSON fields (0011);
#: PostgreSQL only: SQLite cannot reflect an index on an expression, and its databases are small
for _field in ("permit_id", "decision_id"):
    Index(
        f"ix_system_events_event_data_{_field}",
        system_events.c.event_data[_field].as_string(),
    ).ddl_if(dialect="postgresql")

reply_candidate_queue = Table(
    "reply_candidate_queue",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("account_id", BigId, ForeignKey("accounts.id"), nullable=False),
    Column("candidate_post_id", String(255), nullable=False),
    Column("author_id", String(255), nullable=False),
    Column("author_handle", String(255), nullable=False),
    Column("text", Text, nullable=False),
    Column("posted_at", UtcDateTime),
    Column("conversation_id", String(255)),
    Column("in_reply_to_post_id", String(255)),
    Column("summoned", Boolean, nullable=False, server_default=text("false")),
    Column("score", Float),
    Column("score_parts", JsonData),
    Column("tier", String(16)),
    Column("status", String(16), nullable=False, server_default="queued"),
    Column("skip_reason", String(64)),
    Column("target_meta", JsonData),
    Column("expires_at", UtcDateTime),
    Column("created_at", UtcDateTime, nullable=False, server_default=NOW),
    UniqueConstraint("account_id", "candidate_post_id"),
    Index(None, "status", "expires_at"),
    Index(None, "account_id", "status", "score"),
    #: the console's Pipeline window (migration 0008)
    Index(None, "created_at"),
    #: `xbot trace POST_ID` on every account (migration 0010)
    Index(None, "candidate_post_id"),
    #: the Pipeline's counts from the index alone (migration 0011)
    Index(None, "created_at", "account_id", "status", "skip_reason"),
)

reply_decisions = Table(
    "reply_decisions",
    metadata,
    Column("decision_id", String(64), primary_key=True),
    Column("account_id", BigId, ForeignKey("accounts.id"), nullable=False),
    Column("candidate_id", BigId, ForeignKey("reply_candidate_queue.id"), nullable=False),
    Column("target_post_id", String(255), nullable=False),
    Column("reply_text", Text, nullable=False),
    Column("generator", String(32), nullable=False),
    Column("generator_meta", JsonData),
    Column("created_at", UtcDateTime, nullable=False, server_default=NOW),
    UniqueConstraint("account_id", "target_post_id"),
    #: the console's Pipeline window (migration 0008)
    Index(None, "created_at"),
    #: the Pipeline's counts from the index alone (migration 0011)
    Index(None, "created_at", "account_id"),
)

post_attempts = Table(
    "post_attempts",
    metadata,
    Column("permit_id", String(64), primary_key=True),
    Column(
        "decision_id",
        String(64),
        ForeignKey("reply_decisions.decision_id"),
        nullable=False,
        unique=True,
    ),
    Column("account_id", BigId, ForeignKey("accounts.id"), nullable=False),
    Column("pipeline_source", String(64), nullable=False, server_default="reply_v2_scheduler"),
    Column("status", String(16), nullable=False, server_default="PENDING"),
    Column("created_at", UtcDateTime, nullable=False, server_default=NOW),
    Column("expires_at", UtcDateTime),
    Column("not_before", UtcDateTime),
    Column("claimed_by", String(255)),
    Column("claimed_sha", String(64)),
    Column("lease_until", UtcDateTime),
    Column("fence", Integer, nullable=False, server_default=text("0")),
    Column("attempts", Integer, nullable=False, server_default=text("0")),
    #: unique per account: two instances (Mastodon) may hand out the same id to different accounts
    Column("actual_tweet_id", String(255)),
    Column("used_at", UtcDateTime),
    Column("reconciled", Boolean, nullable=False, server_default=text("false")),
    Column("failure_reason", String(255)),
    Column("updated_at", UtcDateTime),
    #: the latest claim, on the database clock: budgets count the permit at this time (0004)
    Column("claimed_at", UtcDateTime),
    #: SHA-256 of the decision's exact text, and its review: deadline, approved hash, who, when
    Column("content_sha256", String(64)),
    Column("review_deadline", UtcDateTime),
    Column("approved_sha256", String(64)),
    Column("approved_by", String(255)),
    Column("approved_at", UtcDateTime),
    #: the reply's price its latest claim reserved; the cost caps count it while POSTING (0013)
    Column("reserved_micro_usd", BigInteger),
    Index(None, "status", "not_before"),
    Index(None, "pipeline_source", "created_at"),
    Index(None, "account_id", "status", "used_at"),
    UniqueConstraint("account_id", "actual_tweet_id"),
    #: certify F and H: USED permits since the deployment, across accounts (migration 0002)
    Index(None, "status", "used_at"),
    #: the console's Replies page, newest first, all accounts or one (migration 0008)
    Index(None, "created_at"),
    Index(None, "account_id", "created_at"),
    #: `xbot trace POSTED_ID` on every account (migration 0010)
    Index(None, "actual_tweet_id"),
    #: the Pipeline's counts and posts from the index alone (migration 0011)
    Index(None, "created_at", "account_id", "status"),
    Index(None, "status", "used_at", "account_id"),
)

ghost_tweets = Table(
    "ghost_tweets",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("account_id", BigId, ForeignKey("accounts.id"), nullable=False),
    Column("tweet_id", String(255), nullable=False),
    Column("text", Text),
    Column("in_reply_to", String(255)),
    Column("posted_at", UtcDateTime),
    Column("detected_at", UtcDateTime, nullable=False, server_default=NOW),
    Column("classification", String(32), nullable=False),
    Column("acknowledged_at", UtcDateTime),
    Column("acknowledged_by", String(255)),
    UniqueConstraint("account_id", "tweet_id"),
    Index(None, "detected_at"),
)

deployments = Table(
    "deployments",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("sha", String(64), nullable=False),
    Column("declared_at", UtcDateTime, nullable=False, server_default=NOW),
    Column("declared_by", String(255)),
    Column("note", Text),
    Index(None, "declared_at"),
)

workers = Table(
    "workers",
    metadata,
    Column("worker_id", String(255), primary_key=True),
    Column("role", String(16), nullable=False),
    Column("git_sha", String(64), nullable=False),
    Column("sha_source", String(64), nullable=False),
    Column("host", String(255), nullable=False),
    Column("pid", Integer, nullable=False),
    Column("booted_at", UtcDateTime, nullable=False),
    Column("heartbeat_at", UtcDateTime, nullable=False),
    Column("stopped_at", UtcDateTime),
)

job_runs = Table(
    "job_runs",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("job", String(64), nullable=False),
    #: 0 for jobs that are not per account
    Column("account_id", BigId, nullable=False, server_default=text("0")),
    #: floor(epoch seconds / interval): one run per (job, account, slot)
    Column("slot", BigInteger, nullable=False),
    Column("status", String(16), nullable=False, server_default="pending"),
    Column("owner", String(255)),
    #: the fence: bumped by every claim; heartbeats and completion must present it
    Column("attempts", Integer, nullable=False, server_default=text("0")),
    Column("lease_until", UtcDateTime),
    Column("started_at", UtcDateTime),
    Column("finished_at", UtcDateTime),
    Column("summary", JsonData),
    Column("error", Text),
    Column("created_at", UtcDateTime, nullable=False, server_default=NOW),
    UniqueConstraint("job", "account_id", "slot"),
    Index(None, "status", "lease_until"),
    Index(None, "job", "account_id", "finished_at"),
)

leases = Table(
    "leases",
    metadata,
    Column("name", String(255), primary_key=True),
    Column("owner", String(255)),
    Column("fence", Integer, nullable=False, server_default=text("0")),
    Column("lease_until", UtcDateTime),
)

#: operator switches shared by every worker (the kill switch lives here, not in env)
controls = Table(
    "controls",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("value", JsonData, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False, server_default=NOW),
    Column("updated_by", String(255)),
)

#: the record of every ghost-scan pass, so "no ghosts" always means "looked, found none"
ghost_scans = Table(
    "ghost_scans",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("account_id", BigId, ForeignKey("accounts.id"), nullable=False),
    Column("scanned", Integer, nullable=False),
    Column("ghosts", Integer, nullable=False),
    Column("watermark", String(255)),
    Column("worker_id", String(255)),
    Column("created_at", UtcDateTime, nullable=False, server_default=NOW),
    Index(None, "account_id", "created_at"),
)

#: authors who asked not to be answered, per platform: no account of that platform replies to
#: them again until an operator removes the row (0007; issue 15)
opt_outs = Table(
    "opt_outs",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("platform", String(16), nullable=False),
    Column("author_id", String(255), nullable=False),
    Column("author_handle", String(255)),
    #: `stop_word`, `block` (the platform said the author blocks us) or `operator`
    Column("how", String(32), nullable=False),
    #: the stop word, the post that carried it, or the operator's note
    Column("detail", Text),
    #: the account that heard it, when one did
    Column("account_id", BigId, ForeignKey("accounts.id", ondelete="SET NULL")),
    Column("created_by", String(255)),
    Column("created_at", UtcDateTime, nullable=False, server_default=NOW),
    #: the post that carried the stop word or showed the block, when one did (0014)
    Column("post_id", String(255)),
    UniqueConstraint("platform", "author_id"),
)

#: what the platform calls cost, per account, UTC day and endpoint class (xbot.domain.cost);
#: money in integer micro-dollars, so sums never drift
platform_usage = Table(
    "platform_usage",
    metadata,
    Column("account_id", BigId, ForeignKey("accounts.id"), primary_key=True),
    Column("day", Date, primary_key=True),
    Column("endpoint_class", String(32), primary_key=True),
    Column("calls", BigInteger, nullable=False, server_default=text("0")),
    #: billed resources (X bills reads per post returned)
    Column("units", BigInteger, nullable=False, server_default=text("0")),
    Column("cost_micro_usd", BigInteger, nullable=False, server_default=text("0")),
    Column("updated_at", UtcDateTime, nullable=False, server_default=NOW),
    Index(None, "day"),
)

#: one row per (account, stream): the stream's cursor, the lease that makes one worker its only
#: consumer (fenced like job_runs), and its health for the watchdog, certify and /ready (0012)
intake_streams = Table(
    "intake_streams",
    metadata,
    Column("account_id", BigId, ForeignKey("accounts.id"), primary_key=True),
    #: `jetstream`, `mastodon_user`, `x_activity`
    Column("stream", String(32), primary_key=True),
    #: where the stream resumes; moved only with (after) the candidates it delivered
    Column("cursor", String(255)),
    Column("owner", String(255)),
    Column("lease_until", UtcDateTime),
    Column("fence", Integer, nullable=False, server_default=text("0")),
    #: `connected`, `disconnected`, `unavailable` (the access has no stream) or `stopped`
    Column("state", String(16), nullable=False, server_default=text("'stopped'")),
    #: why it is disconnected or unavailable (one line, never a secret)
    Column("detail", Text),
    Column("connected_since", UtcDateTime),
    Column("last_event_at", UtcDateTime),
    #: received_at - created_at of the newest post the stream delivered
    Column("lag_seconds", Float),
    Column("events", BigInteger, nullable=False, server_default=text("0")),
    Column("admitted", BigInteger, nullable=False, server_default=text("0")),
    Column("duplicates", BigInteger, nullable=False, server_default=text("0")),
    Column("connects", Integer, nullable=False, server_default=text("0")),
    Column("backfilled", BigInteger, nullable=False, server_default=text("0")),
    Column("updated_at", UtcDateTime, nullable=False, server_default=NOW),
)
