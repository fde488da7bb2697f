"""Rate limits, credits and the monthly cap of the fake X (platform-facts §1.5)."""

from __future__ import annotations

import threading
from dataclasses import asdict, dataclass
from datetime import UTC, datetime

#: 15-minute window, X's standard
WINDOW_SECONDS = 900
DAY_SECONDS = 86400


@dataclass(frozen=True, kw_only=True, slots=True)
class Limit:
    """N requests per window."""

    count: int
    window_seconds: int = WINDOW_SECONDS


#: published limits per endpoint: (per user, per app) [XD:x-api/fundamentals/rate-limits.mdx]
PUBLISHED_LIMITS: dict[str, tuple[Limit | None, Limit | None]] = {
    "POST /2/tweets": (Limit(count=100), Limit(count=10000, window_seconds=DAY_SECONDS)),
    "DELETE /2/tweets/:id": (Limit(count=50), None),
    "GET /2/tweets/search/recent": (Limit(count=300), Limit(count=450)),
    "GET /2/users/:id/mentions": (Limit(count=300), Limit(count=450)),
    "GET /2/users/:id/tweets": (Limit(count=900), Limit(count=10000)),
    "GET /2/users/me": (Limit(count=75), None),
    "GET /2/tweets/:id": (Limit(count=900), Limit(count=450)),
}
#: the 24-hour limits X reports on POST /2/tweets (x-app-limit-24hour-*, x-user-limit-24hour-*);
#: ⚠ the per-user daily figure is not published for pay-per-use, so it is a setting
DAILY_POST_LIMITS = {"app": 10000, "user": 10000}

#: pay-per-use prices in USD [XD:x-api/getting-started/pricing.mdx]
PRICE_POST_CREATE = 0.015
PRICE_POST_CREATE_WITH_URL = 0.200
PRICE_SUMMONED_REPLY = 0.010
PRICE_POST_READ = 0.005
PRICE_OWNED_READ = 0.001
#: the price of each billing class, named as xbot's rate card names them
PRICES = {
    "post_create": PRICE_POST_CREATE,
    "post_create_url": PRICE_POST_CREATE_WITH_URL,
    "summoned_reply": PRICE_SUMMONED_REPLY,
    "post_read": PRICE_POST_READ,
    "owned_read": PRICE_OWNED_READ,
}


@dataclass(frozen=True, kw_only=True, slots=True)
class LimitVerdict:
    """The state of one window after a request, and whether the request may pass."""

    limit: int
    remaining: int
    reset: int
    exceeded: bool

    def headers(self, prefix: str = "x-rate-limit") -> dict[str, str]:
        """Return the rate-limit headers X sends for this window."""
        return {
            f"{prefix}-limit": str(self.limit),
            f"{prefix}-remaining": str(self.remaining),
            f"{prefix}-reset": str(self.reset),
        }


class RateLimiter:
    """Fixed windows per (endpoint, user or app), opened by the first request in them."""

    def __init__(self, overrides: dict[str, int] | None = None) -> None:
        self._lock = threading.Lock()
        self._windows: dict[tuple[str, str], tuple[float, int]] = {}
        self._overrides: dict[str, Limit] = {
            endpoint: Limit(count=count) for endpoint, count in (overrides or {}).items()
        }

    def set_limit(self, endpoint: str, count: int, window_seconds: int = WINDOW_SECONDS) -> None:
        """Override the limit of one endpoint (for users and apps alike)."""
        with self._lock:
            self._overrides[endpoint] = Limit(count=count, window_seconds=window_seconds)

    def reset(self) -> None:
        """Forget every window."""
        with self._lock:
            self._windows.clear()

    def limit_for(self, endpoint: str, *, app: bool) -> Limit | None:
        """Return the limit for a user token or an app token on this endpoint."""
        if endpoint in self._overrides:
            return self._overrides[endpoint]
        per_user, per_app = PUBLISHED_LIMITS.get(endpoint, (None, None))
        return per_app if app else per_user

    def consume(self, endpoint: str, key: str, limit: Limit, now: float) -> LimitVerdict:
        """Count one request against `limit` in the window of `key`."""
        with self._lock:
            start, used = self._windows.get((endpoint, key), (now, 0))
            if now >= start + limit.window_seconds:
                start, used = now, 0
            exceeded = used >= limit.count
            if not exceeded:
                used += 1
            self._windows[(endpoint, key)] = (start, used)
        return LimitVerdict(
            limit=limit.count,
            remaining=max(limit.count - used, 0),
            reset=int(start + limit.window_seconds),
            exceeded=exceeded,
        )


