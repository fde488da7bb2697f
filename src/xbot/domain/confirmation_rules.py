"""Which platforms' rules allow the one reply that confirms an opt-out (xbot.domain.confirmations).

Apart from the sending rule so that the settings (`opt_outs.confirmation_platforms`' default)
read it without the stop-word matcher, whose regexes every process would otherwise load.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, kw_only=True, slots=True)
class ConfirmationRule:
    """Whether a platform's rules allow one reply to a stop message, and where that is written."""

    allowed: bool
    source: str


#: per platform (platform-facts.md, "2026 policy and pricing", 2026-12-01)
CONFIRMATION_RULES: dict[str, ConfirmationRule] = {
    "x": ConfirmationRule(
        allowed=True,
        source="the stop message mentions the account, so one reply to it is a summoned reply, "
        "and one reply per interaction is allowed (§1.9, §5.2)",
    ),
    "bluesky": ConfirmationRule(
        allowed=True,
        source="the author tagged the account, and bots interact when tagged (§2.7, §5.4)",
    ),
    "mastodon": ConfirmationRule(
        allowed=True,
        source="the author mentioned the account: opt-in interaction, reply when mentioned (§3.5)",
    ),
}
