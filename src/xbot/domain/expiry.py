"""Why a PENDING permit expires: too late, deferred past its expiry, or drained."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum


class ExpiryReason(StrEnum):
    """Why a PENDING permit expired (the `posting_blocked_expired` event's `reason`)."""

    EXPIRED = "expired"  #: its expires_at passed before any claim
    #: its back-off (not_before, e.g. a 429's reset) lies at or after expires_at: no claim can
    #: ever happen, so it expires at once instead of waiting silently
    DEFERRED_PAST_EXPIRY = "deferred_past_expiry"
    DRAINED = "drained"  #: the kill switch drained the queue


def expiry_reason(
    *, expires_at: datetime | None, not_before: datetime | None, now: datetime
) -> ExpiryReason | None:
    """Return why a PENDING permit with these times expires now (not counting a drain), or None."""
    if expires_at is None:
        return None
    if not_before is not None and not_before >= expires_at:
        return ExpiryReason.DEFERRED_PAST_EXPIRY
    return ExpiryReason.EXPIRED if expires_at <= now else None


def expiry_detail(
    reason: ExpiryReason,
    *,
    not_before: datetime | None,
    expires_at: datetime | None,
    backoff: str | None,
) -> str:
    """Return the expired permit's failure_reason: what happened, with the back-off if any."""
    if reason is ExpiryReason.DRAINED:
        return "drained by the kill switch"
    if reason is ExpiryReason.EXPIRED or not_before is None or expires_at is None:
        return "expired before it was used"
    detail = (
        f"deferred past expiry: not before {not_before:%Y-%m-%dT%H:%M:%SZ}, "
        f"expires {expires_at:%Y-%m-%dT%H:%M:%SZ} (back-off: {backoff})"
    )
    return detail[:255]
