"""The web console's reads: one page of replies, events or job runs, and the pipeline's counts.

Every list is newest first and paginated by a keyset cursor (never OFFSET), so a page costs the
same on the millionth row as on the first.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, case, cast, func, literal, or_, select
from sqlalchemy import Integer as SqlInteger
from sqlalchemy.engine import Connection

from xbot.store.queries.common import is_postgres
from xbot.store.tables import (
    accounts,
    job_runs,
    post_attempts,
    reply_candidate_queue,
    reply_decisions,
    system_events,
    workers,
)


def account_names(connection: Connection) -> dict[int, str]:
    """Return every account's id and `platform:handle`."""
    rows = connection.execute(select(accounts.c.id, accounts.c.platform, accounts.c.handle))
    return {int(row.id): f"{row.platform}:{row.handle}" for row in rows}


def replies_page(  # noqa: PLR0913 - one keyword per filter
    connection: Connection,
    *,
    account_id: int | None = None,
    status: str | None = None,
    text: str | None = None,
    before: tuple[datetime, str] | None = None,
    limit: int = 50,
) -> list[dict[str, Any]]:
    """Return up to `limit` + 1 replies (permit, decision, mention), newest permit first."""
    permit, decision, mention = post_attempts.c, reply_decisions.c, reply_candidate_queue.c
    query = (
        select(
            permit.permit_id, permit.status, permit.created_at, permit.used_at,
            permit.actual_tweet_id, permit.failure_reason, permit.account_id,
            decision.decision_id, decision.reply_text, decision.target_post_id,
            mention.id.label("candidate_id"), mention.author_handle,
            mention.text.label("mention_text"),
        )
        .select_from(
            post_attempts.join(reply_decisions, decision.decision_id == permit.decision_id).join(
                reply_candidate_queue, mention.id == decision.candidate_id
            )
        )
        .order_by(permit.created_at.desc(), permit.permit_id.desc())
        .limit(limit + 1)
    )  # fmt: skip
    conditions: list[ColumnElement[bool]] = []
    if account_id is not None:
        conditions.append(permit.account_id == account_id)
    if status:
        conditions.append(permit.status == status)
    if text:
        pattern = f"%{text}%"
        conditions.append(or_(decision.reply_text.ilike(pattern), mention.text.ilike(pattern)))
    if before is not None:
        moment, permit_id = before
        conditions.append(
            or_(
                permit.created_at < moment,
                and_(permit.created_at == moment, permit.permit_id < permit_id),
            )
        )
    return [dict(row) for row in connection.execute(query.where(*conditions)).mappings()]


def events_page(  # noqa: PLR0913 - one keyword per filter
    connection: Connection,
    *,
    event_type: str | None = None,
    severity: str | None = None,
    account_id: int | None = None,
    before_id: int | None = None,
    limit: int = 100,
) -> list[dict[str, Any]]:
    """Return up to `limit` + 1 events, newest first; `event_type` ending in `*` is a prefix."""
    event = system_events.c
    conditions: list[ColumnElement[bool]] = []
    if event_type:
        prefix = event_type.removesuffix("*")
        conditions.append(
            event.event_type.startswith(prefix, autoescape=True)
            if event_type.endswith("*")
            else event.event_type == event_type
        )
    if severity:
        conditions.append(event.severity == severity)
    if account_id is not None:
        conditions.append(event.account_id == account_id)
    if before_id is not None:
        conditions.append(event.id < before_id)
    query = select(system_events).where(*conditions).order_by(event.id.desc()).limit(limit + 1)
    return [dict(row) for row in connection.execute(query).mappings()]


def worker_rows(connection: Connection, limit: int = 100) -> list[dict[str, Any]]:
    """Return the workers that beat most recently."""
    query = select(workers).order_by(workers.c.heartbeat_at.desc()).limit(limit)
    return [dict(row) for row in connection.execute(query).mappings()]


