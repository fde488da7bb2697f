"""The one reply that confirms an opt-out: which platforms' rules allow it, and when to send it.

Off by default (`opt_outs.confirmation`). The stop message that newly records its author's
opt-out is queued flagged as a confirmation; the scheduler answers it with the configured text
(no generator; the content guard still runs) and never answers that author again. It is the
one reply the stop message's interaction allows, so it skips the thread and per-author rules
that keep the bot from answering a conversation twice, and keeps every account budget.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from datetime import datetime

from xbot.domain.budgets import (
    BudgetRules,
    Grant,
    Refusal,
    RefusalReason,
    ReplyIntent,
    ReplyRecord,
    account_refusal,
)
from xbot.domain.confirmation_rules import CONFIRMATION_RULES
from xbot.domain.opt_outs import OptOutHow

#: the decision's `generator` of a confirmation: the configured text, no generator ran
CONFIRMATION_GENERATOR = "confirmation"


def confirms(
    platform: str, how: OptOutHow, *, summoned: bool, enabled: bool, platforms: Collection[str]
) -> bool:
    """Return True when the message that opted its author out gets the one confirmation.

    Only a stop message that summoned the account is answered (a block or a mute has nothing to
    answer), only when the operator turned it on for the platform and the platform allows it.
    """
    rule = CONFIRMATION_RULES.get(platform)
    return (
        enabled
        and platform in platforms
        and rule is not None
        and rule.allowed
        and how is OptOutHow.STOP_WORD
        and summoned
    )


def may_confirm(
    history: Iterable[ReplyRecord],
    intent: ReplyIntent,
    rules: BudgetRules,
    *,
    now: datetime,
    answered: Collection[str] = (),
) -> Grant | Refusal:
    """Return Grant when the confirmation keeps the account's budgets and its target is unanswered.

    The thread and per-author rules do not apply: the stop message is often a reply in a thread
    the bot answered, and this reply is the last the author gets.
    """
    records = list(history)
    if intent.target_post_id in answered:
        return Refusal(reason=RefusalReason.TARGET_ALREADY_ANSWERED, retry_at=None)
    if any(record.target_post_id == intent.target_post_id for record in records):
        return Refusal(reason=RefusalReason.TARGET_ALREADY_REPLIED, retry_at=None)
    return account_refusal(records, rules, now=now) or Grant()
