"""What the audit log (`system_events`) holds: one appended event, and one read back."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

Severity = Literal["debug", "info", "warning", "error", "critical"]


@dataclass(frozen=True, kw_only=True, slots=True)
class NewEvent:
    """One event to append; the store masks URL passwords in its data on the way in."""

    event_type: str
    data: Mapping[str, Any]
    #: None: the store's clock at the moment it writes (the database's on PostgreSQL)
    now: datetime | None = None
    severity: Severity = "info"
    component: str = "xbot"
    account_id: int | None = None
    worker_id: str | None = None


@dataclass(frozen=True, kw_only=True, slots=True)
class StoredEvent:
    """One event as the audit log keeps it."""

    event_id: int
    event_type: str
    data: Mapping[str, Any]
    created_at: datetime
    severity: str
    component: str
    account_id: int | None
    worker_id: str | None
