"""The cost governor's decisions: what a call costs, and whether a cap stops the next one.

Money is counted in integer micro-dollars per account, UTC day and endpoint class (the
`platform_usage` table). A cap (`cost.daily_usd`, `cost.monthly_usd`, per account and global)
stops a call *before* it would cross the cap: posting refuses when the spend plus this reply's
price exceeds a cap, and fetching stops once what is left would not pay for one more reply, so
reads never use up the money for the replies they find (platform-facts §5.1).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum

from xbot.domain.clock import ensure_utc
from xbot.domain.rate_card import WRITES, EndpointClass, RateCard, micro_to_usd, usd_to_micro

_URL_MARKERS = ("http://", "https://")


@dataclass(frozen=True, kw_only=True, slots=True)
class Charge:
    """What calls of one endpoint class cost: `calls` requests billed `units` resources."""

    endpoint_class: EndpointClass
    calls: int = 1
    units: int = 1
    cost_micro: int = 0


def reply_class(text: str, *, summoned: bool) -> EndpointClass:
    """Return how X bills a reply: with a URL, to a summoning author, or a plain create."""
    if any(marker in text.lower() for marker in _URL_MARKERS):
        return EndpointClass.POST_CREATE_URL  # $0.20 against $0.015 (platform-facts §5.1)
    return EndpointClass.SUMMONED_REPLY if summoned else EndpointClass.POST_CREATE


def reply_charge(card: RateCard, text: str, *, summoned: bool) -> Charge:
    """Return the charge for publishing one reply."""
    endpoint_class = reply_class(text, summoned=summoned)
    return Charge(endpoint_class=endpoint_class, cost_micro=card.price(endpoint_class))


def read_charge(card: RateCard, endpoint_class: EndpointClass, units: int) -> Charge:
    """Return the charge for one read call that billed `units` resources."""
    return Charge(
        endpoint_class=endpoint_class, units=units, cost_micro=units * card.price(endpoint_class)
    )


def cheapest_reply(card: RateCard) -> int:
    """Return the least a reply can cost on this card (what fetching keeps in reserve)."""
    prices = [card.price(endpoint_class) for endpoint_class in WRITES]
    return min(prices) if prices else 0


class CapScope(StrEnum):
    """Whose spend a cap limits."""

    ACCOUNT = "account"  #: one account's spend
    GLOBAL = "global"  #: every account's spend together


class CapPeriod(StrEnum):
    """Over which window a cap counts."""

    DAILY = "daily"  #: the UTC day
    MONTHLY = "monthly"  #: the UTC calendar month


@dataclass(frozen=True, kw_only=True, slots=True)
class Spend:
    """Micro-dollars spent so far today and this month (UTC), by the account and by all."""

    account_day: int = 0
    account_month: int = 0
    global_day: int = 0
    global_month: int = 0
    #: the prices claims reserved for replies not yet recorded (POSTING permits), the
    #: account's and everyone's: a cap counts them as spent, so concurrent claims cannot pass it
    account_reserved: int = 0
    global_reserved: int = 0

    def of(self, scope: CapScope, period: CapPeriod) -> int:
        """Return the spend a cap of `scope` and `period` counts, reservations included."""
        return self.spent(scope, period) + self.reserved(scope)

    def spent(self, scope: CapScope, period: CapPeriod) -> int:
        """Return what was recorded as spent, without the reservations."""
        if scope is CapScope.ACCOUNT:
            return self.account_day if period is CapPeriod.DAILY else self.account_month
        return self.global_day if period is CapPeriod.DAILY else self.global_month

    def reserved(self, scope: CapScope) -> int:
        """Return what claims of the account (or of all accounts) reserved and did not record."""
        return self.account_reserved if scope is CapScope.ACCOUNT else self.global_reserved


@dataclass(frozen=True, kw_only=True, slots=True)
class CostCaps:
    """The caps in micro-dollars; None means no cap."""

    account_daily: int | None = None
    account_monthly: int | None = None
    global_daily: int | None = None
    global_monthly: int | None = None

    @classmethod
    def from_usd(
        cls, account: tuple[float | None, float | None], overall: tuple[float | None, float | None]
    ) -> CostCaps:
        """Build from (daily_usd, monthly_usd) of the account and of the global settings."""
        micro = [None if usd is None else usd_to_micro(usd) for usd in (*account, *overall)]
        return cls(
            account_daily=micro[0],
            account_monthly=micro[1],
            global_daily=micro[2],
            global_monthly=micro[3],
        )

    def limit(self, scope: CapScope, period: CapPeriod) -> int | None:
        """Return the cap of `scope` and `period`, or None."""
        if scope is CapScope.ACCOUNT:
            return self.account_daily if period is CapPeriod.DAILY else self.account_monthly
        return self.global_daily if period is CapPeriod.DAILY else self.global_monthly


@dataclass(frozen=True, kw_only=True, slots=True)
class CapBlock:
    """A cap stops the next call until `until` (the next UTC day or month)."""

    scope: CapScope
    period: CapPeriod
    limit_micro: int
    spent_micro: int
    until: datetime
    #: the part of the spend that in-flight claims reserved (not yet recorded)
    reserved_micro: int = 0

    def describe(self) -> str:
        """Return one line: "account daily cap $0.05 reached ($0.0480 spent) until …"."""
        spent = micro_to_usd(self.spent_micro - self.reserved_micro)
        reserved = micro_to_usd(self.reserved_micro)
        held = f" + ${reserved:.4f} reserved" if self.reserved_micro else ""
        return (
            f"{self.scope.value} {self.period.value} cap ${micro_to_usd(self.limit_micro):g} "
            f"reached (${spent:.4f} spent{held}) until {self.until:%Y-%m-%d %H:%M} UTC"
        )


#: monthly caps first: when both stop the call, the longer block is the one to show
_ORDER = [
    (scope, period)
    for period in (CapPeriod.MONTHLY, CapPeriod.DAILY)
    for scope in (CapScope.ACCOUNT, CapScope.GLOBAL)
]


def cap_block(spend: Spend, caps: CostCaps, *, next_cost: int, now: datetime) -> CapBlock | None:
    """Return the cap that a call costing `next_cost` would cross, or None; a free call passes."""
    now = ensure_utc(now)
    for scope, period in _ORDER:
        limit = caps.limit(scope, period)
        spent = spend.of(scope, period)
        if limit is not None and next_cost > 0 and spent + next_cost > limit:
            until = next_day(now) if period is CapPeriod.DAILY else next_month(now)
            return CapBlock(
                scope=scope, period=period, limit_micro=limit, spent_micro=spent, until=until,
                reserved_micro=spend.reserved(scope),
            )  # fmt: skip
    return None


def usage_day(now: datetime) -> date:
    """Return the UTC day a call made at `now` is counted on."""
    return ensure_utc(now).date()


def month_start(now: datetime) -> date:
    """Return the first day of `now`'s UTC month."""
    return usage_day(now).replace(day=1)


