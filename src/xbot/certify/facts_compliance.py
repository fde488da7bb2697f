"""The facts of check J (compliance): the rules the window's posts broke, labels and spend."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime


@dataclass(frozen=True, kw_only=True, slots=True)
class Violation:
    """One rule one USED permit broke."""

    permit_id: str
    #: "platform:handle"
    account: str
    #: opted_out, bot_author, author_nobot, threadgate, cashtags, link, url_cost, …
    rule: str
    detail: str


@dataclass(frozen=True, kw_only=True, slots=True)
class ComplianceFacts:
    """J: the posts since `since`, the rules they broke, the accounts' labels and the spend."""

    since: datetime
    posts: int = 0
    violations: tuple[Violation, ...] = ()
    #: accounts whose newest label check found no label, with why
    unlabelled: tuple[str, ...] = ()
    #: accounts without a label check
    unchecked: tuple[str, ...] = ()
    #: every account with a label check ("platform:handle")
    accounts: tuple[str, ...] = ()
    #: spend over a cost cap, one line each
    overspent: tuple[str, ...] = ()
    #: spend today and this month in one line ("" when not worth a line)
    spend: str = ""

    def as_data(self) -> dict[str, object]:
        """Return the facts as the report's JSON keeps them."""
        return {
            "since": self.since,
            "posts": self.posts,
            "violations": [asdict(violation) for violation in self.violations],
            "unlabelled": list(self.unlabelled),
            "unchecked": list(self.unchecked),
            "accounts": list(self.accounts),
            "overspent": list(self.overspent),
            "spend": self.spend,
        }
