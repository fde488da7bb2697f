"""Permits: the single authorisation to publish one Decision, and its state machine (DESIGN §5).

    PENDING --claim--> POSTING --Accepted--> USED
       |                  |--Rejected (definitive, before acceptance)--> FAILED
       |                  |--NotSent (surely not sent)--> PENDING (not_before = retry_at)
       |                  |--OutcomeUnknown (ambiguous)--> UNKNOWN
       |                  '--LeaseExpired (the holder vanished)--> UNKNOWN
       |--Expire (expires_at passed, deferred past it, or the kill switch drains)--> EXPIRED
       '--Withdraw (a ghost reply answers the target: xbot.domain.answered)--> FAILED
    UNKNOWN|POSTING|PENDING-already-tried --FoundOnReadBack--> USED (reconciled)
    UNKNOWN --AbsentOnReadBack (after the visibility grace)--> PENDING, or FAILED past max attempts

With review and shadow mode (xbot.domain.review, xbot.domain.shadow):

    AWAITING_REVIEW --approve (the approved hash = the text's hash)--> PENDING
    AWAITING_REVIEW --edit (new text, guarded, new hash approved in the same act)--> PENDING
    AWAITING_REVIEW --reject--> FAILED (review_rejected)
    AWAITING_REVIEW --deadline passed--> EXPIRED (review_expired)
    PENDING --text hash differs from the approved hash--> FAILED (review_mismatch)
    POSTING --shadow account: everything but the platform write--> SHADOWED (terminal)

The claim is not an event here: it is one statement in the store (xbot.store.queries.claims,
its rule xbot.store.queries.permits.claimable), the only place that decides which permit is
claimable (PENDING, past its back-off, before its expiry) and takes it, because only the
database can decide that under concurrent workers; whether a worker may claim at all is
xbot.domain.claims.may_claim.

The fence rule: the holder's own outcome (Accepted, Rejected, NotSent, OutcomeUnknown) keeps the
fence it claimed with; every other writer (the claim, LeaseExpired, read-back, Expire) takes the
permit over and bumps it, so a late write by the previous holder finds zero rows and stops
(LeaseLost).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any, NewType, assert_never

from xbot.domain.clock import ensure_utc
from xbot.domain.expiry import ExpiryReason, expiry_detail, expiry_reason
from xbot.domain.posts import ReplyTarget

PermitId = NewType("PermitId", str)

#: claims of one permit before a read-back that proves absence gives up (FAILED)
MAX_PUBLISH_ATTEMPTS = 3


class PermitStatus(StrEnum):
    """`post_attempts.status`."""

    PENDING = "PENDING"  #: waiting for a claim, not before `not_before`
    POSTING = "POSTING"  #: claimed by one worker under a lease; the publish is in progress
    USED = "USED"  #: published; `actual_tweet_id` holds the post's id
    FAILED = "FAILED"  #: refused for good; `failure_reason` says why
    UNKNOWN = "UNKNOWN"  #: may or may not be published: read back, never re-send blindly
    EXPIRED = "EXPIRED"  #: never published: too late, or drained by the kill switch
    #: waiting for a person to approve, edit or reject its exact text before its review deadline
    AWAITING_REVIEW = "AWAITING_REVIEW"
    #: a shadow account's permit: everything ran but the platform write; the text is kept
    SHADOWED = "SHADOWED"


TERMINAL_STATUSES = frozenset(
    {PermitStatus.USED, PermitStatus.FAILED, PermitStatus.EXPIRED, PermitStatus.SHADOWED}
)


def _aware(moment: datetime | None) -> datetime | None:
    return ensure_utc(moment) if moment is not None else None


@dataclass(frozen=True, kw_only=True, slots=True)
class Permit:
    """One row of `post_attempts`."""

    permit_id: PermitId
    decision_id: str
    account_id: int
    status: PermitStatus
    created_at: datetime
    expires_at: datetime | None = None
    not_before: datetime | None = None
    claimed_by: str | None = None
    claimed_sha: str | None = None
    lease_until: datetime | None = None
    fence: int = 0
    attempts: int = 0
    actual_tweet_id: str | None = None
    used_at: datetime | None = None
    reconciled: bool = False
    failure_reason: str | None = None
    updated_at: datetime | None = None
    #: the latest claim, on the database clock; budgets count the permit at this time
    claimed_at: datetime | None = None
    #: SHA-256 (hex) of the decision's exact text when the permit was made or last edited
    content_sha256: str | None = None
    #: when an AWAITING_REVIEW permit expires unreviewed; None for permits that needed no review
    review_deadline: datetime | None = None
    #: SHA-256 of the text a person approved, who, and when (xbot.domain.review)
    approved_sha256: str | None = None
    approved_by: str | None = None
    approved_at: datetime | None = None

    @property
    def budget_at(self) -> datetime:
        """Return when budgets count the permit: its claim, never the platform's timestamp.

        Rows without a claim time (never claimed, or older than migration 0004) count at
        used_at, else their last change, else their creation.
        """
        return self.claimed_at or self.used_at or self.updated_at or self.created_at

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> Permit:
        """Build a Permit from a `post_attempts` row (any mapping with its column names)."""
        return cls(
            permit_id=PermitId(row["permit_id"]),
            decision_id=row["decision_id"],
            account_id=int(row["account_id"]),
            status=PermitStatus(row["status"]),
            created_at=ensure_utc(row["created_at"]),
            expires_at=_aware(row["expires_at"]),
            not_before=_aware(row["not_before"]),
            claimed_by=row["claimed_by"],
            claimed_sha=row["claimed_sha"],
            lease_until=_aware(row["lease_until"]),
            fence=int(row["fence"]),
            attempts=int(row["attempts"]),
            actual_tweet_id=row["actual_tweet_id"],
            used_at=_aware(row["used_at"]),
            reconciled=bool(row["reconciled"]),
            failure_reason=row["failure_reason"],
            updated_at=_aware(row["updated_at"]),
            claimed_at=_aware(row.get("claimed_at")),
            content_sha256=row.get("content_sha256"),
            review_deadline=_aware(row.get("review_deadline")),
            approved_sha256=row.get("approved_sha256"),
            approved_by=row.get("approved_by"),
            approved_at=_aware(row.get("approved_at")),
        )


@dataclass(frozen=True, kw_only=True, slots=True)
class PermitReply:
    """A permit with what it authorises: the decision's text and the post it answers."""

    permit: Permit
    candidate_id: int
    target_post_id: str
    target_author_handle: str
    reply_text: str
    target_meta: Mapping[str, Any] = field(default_factory=dict)

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> PermitReply:
        """Build from a `post_attempts` row joined with its decision and candidate."""
        return cls(
            permit=Permit.from_row(row),
            candidate_id=int(row["candidate_id"]),
            target_post_id=row["target_post_id"],
            target_author_handle=row["author_handle"],
            reply_text=row["reply_text"],
            target_meta=dict(row["target_meta"] or {}),
        )

    def reply_target(self) -> ReplyTarget:
        """Return the post this reply answers, as the platform adapter wants it."""
        return ReplyTarget(
            post_id=self.target_post_id,
            author_handle=self.target_author_handle,
            meta=self.target_meta,
        )


