"""Check, and with `labels.apply` write, each account's automated-account label (issue 15).

Run at every worker boot and by `xbot accounts check`. Each check is one
`account_label_checked` event, which /ready and certify's check J read. A platform call that
fails never stops a boot: the check says `unreadable` and why.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine

from xbot.config import Settings
from xbot.domain.errors import XbotError
from xbot.domain.labels import LabelState, is_live, x_label_state
from xbot.domain.ports import BotLabels, Platform
from xbot.events import EventType
from xbot.jobs.base import Account
from xbot.operations import Actor
from xbot.store.engine import translated_errors
from xbot.store.queries import labels
from xbot.store.queries.common import database_now
from xbot.store.queries.events import append_event

HINTS = {
    "x": "set X's Automated label (Settings > Automation), then x.automated_label_attested = true",
    "bluesky": "set labels.apply = true (or add the bot self-label to the profile by hand)",
    "mastodon": "set labels.apply = true (or tick 'This is a bot account' in the profile)",
}


@dataclass(frozen=True, kw_only=True, slots=True)
class LabelCheck:
    """What one account's label check found."""

    account: Account
    state: LabelState
    detail: str = ""

    def describe(self) -> str:
        """Return one line: "bluesky:bot label missing (set labels.apply = true ...)"."""
        detail = f" ({self.detail})" if self.detail else ""
        return f"{self.account.key} label {self.state.value}{detail}"


def check_labels(
    engine: Engine,
    settings: Settings,
    accounts: Sequence[Account],
    platform_for: Callable[[Account], Platform],
    actor: Actor,
) -> list[LabelCheck]:
    """Check every account's label (writing missing ones with `labels.apply`); record each."""
    checks = [check_label(account, settings, platform_for) for account in accounts]
    with translated_errors(), engine.begin() as connection:
        now = database_now(connection)
        for check in checks:
            append_event(
                connection, EventType.ACCOUNT_LABEL_CHECKED, _data(check, actor), now=now,
                severity="info" if check.state.ok else "warning", component=actor.via,
                account_id=check.account.account_id,
            )  # fmt: skip
    return checks


def check_label(
    account: Account, settings: Settings, platform_for: Callable[[Account], Platform]
) -> LabelCheck:
    """Read one account's label; write it when missing and `labels.apply` is on."""
    if account.platform == "x":
        state = x_label_state(attested=settings.x.automated_label_attested)
        live = is_live(account.settings.base_url)
        hint = HINTS["x"] if not state.ok else ""
        return LabelCheck(account=account, state=state, detail=hint if live else "")
    try:
        platform = platform_for(account)
        if not isinstance(platform, BotLabels):
            return LabelCheck(account=account, state=LabelState.UNREADABLE,
                              detail="this adapter cannot read labels")  # fmt: skip
        return _read_or_apply(account, platform, apply=settings.labels.apply)
    except XbotError as exc:
        return LabelCheck(account=account, state=LabelState.UNREADABLE, detail=str(exc)[:300])


def label_states(engine: Engine) -> dict[int, dict[str, Any]]:
    """Return each account's newest label check, by account id."""
    with translated_errors(), engine.connect() as connection:
        return labels.newest_label_checks(connection)


def _read_or_apply(account: Account, platform: BotLabels, *, apply: bool) -> LabelCheck:
    if platform.bot_label():
        return LabelCheck(account=account, state=LabelState.VERIFIED)
    if not apply:
        return LabelCheck(account=account, state=LabelState.MISSING,
                          detail=HINTS.get(account.platform, ""))  # fmt: skip
    platform.apply_bot_label()
    if platform.bot_label():
        return LabelCheck(account=account, state=LabelState.APPLIED)
    return LabelCheck(account=account, state=LabelState.MISSING,
                      detail="written, but the platform does not show it yet")  # fmt: skip


def _data(check: LabelCheck, actor: Actor) -> dict[str, Any]:
    return {
        "account": check.account.key,
        "platform": check.account.platform,
        "state": check.state.value,
        "ok": check.state.ok,
        "live": is_live(check.account.settings.base_url),
        "detail": check.detail,
        "by": actor.name,
    }