@dataclass(kw_only=True, slots=True)
class BillingCounter:
    """What the fake billed for one class: requests, resources and micro-dollars."""

    calls: int = 0
    units: int = 0
    cost_micro_usd: int = 0


class CreditLedger:
    """A pay-per-use credit balance (None: no balance, so no 402) and what was billed, by class.

    The counters run whatever the balance, so a test can compare xbot's recorded cost with them.
    """

    def __init__(self, balance: float | None = None, monthly_read_cap: int | None = None) -> None:
        self._lock = threading.Lock()
        self.balance = balance
        self.monthly_read_cap = monthly_read_cap
        self.reads_this_month = 0
        self._billed: set[tuple[str, str]] = set()
        self.billing: dict[str, BillingCounter] = {}

    def billing_view(self) -> dict[str, object]:
        """Return the counters as the admin API shows them (`GET /_sim/billing`)."""
        with self._lock:
            classes = {name: asdict(counter) for name, counter in sorted(self.billing.items())}
        total = sum(int(counter["cost_micro_usd"]) for counter in classes.values())
        return {"classes": classes, "total_micro_usd": total, "balance": self.balance}

    def _count(self, endpoint_class: str, units: int) -> None:
        counter = self.billing.setdefault(endpoint_class, BillingCounter())
        counter.calls += 1
        counter.units += units
        counter.cost_micro_usd += units * round(PRICES[endpoint_class] * 1_000_000)

    def depleted(self) -> bool:
        """Whether an empty balance blocks requests now."""
        return self.balance is not None and self.balance <= 0

    def can_afford(self, price: float) -> bool:
        """Whether the balance covers one charge of `price`."""
        return self.balance is None or self.balance >= price

    def charge(self, price: float, endpoint_class: str = "post_create") -> None:
        """Debit a write."""
        with self._lock:
            self._count(endpoint_class, 1)
            if self.balance is not None:
                self.balance = round(max(self.balance - price, 0.0), 6)

    def capped(self) -> bool:
        """Whether the monthly post-read cap is used up."""
        return self.monthly_read_cap is not None and self.reads_this_month >= self.monthly_read_cap

    def charge_reads(self, post_ids: list[str], *, owned: bool, now: datetime) -> None:
        """Debit post reads; one resource is billed once per UTC day."""
        day = now.astimezone(UTC).date().isoformat()
        with self._lock:
            fresh = [post_id for post_id in post_ids if (day, post_id) not in self._billed]
            self._billed.update((day, post_id) for post_id in fresh)
            self.reads_this_month += len(post_ids)
            self._count("owned_read" if owned else "post_read", len(fresh))
            if self.balance is not None:
                price = PRICE_OWNED_READ if owned else PRICE_POST_READ
                self.balance = round(max(self.balance - price * len(fresh), 0.0), 6)

    def charge_own_user(self, user_id: str, now: datetime) -> None:
        """Debit the account's own user object (`GET /2/users/me`) as an owned read, once a day."""
        day = now.astimezone(UTC).date().isoformat()
        resource = f"user:{user_id}"
        with self._lock:
            fresh = (day, resource) not in self._billed
            self._billed.add((day, resource))
            self._count("owned_read", int(fresh))
            if self.balance is not None and fresh:
                self.balance = round(max(self.balance - PRICE_OWNED_READ, 0.0), 6)
