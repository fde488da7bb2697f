"""Targets answered outside xbot: a ghost reply on the account means the target is answered.

A ghost reply (`ghost_tweets.in_reply_to` = the target) of any classification counts, acknowledged
or not: `xbot ghosts ack` vouches for a post made outside xbot (a person's), it does not unsay the
reply. The one exception is a ghost that is xbot's own post, acknowledged as ours by a USED permit
holding its post id (recorded as a ghost before reconcile caught up): that reply is the bot's.

The scheduler skips such a candidate (`target_already_answered`); the claim re-checks it and
withdraws a PENDING permit for good: FAILED with the reason and the ghost's post id.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from xbot.domain.permits import ForbiddenTransition, Permit, PermitStatus

#: the candidate's skip reason and the withdrawn permit's failure reason
TARGET_ALREADY_ANSWERED = "target_already_answered"


def withdraw(permit: Permit, ghost_post_id: str, now: datetime) -> Permit | ForbiddenTransition:
    """Return the PENDING permit FAILED because a ghost reply answers its target already."""
    if permit.status is not PermitStatus.PENDING:
        return ForbiddenTransition(
            permit_id=permit.permit_id,
            status=permit.status,
            event="Withdraw",
            reason="only a PENDING permit is withdrawn",
        )
    return replace(
        permit,
        status=PermitStatus.FAILED,
        fence=permit.fence + 1,
        failure_reason=f"{TARGET_ALREADY_ANSWERED}: ghost reply {ghost_post_id}"[:255],
        updated_at=now,
    )
