"""Candidates: what the fetch job decides for each post, and how the queue stays bounded.

evaluate(post, ...) -> Skip(reason) | Admit(score, tier, expires_at, text)
expire_queue(queued, max_queue, now) -> [Expiry(candidate_id, reason)]
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from xbot.domain.budgets import ReplyIntent
from xbot.domain.clock import ensure_utc
from xbot.domain.filters import CandidateRules, SkipReason, skip_reason
from xbot.domain.posts import Post
from xbot.domain.scoring import (
    Score,
    Tier,
    score_post,
    tier_for,
)
from xbot.domain.text import clean_untrusted

#: characters of a candidate's text that are stored and shown to a generator
STORED_TEXT_CHARACTERS = 2000
#: `target_meta` key of a stop message queued for its one confirmation (xbot.domain.confirmations)
CONFIRMATION_FLAG = "confirmation"


class CandidateStatus(StrEnum):
    """`reply_candidate_queue.status`."""

    QUEUED = "queued"  #: waiting for the scheduler
    SELECTED = "selected"  #: a decision is being made for it
    REPLIED = "replied"  #: a decision and permit exist
    SKIPPED = "skipped"  #: never answered; `skip_reason` says why
    EXPIRED = "expired"  #: waited too long, or pushed out of a full queue


class ExpiryReason(StrEnum):
    """Why a queued candidate expired (`reply_candidate_queue.skip_reason`)."""

    TTL = "ttl_expired"  #: its expires_at passed
    QUEUE_FULL = "queue_full"  #: the queue held more than max_queue, and it scored lowest


@dataclass(frozen=True, kw_only=True, slots=True)
class Skip:
    """The post fails a hard filter; store it as skipped with this reason."""

    reason: SkipReason


@dataclass(frozen=True, kw_only=True, slots=True)
class Admit:
    """The post is queued with this score, tier, expiry and cleaned text."""

    score: Score
    tier: Tier
    expires_at: datetime
    text: str


def evaluate(  # noqa: PLR0913 - the post, its rules, and what the account is doing now
    post: Post,
    rules: CandidateRules,
    *,
    replied_threads: Collection[str],
    now: datetime,
    thread_depth: int | None = None,
    held_until: datetime | None = None,
    opted_out: Collection[str] = (),
) -> Skip | Admit:
    """Return Skip with the first failed hard filter, or Admit with score, tier and expiry.

    `held_until` is when the account's quiet hours end, when it is in them: see `expiry`.
    """
    reason = skip_reason(
        post,
        rules,
        replied_threads=replied_threads,
        now=now,
        thread_depth=thread_depth,
        opted_out=opted_out,
    )
    if reason is not None:
        return Skip(reason=reason)
    text = stored_text(post)
    score = score_post(post, rules.topics, now=now)
    return Admit(
        score=score,
        tier=tier_for(score.value, rules.thresholds),
        expires_at=expiry(post, rules, now=now, held_until=held_until),
        text=text,
    )


def stored_text(post: Post) -> str:
    """Return the post's text as the queue stores it: cleaned and cut (skipped rows too)."""
    return clean_untrusted(post.text, max_characters=STORED_TEXT_CHARACTERS)


def expiry(
    post: Post, rules: CandidateRules, *, now: datetime, held_until: datetime | None = None
) -> datetime:
    """Return when a queued post expires: after the TTL, or when it becomes too old if sooner.

    A post that arrives while the account is held (quiet hours until `held_until`) keeps its
    place until the hold ends plus its TTL, so quiet hours never lose a mention.
    """
    normal = min(ensure_utc(now) + rules.ttl, ensure_utc(post.created_at) + rules.max_age)
    if held_until is None:
        return normal
    return max(normal, ensure_utc(held_until) + rules.ttl)


def expiry_skip_reason(hold: str | None) -> str:
    """Return a stale candidate's skip reason: `expired`, or `expired_during_<hold>`.

    `hold` is why the account may not post as the candidate expires (quiet_hours,
    hourly_budget, ...): the real reason the mention was lost.
    """
    return f"expired_during_{hold}" if hold else "expired"


@dataclass(frozen=True, kw_only=True, slots=True)
class QueuedCandidate:
    """What the queue bound needs to know about one queued row."""

    candidate_id: int
    score: float
    expires_at: datetime | None
    created_at: datetime


