"""What each platform charges per call, as data with its source date (`rate_card.toml`).

X bills pay-per-use per resource (platform-facts §1.5, §5.1); Bluesky and Mastodon are free but
rate-limited, so their card holds zero prices and the rate-limit points as budgets (§5.4, §5.5).
Operators override single prices in config (`[cost.prices.x] post_create = 0.02`).
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from functools import cache
from importlib import resources
from typing import Any

RATE_CARD_FILE = "rate_card.toml"
#: one US dollar in the unit xbot counts money in (integers: no float drift in sums)
MICRO = 1_000_000


class EndpointClass(StrEnum):
    """What kind of call a charge is for; the `platform_usage.endpoint_class` column."""

    POST_READ = "post_read"  #: a post read that is not the account's own
    USER_READ = "user_read"  #: a user object read
    OWNED_READ = "owned_read"  #: the account's own mentions, posts or user
    POST_CREATE = "post_create"  #: a post with no URL, not a summoned reply
    POST_CREATE_URL = "post_create_url"  #: a post containing a URL
    SUMMONED_REPLY = "summoned_reply"  #: a reply to an author who mentioned or quoted us
    REQUEST = "request"  #: any other call (free platforms count them against their budgets)


#: the classes that are writes (a published post)
WRITES = frozenset(
    {EndpointClass.POST_CREATE, EndpointClass.POST_CREATE_URL, EndpointClass.SUMMONED_REPLY}
)


@dataclass(frozen=True, kw_only=True, slots=True)
class RateCard:
    """One platform's prices in micro-dollars per billed unit, with where they come from."""

    platform: str
    as_of: date
    source: str
    prices: Mapping[EndpointClass, int] = field(default_factory=dict)
    #: rate-limit points the platform allows (free platforms); informational
    budgets: Mapping[str, int] = field(default_factory=dict)

    def price(self, endpoint_class: EndpointClass) -> int:
        """Return the micro-dollars one unit of `endpoint_class` costs (0 when not priced)."""
        return self.prices.get(endpoint_class, 0)

    def overridden(self, prices_usd: Mapping[str, float]) -> RateCard:
        """Return this card with some prices replaced (USD per unit, from config)."""
        changed = {EndpointClass(name): usd_to_micro(usd) for name, usd in prices_usd.items()}
        return RateCard(
            platform=self.platform,
            as_of=self.as_of,
            source=self.source + (" (prices overridden in config)" if changed else ""),
            prices={**self.prices, **changed},
            budgets=self.budgets,
        )


def usd_to_micro(usd: float) -> int:
    """Return `usd` in micro-dollars, rounded to the nearest."""
    return round(usd * MICRO)


def micro_to_usd(micro: int) -> float:
    """Return micro-dollars as USD."""
    return micro / MICRO


@cache
def shipped_cards() -> Mapping[str, RateCard]:
    """Return the rate cards shipped in the package, by platform."""
    text = resources.files("xbot.domain").joinpath(RATE_CARD_FILE).read_text("utf-8")
    return {name: _card(name, entry) for name, entry in tomllib.loads(text).items()}


def rate_card(platform: str, prices_usd: Mapping[str, float] | None = None) -> RateCard:
    """Return the platform's card with config overrides applied; an unknown platform is free."""
    card = shipped_cards().get(platform) or RateCard(
        platform=platform, as_of=date(2026, 8, 22), source="no rate card: free"
    )
    return card.overridden(prices_usd or {})


def _card(platform: str, entry: Mapping[str, Any]) -> RateCard:
    prices = entry.get("prices", {})
    return RateCard(
        platform=platform,
        as_of=date.fromisoformat(str(entry["as_of"])),
        source=str(entry.get("source", "")),
        prices={EndpointClass(name): usd_to_micro(float(usd)) for name, usd in prices.items()},
        budgets={name: int(points) for name, points in entry.get("budgets", {}).items()},
    )