def next_day(now: datetime) -> datetime:
    """Return the next UTC midnight after `now`."""
    return datetime.combine(usage_day(now) + timedelta(days=1), time(), tzinfo=UTC)


def next_month(now: datetime) -> datetime:
    """Return the first instant of the UTC month after `now`'s."""
    first = month_start(now)
    following = date(first.year + first.month // 12, first.month % 12 + 1, 1)
    return datetime.combine(following, time(), tzinfo=UTC)


@dataclass(frozen=True, kw_only=True, slots=True)
class CostStop:
    """The account may not spend until `until`: a cap is reached, or X refused payment."""

    detail: str
    until: datetime
    since: datetime | None = None

    def stands(self, now: datetime) -> bool:
        """Return True while the stop lasts."""
        return ensure_utc(now) < self.until


def cost_stop(
    spend: Spend, caps: CostCaps, card: RateCard, *, refused: CostStop | None, now: datetime
) -> CostStop | None:
    """Return why the account may not spend now, or None.

    A refusal from the platform (X's 402 or UsageCapExceeded) stands until its end; otherwise a
    cap stops the account once what is left would not pay for its cheapest reply.
    """
    if refused is not None and refused.stands(now):
        return refused
    block = cap_block(spend, caps, next_cost=cheapest_reply(card), now=now)
    return CostStop(detail=block.describe(), until=block.until) if block is not None else None


def refused_stop(detail: str, *, now: datetime) -> CostStop:
    """Return the stop a 402 or UsageCapExceeded sets: until the next UTC day (or a resume)."""
    return CostStop(detail=f"{detail} until {next_day(now):%Y-%m-%d %H:%M} UTC",
                    until=next_day(now), since=ensure_utc(now))  # fmt: skip


@dataclass(frozen=True, kw_only=True, slots=True)
class AccountCharges:
    """Charges to add to one account's usage of `at`'s UTC day, with the job's own writes."""

    account_id: int
    charges: tuple[Charge, ...]
    at: datetime
