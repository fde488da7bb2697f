"""One fenced permit write as the store port takes it: the change, its candidate mark, its events.

A job decides the change (xbot.domain.permits.transition) and hands it to the store, which writes
`after` only while the permit is still `before` (same fence, same status); a permit that moved on
in between is left alone, with its mark and events (another worker took it over).
"""

from __future__ import annotations

from dataclasses import dataclass

from xbot.domain.audit import NewEvent
from xbot.domain.candidates import CandidateMark
from xbot.domain.permits import Permit


@dataclass(frozen=True, kw_only=True, slots=True)
class PermitChange:
    """Write `after` while the permit is still `before`; mark its candidate; append the events."""

    before: Permit
    after: Permit
    candidate: CandidateMark | None = None
    events: tuple[NewEvent, ...] = ()

    @property
    def permit_id(self) -> str:
        """Return the id of the permit the change writes."""
        return self.before.permit_id