# --- events: what can happen to a permit ---


@dataclass(frozen=True, kw_only=True, slots=True)
class Accepted:
    """The platform answered with the new post's id."""

    post_id: str


@dataclass(frozen=True, kw_only=True, slots=True)
class Rejected:
    """The platform refused for good before accepting anything."""

    reason: str


@dataclass(frozen=True, kw_only=True, slots=True)
class NotSent:
    """The publish surely did not happen (connect refused, 429); try again at retry_at."""

    reason: str
    retry_at: datetime
    #: the operator must act first (credentials, credits): the deferral is an error
    needs_operator: bool


@dataclass(frozen=True, kw_only=True, slots=True)
class OutcomeUnknown:
    """The publish may have happened (timeout after send, reset, 5xx, duplicate content)."""

    reason: str


@dataclass(frozen=True, kw_only=True, slots=True)
class LeaseExpired:
    """The holder's lease ran out before it recorded an outcome (crash, hang)."""


@dataclass(frozen=True, kw_only=True, slots=True)
class FoundOnReadBack:
    """Our post is on the account: the permit was used."""

    post_id: str
    posted_at: datetime | None = None


@dataclass(frozen=True, kw_only=True, slots=True)
class AbsentOnReadBack:
    """Our post is not on the account; absence is proof only after the visibility grace."""

    grace: timedelta
    max_attempts: int = MAX_PUBLISH_ATTEMPTS


@dataclass(frozen=True, kw_only=True, slots=True)
class Expire:
    """The permit is too late to use, or the kill switch drains the queue."""

    drained: bool = False


PermitEvent = (
    Accepted
    | Rejected
    | NotSent
    | OutcomeUnknown
    | LeaseExpired
    | FoundOnReadBack
    | AbsentOnReadBack
    | Expire
)


@dataclass(frozen=True, kw_only=True, slots=True)
class ForbiddenTransition:
    """The event may not happen to the permit in its current state; nothing changes."""

    permit_id: str
    status: PermitStatus
    event: str
    reason: str


