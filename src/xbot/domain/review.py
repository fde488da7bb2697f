"""Review: a person approves, edits or rejects the exact text before a permit may be claimed.

    AWAITING_REVIEW --Approve (seen hash = the text's hash)--> PENDING, approval recorded
    AWAITING_REVIEW --Edit (the new text's hash, approved in the same act)--> PENDING
    AWAITING_REVIEW --Reject--> FAILED (review_rejected: reason)
    AWAITING_REVIEW --ExpireReview (deadline passed)--> EXPIRED (review_expired)
    PENDING --RefuseMismatch (the text's hash is not the approved one)--> FAILED (review_mismatch)

Every review action takes the permit over (bumps the fence), so of two reviewers acting at once
exactly one write lands: the other finds the permit changed and is told so.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum
from typing import assert_never

from xbot.domain.budgets import BudgetRules, quiet_until
from xbot.domain.permits import ForbiddenTransition, Permit, PermitStatus

REVIEW_REJECTED = "review_rejected"
REVIEW_EXPIRED = "review_expired"
REVIEW_MISMATCH = "review_mismatch"
#: the resolution at which quiet hours extend a candidate's expiry
_QUIET_STEP = timedelta(minutes=1)


class ReviewMode(StrEnum):
    """An account's `review` setting."""

    OFF = "off"  #: permits are PENDING at once
    REQUIRED = "required"  #: every reply waits for a person
    LLM_ONLY = "llm_only"  #: replies from the `llm` generator wait; bank replies do not


def content_sha256(text: str) -> str:
    """Return the SHA-256 (hex) of the text's UTF-8 bytes: what an approval is bound to."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def needs_review(mode: ReviewMode, generator: str) -> bool:
    """Return True when a reply written by `generator` waits for a person."""
    match mode:
        case ReviewMode.OFF:
            return False
        case ReviewMode.REQUIRED:
            return True
        case ReviewMode.LLM_ONLY:
            return generator == "llm"
        case _:
            assert_never(mode)


def quiet_extended(start: datetime, until: datetime, rules: BudgetRules) -> datetime:
    """Return `until` pushed later by the quiet hours that fall between `start` and it."""
    if rules.quiet_hours is None:
        return until
    quiet = timedelta(0)
    moment = start
    while moment < until:
        if quiet_until(rules, now=moment) is not None:
            quiet += _QUIET_STEP
        moment += _QUIET_STEP
    return until + quiet


def review_deadline(now: datetime, review_ttl: timedelta, permit_expires_at: datetime) -> datetime:
    """Return when an unreviewed permit expires: its review TTL, never beyond its own expiry."""
    return min(now + review_ttl, permit_expires_at)


@dataclass(frozen=True, kw_only=True, slots=True)
class Approve:
    """A person approves the text whose hash they were shown."""

    by: str
    seen_sha256: str


@dataclass(frozen=True, kw_only=True, slots=True)
class Edit:
    """A person replaces the text (guarded already) and approves the new text in the same act."""

    by: str
    new_sha256: str


@dataclass(frozen=True, kw_only=True, slots=True)
class Reject:
    """A person refuses the reply, with a reason."""

    by: str
    reason: str


@dataclass(frozen=True, kw_only=True, slots=True)
class ExpireReview:
    """Nobody acted before the review deadline."""


ReviewAction = Approve | Edit | Reject | ExpireReview


def review(permit: Permit, action: ReviewAction, now: datetime) -> Permit | ForbiddenTransition:
    """Return the permit after a review action, or why the action is forbidden now."""
    refusal = _refusal(permit, action, now)
    if refusal is not None:
        return ForbiddenTransition(
            permit_id=permit.permit_id,
            status=permit.status,
            event=type(action).__name__,
            reason=refusal,
        )
    return _apply(replace(permit, fence=permit.fence + 1, updated_at=now), action, now)


def _refusal(permit: Permit, action: ReviewAction, now: datetime) -> str | None:
    if permit.status is not PermitStatus.AWAITING_REVIEW:
        return f"the permit is {permit.status.value}, not awaiting review"
    past_deadline = permit.review_deadline is not None and now >= permit.review_deadline
    if isinstance(action, ExpireReview):
        return None if past_deadline else "the review deadline has not passed"
    if isinstance(action, Reject):
        return None
    if past_deadline:
        return "the review deadline has passed"
    if isinstance(action, Approve) and action.seen_sha256 != permit.content_sha256:
        return "the text changed since it was shown"
    return None


def _apply(taken: Permit, action: ReviewAction, now: datetime) -> Permit:
    match action:
        case Approve():
            return _approved(taken, action.seen_sha256, action.by, now)
        case Edit():
            edited = replace(taken, content_sha256=action.new_sha256)
            return _approved(edited, action.new_sha256, action.by, now)
        case Reject():
            reason = f"{REVIEW_REJECTED}: {action.reason}"[:255]
            return replace(taken, status=PermitStatus.FAILED, failure_reason=reason)
        case ExpireReview():
            return replace(taken, status=PermitStatus.EXPIRED, failure_reason=REVIEW_EXPIRED)
        case _:
            assert_never(action)


def _approved(permit: Permit, sha256: str, by: str, now: datetime) -> Permit:
    return replace(
        permit,
        status=PermitStatus.PENDING,
        approved_sha256=sha256,
        approved_by=by,
        approved_at=now,
    )


def text_mismatch(permit: Permit, text: str) -> str | None:
    """Return why the permit may not publish `text` (its hash is not the approved one), or None.

    A permit made for review must carry an approval; any other permit's text must still be the
    text it was made with.
    """
    if permit.review_deadline is not None and permit.approved_sha256 is None:
        return "the permit was made for review but carries no approval"
    expected = permit.approved_sha256 or permit.content_sha256
    actual = content_sha256(text)
    if expected is None or expected == actual:
        return None
    return f"the text's hash {actual[:16]} is not the approved hash {expected[:16]}"


def refuse_mismatch(permit: Permit, detail: str, now: datetime) -> Permit | ForbiddenTransition:
    """Return the PENDING permit FAILED because its text is not the approved text."""
    if permit.status is not PermitStatus.PENDING:
        return ForbiddenTransition(
            permit_id=permit.permit_id,
            status=permit.status,
            event="RefuseMismatch",
            reason="only a PENDING permit is refused before a claim",
        )
    return replace(
        permit,
        status=PermitStatus.FAILED,
        fence=permit.fence + 1,
        failure_reason=f"{REVIEW_MISMATCH}: {detail}"[:255],
        updated_at=now,
    )
