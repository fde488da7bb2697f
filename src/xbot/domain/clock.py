"""Time helpers. Domain code never reads the clock; callers pass `now`."""

from __future__ import annotations

from datetime import UTC, datetime


def ensure_utc(moment: datetime) -> datetime:
    """Return `moment` as an aware UTC datetime; naive values are taken to be UTC."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)
