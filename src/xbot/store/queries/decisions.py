"""Decisions and their permits, written together in one transaction (DESIGN §4.2, §13)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.engine import Connection, Row
from sqlalchemy.exc import IntegrityError

from xbot.domain.decisions import NewDecision
from xbot.domain.errors import DuplicateDecision
from xbot.domain.permits import PermitStatus
from xbot.domain.review import content_sha256
from xbot.store.queries.permits import COUNTED_AT
from xbot.store.tables import post_attempts, reply_candidate_queue, reply_decisions

__all__ = ["NewDecision", "insert_decision_with_permit", "posting_history", "recent_reply_texts"]

PIPELINE_SOURCE = "reply_v2_scheduler"
#: the permits the scheduler's budgets count: waiting, in flight, published, or maybe published,
#: and shadowed (as if posted); AWAITING_REVIEW ones hold their target but spend no budget
LIVE_OR_SPENT = (
    PermitStatus.PENDING,
    PermitStatus.POSTING,
    PermitStatus.USED,
    PermitStatus.UNKNOWN,
    PermitStatus.SHADOWED,
    PermitStatus.AWAITING_REVIEW,
)


def new_decision_id() -> str:
    """Return a fresh decision id."""
    return f"dec_{uuid.uuid4().hex}"


def new_permit_id() -> str:
    """Return a fresh permit id."""
    return f"pmt_{uuid.uuid4().hex}"


def insert_decision_with_permit(
    connection: Connection, decision: NewDecision, now: datetime
) -> tuple[str, str]:
    """Write the decision and its permit (PENDING, or AWAITING_REVIEW); one transaction.

    The unique target per account and the unique decision per permit make a second decision or
    a second permit for the same interaction impossible, whatever races.
    """
    decision_id, permit_id = new_decision_id(), new_permit_id()
    try:
        _insert_rows(connection, decision, decision_id, permit_id, now)
    except IntegrityError as exc:
        raise DuplicateDecision(
            f"a decision for post {decision.target_post_id} exists already"
        ) from exc
    return decision_id, permit_id


def _insert_rows(
    connection: Connection, decision: NewDecision, decision_id: str, permit_id: str, now: datetime
) -> None:
    connection.execute(
        insert(reply_decisions).values(
            decision_id=decision_id,
            account_id=decision.account_id,
            candidate_id=decision.candidate_id,
            target_post_id=decision.target_post_id,
            reply_text=decision.reply_text,
            generator=decision.generator,
            generator_meta=dict(decision.generator_meta),
            created_at=now,
        )
    )
    connection.execute(
        insert(post_attempts).values(
            permit_id=permit_id,
            decision_id=decision_id,
            account_id=decision.account_id,
            pipeline_source=PIPELINE_SOURCE,
            status=_first_status(decision).value,
            created_at=now,
            expires_at=decision.permit_expires_at,
            not_before=now,
            updated_at=now,
            content_sha256=content_sha256(decision.reply_text),
            review_deadline=decision.review_deadline,
        )
    )


def _first_status(decision: NewDecision) -> PermitStatus:
    if decision.review_deadline is None:
        return PermitStatus.PENDING
    return PermitStatus.AWAITING_REVIEW


def recent_reply_texts(
    connection: Connection, account_id: int, since: datetime, limit: int = 500
) -> list[str]:
    """Return the account's reply texts decided since `since`, newest first (near-duplicates).

    `limit` only bounds the guard's work; a day's budget is far below it.
    """
    rows = connection.execute(
        select(reply_decisions.c.reply_text)
        .where(reply_decisions.c.account_id == account_id, reply_decisions.c.created_at >= since)
        .order_by(reply_decisions.c.created_at.desc())
        .limit(limit)
    )
    return [row.reply_text for row in rows]


def posting_history(connection: Connection, account_id: int, since: datetime) -> list[Row[Any]]:
    """Return live or spent permits counted since `since`, with author and thread (for budgets).

    `counted_at` is when the budget counts each permit (its claim time, see COUNTED_AT).
    """
    return list(
        connection.execute(
            select(
                post_attempts.c.permit_id,
                post_attempts.c.status,
                post_attempts.c.created_at,
                post_attempts.c.used_at,
                COUNTED_AT.label("counted_at"),
                reply_candidate_queue.c.author_id,
                reply_candidate_queue.c.author_handle,
                reply_candidate_queue.c.conversation_id,
                reply_decisions.c.target_post_id,
            )
            .join(reply_decisions, reply_decisions.c.decision_id == post_attempts.c.decision_id)
            .join(
                reply_candidate_queue, reply_candidate_queue.c.id == reply_decisions.c.candidate_id
            )
            .where(
                post_attempts.c.account_id == account_id,
                post_attempts.c.status.in_([status.value for status in LIVE_OR_SPENT]),
                since <= COUNTED_AT,
            )
        )
    )