def transition(permit: Permit, event: PermitEvent, now: datetime) -> Permit | ForbiddenTransition:
    """Return the permit after `event`, or why the event is forbidden now."""
    match event:
        case Accepted() | Rejected() | NotSent() | OutcomeUnknown():
            return _outcome(permit, event, now)
        case LeaseExpired():
            return _lease_expired(permit, now)
        case FoundOnReadBack():
            return _found(permit, event, now)
        case AbsentOnReadBack():
            return _absent(permit, event, now)
        case Expire():
            return _expire(permit, event, now)
        case _:
            assert_never(event)


def _forbid(permit: Permit, event: PermitEvent, reason: str) -> ForbiddenTransition:
    return ForbiddenTransition(
        permit_id=permit.permit_id, status=permit.status, event=type(event).__name__, reason=reason
    )


def _outcome(
    permit: Permit, event: Accepted | Rejected | NotSent | OutcomeUnknown, now: datetime
) -> Permit | ForbiddenTransition:
    if permit.status is not PermitStatus.POSTING:
        return _forbid(permit, event, "only the POSTING holder records a publish outcome")
    done = replace(permit, lease_until=None, updated_at=now)
    match event:
        case Accepted():
            return replace(
                done,
                status=PermitStatus.USED,
                actual_tweet_id=event.post_id,
                used_at=now,
                failure_reason=None,
            )
        case Rejected():
            return replace(done, status=PermitStatus.FAILED, failure_reason=event.reason)
        case NotSent():
            return replace(
                done,
                status=PermitStatus.PENDING,
                not_before=event.retry_at,
                failure_reason=event.reason,
            )
        case OutcomeUnknown():
            return replace(done, status=PermitStatus.UNKNOWN, failure_reason=event.reason)
        case _:
            assert_never(event)


def _lease_expired(permit: Permit, now: datetime) -> Permit | ForbiddenTransition:
    if permit.status is not PermitStatus.POSTING:
        return _forbid(permit, LeaseExpired(), "only a POSTING permit holds a lease")
    if permit.lease_until is not None and permit.lease_until > now:
        return _forbid(permit, LeaseExpired(), "the lease is still live")
    return replace(
        permit,
        status=PermitStatus.UNKNOWN,
        lease_until=None,
        fence=permit.fence + 1,
        failure_reason="lease_expired",
        updated_at=now,
    )


def _found(permit: Permit, event: FoundOnReadBack, now: datetime) -> Permit | ForbiddenTransition:
    # A PENDING permit that was tried before may have landed late (visibility beyond the grace):
    # recording it stops the retry from posting a second reply.
    tried = permit.status is PermitStatus.PENDING and permit.attempts > 0
    if permit.status not in {PermitStatus.UNKNOWN, PermitStatus.POSTING} and not tried:
        return _forbid(permit, event, "only an UNKNOWN, POSTING or retried permit is reconciled")
    return replace(
        permit,
        status=PermitStatus.USED,
        actual_tweet_id=event.post_id,
        used_at=event.posted_at or now,
        reconciled=True,
        lease_until=None,
        fence=permit.fence + 1,
        failure_reason=None,
        updated_at=now,
    )


def _absent(permit: Permit, event: AbsentOnReadBack, now: datetime) -> Permit | ForbiddenTransition:
    if permit.status is not PermitStatus.UNKNOWN:
        return _forbid(permit, event, "only an UNKNOWN permit is proven absent")
    # updated_at is when the permit became UNKNOWN, after the publish attempt: a safe origin.
    if permit.updated_at is not None and now < permit.updated_at + event.grace:
        return _forbid(permit, event, "within the platform's visibility grace")
    taken = replace(permit, fence=permit.fence + 1, lease_until=None, updated_at=now)
    if permit.attempts >= event.max_attempts:
        reason = f"not published after {permit.attempts} attempts (last: {permit.failure_reason})"
        return replace(taken, status=PermitStatus.FAILED, failure_reason=reason[:255])
    return replace(taken, status=PermitStatus.PENDING, not_before=now)


def _expire(permit: Permit, event: Expire, now: datetime) -> Permit | ForbiddenTransition:
    if permit.status is not PermitStatus.PENDING:
        return _forbid(permit, event, "only a PENDING permit expires")
    reason = ExpiryReason.DRAINED if event.drained else permit_expiry(permit, now)
    if reason is None:
        return _forbid(permit, event, "not expired yet")
    detail = expiry_detail(
        reason,
        not_before=permit.not_before,
        expires_at=permit.expires_at,
        backoff=permit.failure_reason,
    )
    return replace(
        permit,
        status=PermitStatus.EXPIRED,
        fence=permit.fence + 1,
        failure_reason=detail,
        updated_at=now,
    )


def permit_expiry(permit: Permit, now: datetime) -> ExpiryReason | None:
    """Return why a PENDING permit expires now (not counting a drain), or None."""
    if permit.status is not PermitStatus.PENDING:
        return None
    return expiry_reason(expires_at=permit.expires_at, not_before=permit.not_before, now=now)
