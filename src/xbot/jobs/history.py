"""Budget history as the domain reads it: one conversion for the scheduler and the account state."""

from __future__ import annotations

from typing import Any

from sqlalchemy.engine import Row

from xbot.domain.budgets import ReplyIntent, ReplyRecord
from xbot.domain.clock import ensure_utc
from xbot.domain.permits import PermitStatus


def reply_record(row: Row[Any]) -> ReplyRecord:
    """Return a `decisions.posting_history` row as a ReplyRecord counted at its claim time."""
    return ReplyRecord(
        at=ensure_utc(row.counted_at),
        author_id=row.author_id,
        thread_id=row.conversation_id or row.target_post_id,
        target_post_id=row.target_post_id,
        counted=row.status != PermitStatus.AWAITING_REVIEW.value,
    )


def reply_intent(row: Row[Any]) -> ReplyIntent:
    """Return a queued candidate row as the reply the scheduler would make."""
    return ReplyIntent(
        author_id=row.author_id,
        thread_id=row.conversation_id or row.candidate_post_id,
        target_post_id=row.candidate_post_id,
    )
