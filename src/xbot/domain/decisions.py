"""What the scheduler decides: one exact text for one candidate, published under one permit."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any


@dataclass(frozen=True, kw_only=True, slots=True)
class NewDecision:
    """What the scheduler decided: one exact text for one candidate."""

    account_id: int
    candidate_id: int
    target_post_id: str
    reply_text: str
    generator: str
    generator_meta: Mapping[str, Any]
    permit_expires_at: datetime
    #: set when a person must review the text first: the permit is AWAITING_REVIEW until then
    review_deadline: datetime | None = None


@dataclass(frozen=True, kw_only=True, slots=True)
class Decided:
    """The decision and its PENDING permit, as written."""

    decision_id: str
    permit_id: str
