"""The facts of check I (accounts can post): one row per account, and what they explain."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime

from xbot.domain.account_mode import AccountMode
from xbot.domain.account_state import PostingState


@dataclass(frozen=True, kw_only=True, slots=True)
class AccountRow:
    """One account's row in I's table: its state now, today's posts and its mode."""

    account: str
    state: PostingState
    reason: str | None = None
    detail: str = ""
    since: datetime | None = None
    until: datetime | None = None
    posts_today: int = 0
    per_day: int = 0
    mode: AccountMode = AccountMode.LIVE

    def as_data(self) -> dict[str, object]:
        """Return the row as the report's JSON keeps it."""
        return asdict(self)


@dataclass(frozen=True, kw_only=True, slots=True)
class AccountsFacts:
    """I: every account's row, the checks a hold or shadow mode explains, the shadow accounts."""

    accounts: tuple[AccountRow, ...] = ()
    #: checks whose silence I explains (every account held, or every one in shadow mode)
    explains: tuple[str, ...] = ()
    shadow_accounts: tuple[str, ...] = ()

    def as_data(self) -> dict[str, object]:
        """Return the facts as the report's JSON keeps them."""
        return {
            "accounts": [row.as_data() for row in self.accounts],
            "explains": list(self.explains),
            "shadow_accounts": list(self.shadow_accounts),
        }
