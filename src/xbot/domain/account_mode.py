"""An account's mode: live accounts post; a shadow account runs everything but the write.

Apart from xbot.domain.review (which owns the review transitions and imports the permit model)
so that `xbot certify` and the claim read the mode without loading the whole permit domain.
"""

from __future__ import annotations

from enum import StrEnum


class AccountMode(StrEnum):
    """An account's `mode`: live posts, shadow runs everything but the platform write."""

    LIVE = "live"
    SHADOW = "shadow"


#: the `controls` row that overrides an account's configured mode while workers run
MODE_CONTROL_PREFIX = "account_mode:"


def mode_control(account_id: int) -> str:
    """Return the name of the account's mode switch in `controls`."""
    return f"{MODE_CONTROL_PREFIX}{account_id}"


def effective_mode(configured: str, switched: object) -> AccountMode:
    """Return the account's mode: the switch's value when set, else the configured one.

    A switch value that is not a known mode fails closed: shadow (nothing is posted).
    """
    if switched is None:
        return AccountMode(configured)
    value = switched.get("mode") if isinstance(switched, dict) else None
    return AccountMode(value) if value in {m.value for m in AccountMode} else AccountMode.SHADOW