@dataclass(frozen=True, kw_only=True, slots=True)
class Expiry:
    """Expire this queued candidate, for this reason."""

    candidate_id: int
    reason: ExpiryReason


def expire_queue(
    queued: Sequence[QueuedCandidate], *, max_queue: int, now: datetime
) -> list[Expiry]:
    """Return what to expire: rows past expires_at, then the lowest scores beyond max_queue."""
    now = ensure_utc(now)
    stale = [row for row in queued if row.expires_at and ensure_utc(row.expires_at) <= now]
    expired = [Expiry(candidate_id=row.candidate_id, reason=ExpiryReason.TTL) for row in stale]
    stale_ids = {row.candidate_id for row in stale}
    live = [row for row in queued if row.candidate_id not in stale_ids]
    # lowest score first; among equals the older row goes first, then the lower id
    ranked = sorted(live, key=lambda row: (row.score, ensure_utc(row.created_at), row.candidate_id))
    overflow = ranked[: max(0, len(live) - max_queue)]
    expired.extend(
        Expiry(candidate_id=row.candidate_id, reason=ExpiryReason.QUEUE_FULL) for row in overflow
    )
    return expired


def best_candidate(queued: Sequence[QueuedCandidate], *, now: datetime) -> QueuedCandidate | None:
    """Return the unexpired candidate to answer next: highest score, then the oldest."""
    now = ensure_utc(now)
    live = [row for row in queued if row.expires_at is None or ensure_utc(row.expires_at) > now]
    if not live:
        return None
    return min(live, key=lambda row: (-row.score, ensure_utc(row.created_at), row.candidate_id))


@dataclass(frozen=True, kw_only=True, slots=True)
class CandidateMark:
    """The candidate's new status and skip reason, written with its permit's transition."""

    status: CandidateStatus
    reason: str | None = None


@dataclass(frozen=True, kw_only=True, slots=True)
class NewCandidate:
    """One fetched post as the queue keeps it: queued with a score and expiry, or skipped."""

    account_id: int
    candidate_post_id: str
    author_id: str
    author_handle: str
    text: str
    posted_at: datetime | None
    conversation_id: str | None
    in_reply_to_post_id: str | None
    summoned: bool
    target_meta: Mapping[str, Any]
    created_at: datetime
    status: CandidateStatus
    score: float | None = None
    score_parts: Mapping[str, float] | None = None
    tier: str | None = None
    expires_at: datetime | None = None
    skip_reason: str | None = None

    def values(self) -> dict[str, Any]:
        """Return the candidate under its column names; unset optional columns are left out.

        (A JSON column stores Python None as JSON null, not SQL NULL.)
        """
        values = {
            "account_id": self.account_id, "candidate_post_id": self.candidate_post_id,
            "author_id": self.author_id, "author_handle": self.author_handle, "text": self.text,
            "posted_at": self.posted_at, "conversation_id": self.conversation_id,
            "in_reply_to_post_id": self.in_reply_to_post_id, "summoned": self.summoned,
            "target_meta": dict(self.target_meta), "created_at": self.created_at,
            "status": self.status.value, "score": self.score,
            "score_parts": dict(self.score_parts) if self.score_parts is not None else None,
            "tier": self.tier, "expires_at": self.expires_at, "skip_reason": self.skip_reason,
        }  # fmt: skip
        optional = ("score", "score_parts", "tier", "expires_at", "skip_reason")
        return {name: value for name, value in values.items()
                if name not in optional or value is not None}  # fmt: skip


@dataclass(frozen=True, kw_only=True, slots=True)
class WaitingCandidate:
    """A queued, unexpired candidate the scheduler may answer."""

    candidate_id: int
    account_id: int
    candidate_post_id: str
    author_id: str
    author_handle: str
    text: str
    conversation_id: str | None
    score: float | None
    tier: str | None
    #: a stop message queued for its one confirmation (xbot.domain.confirmations)
    confirmation: bool = False

    def intent(self) -> ReplyIntent:
        """Return the reply the scheduler would make to it, as budgets count replies."""
        return ReplyIntent(
            author_id=self.author_id,
            thread_id=self.conversation_id or self.candidate_post_id,
            target_post_id=self.candidate_post_id,
        )
