"""Shadow mode: a shadow account's claimed permit ends SHADOWED instead of being published.

    POSTING --Shadowed (the holder skips the platform write)--> SHADOWED (terminal, text kept)

Everything before the write ran (fetch, schedule, guard, permit, claim); the claim time counts
for budgets as a post would, so the budgets behave as if the account posted.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from xbot.domain.permits import ForbiddenTransition, Permit, PermitStatus

#: the candidate's skip reason when its permit was shadowed
SHADOWED = "shadowed"


@dataclass(frozen=True, kw_only=True, slots=True)
class Shadowed:
    """The holder of a shadow account's permit did everything but the platform write."""


def shadow(permit: Permit, now: datetime) -> Permit | ForbiddenTransition:
    """Return the POSTING permit SHADOWED; the holder's outcome, so it keeps its fence."""
    if permit.status is not PermitStatus.POSTING:
        return ForbiddenTransition(
            permit_id=permit.permit_id,
            status=permit.status,
            event="Shadowed",
            reason="only the POSTING holder shadows a permit",
        )
    return replace(
        permit, status=PermitStatus.SHADOWED, lease_until=None, failure_reason=None, updated_at=now
    )