def job_runs_page(
    connection: Connection, *, before_id: int | None = None, limit: int = 50
) -> list[dict[str, Any]]:
    """Return up to `limit` + 1 job runs, newest first."""
    run = job_runs.c
    query = (
        select(run.id, run.job, run.account_id, run.status, run.owner, run.attempts,
               run.lease_until, run.started_at, run.finished_at, run.error)
        .where(run.id < before_id if before_id is not None else literal(value=True))
        .order_by(run.id.desc())
        .limit(limit + 1)
    )  # fmt: skip
    return [dict(row) for row in connection.execute(query).mappings()]


def job_health(connection: Connection, since: datetime) -> list[dict[str, Any]]:
    """Return per job and account: runs and failures since `since`, and the newest finish."""
    run = job_runs.c
    failed = func.sum(case((run.status == "failed", 1), else_=0))
    query = (
        select(run.job, run.account_id, func.count().label("runs"), failed.label("failures"),
               func.max(run.finished_at).label("last_finished_at"))
        .where(run.created_at >= since)
        .group_by(run.job, run.account_id)
        .order_by(run.job, run.account_id)
    )  # fmt: skip
    return [dict(row) for row in connection.execute(query).mappings()]


def candidate_counts(connection: Connection, since: datetime) -> list[dict[str, Any]]:
    """Count candidates fetched since `since` per account, status and skip reason."""
    mention = reply_candidate_queue.c
    query = (
        select(mention.account_id, mention.status, mention.skip_reason, func.count().label("n"))
        .where(mention.created_at >= since)
        .group_by(mention.account_id, mention.status, mention.skip_reason)
    )
    return [dict(row) for row in connection.execute(query).mappings()]


def decision_counts(connection: Connection, since: datetime) -> dict[int, int]:
    """Count decisions made since `since`, per account."""
    decision = reply_decisions.c
    query = (
        select(decision.account_id, func.count())
        .where(decision.created_at >= since)
        .group_by(decision.account_id)
    )
    return {int(account): int(count) for account, count in connection.execute(query)}


def permit_counts(connection: Connection, since: datetime) -> list[dict[str, Any]]:
    """Count permits created since `since`, per account and status."""
    permit = post_attempts.c
    query = (
        select(permit.account_id, permit.status, func.count().label("n"))
        .where(permit.created_at >= since)
        .group_by(permit.account_id, permit.status)
    )
    return [dict(row) for row in connection.execute(query).mappings()]


def posted_counts(connection: Connection, since: datetime) -> dict[int, int]:
    """Count posts published since `since` (USED permits by `used_at`), per account."""
    permit = post_attempts.c
    query = (
        select(permit.account_id, func.count())
        .where(permit.status == "USED", permit.used_at >= since)
        .group_by(permit.account_id)
    )
    return {int(account): int(count) for account, count in connection.execute(query)}


def _bucket(connection: Connection, column: Any, seconds: int) -> ColumnElement[Any]:
    if is_postgres(connection):
        return cast(func.floor(func.extract("epoch", column) / seconds), SqlInteger)
    return cast(func.strftime("%s", column), SqlInteger) / seconds


def post_series(connection: Connection, since: datetime, seconds: int) -> dict[int, int]:
    """Count posts per time bucket (epoch seconds // `seconds`) since `since`."""
    bucket = _bucket(connection, post_attempts.c.used_at, seconds).label("bucket")
    query = (
        select(bucket, func.count())
        .where(post_attempts.c.status == "USED", post_attempts.c.used_at >= since)
        .group_by(bucket)
    )
    return {int(key): int(count) for key, count in connection.execute(query)}


def skip_series(connection: Connection, since: datetime, seconds: int) -> dict[int, int]:
    """Count skipped candidates per time bucket of their creation since `since`."""
    mention = reply_candidate_queue.c
    bucket = _bucket(connection, mention.created_at, seconds).label("bucket")
    query = (
        select(bucket, func.count())
        .where(mention.status == "skipped", mention.created_at >= since)
        .group_by(bucket)
    )
    return {int(key): int(count) for key, count in connection.execute(query)}
