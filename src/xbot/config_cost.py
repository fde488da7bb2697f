"""The cost governor's settings: caps per account and globally, and rate-card overrides.

`[cost]` in xbot.toml (or XBOT_COST__DAILY_USD, ...) caps every account's spend together;
`[accounts.cost]` caps one account and says whether its X replies may carry a URL. Prices come
from the shipped rate card (xbot/domain/rate_card.toml) unless `[cost.prices.<platform>]`
replaces some of them.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from xbot.domain.rate_card import EndpointClass

#: a cap in US dollars: none, or 0 (spend nothing) to a million
CapUsd = Annotated[float | None, Field(ge=0, le=1_000_000, description="USD, 0 to 1000000")]
#: a price in US dollars per billed unit
PriceUsd = Annotated[float, Field(ge=0, le=1000, description="USD per unit, 0 to 1000")]
PlatformKey = Literal["x", "bluesky", "mastodon"]


class CostCapSettings(BaseModel):
    """One account's caps: no more than this much per UTC day and per UTC month."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    daily_usd: CapUsd = None
    monthly_usd: CapUsd = None


class AccountCostSettings(CostCapSettings):
    """One account's caps, and whether its X replies may carry a URL at X's URL price."""

    #: X bills a post containing a URL as `post_create_url` ($0.20 against $0.015 for a plain
    #: post, platform-facts §5.1): an X reply may link (within `allowed_domains`) only when this
    #: is true; the caps still refuse a reply whose price would cross them
    allow_url_posts: bool = False


class CostSettings(CostCapSettings):
    """The global caps (every account together) and the rate-card overrides."""

    #: platform -> endpoint class -> USD per unit, replacing the shipped rate card's price
    prices: dict[PlatformKey, dict[EndpointClass, PriceUsd]] = Field(
        default_factory=dict, max_length=3
    )

    def prices_for(self, platform: str) -> dict[str, float]:
        """Return the overridden prices of one platform (USD per unit, by endpoint class)."""
        for name, prices in self.prices.items():
            if name == platform:
                return {str(endpoint_class): usd for endpoint_class, usd in prices.items()}
        return {}
