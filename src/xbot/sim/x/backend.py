"""What the fake X's routes need from the fake: state, settings, limits and credits, no more."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from datetime import datetime

    from xbot.sim.core.clock import SimClock
    from xbot.sim.x.activity import ActivityHub
    from xbot.sim.x.activity_stream import StreamDelivery
    from xbot.sim.x.auth import XAuth
    from xbot.sim.x.limits import Limit, LimitVerdict
    from xbot.sim.x.oauth import XAuthorization
    from xbot.sim.x.settings import XFakeSettings
    from xbot.sim.x.state import XStore
    from xbot.sim.x.webhooks import Webhooks


class XBackend(Protocol):
    """The fake X as its API and admin routes see it."""

    @property
    def clock(self) -> SimClock:
        """The fake's clock."""

    @property
    def settings(self) -> XFakeSettings:
        """The current settings."""

    @property
    def store(self) -> XStore:
        """Users and posts."""

    @property
    def auth(self) -> XAuth:
        """OAuth 1.0a keys and OAuth 2 tokens."""

    @property
    def authorization(self) -> XAuthorization:
        """Pending authorization codes and request tokens (the onboarding flows)."""

    @property
    def activity(self) -> ActivityHub:
        """Activity API subscriptions and events."""

    @property
    def stream(self) -> StreamDelivery:
        """The open activity stream connections and their faults."""

    @property
    def webhooks(self) -> Webhooks:
        """Registered webhooks and their deliveries."""

    def catch_up(self) -> None:
        """Let the traffic generator create every post due by now."""

    def configure(self, **changes: Any) -> XFakeSettings:
        """Change settings while running."""

    def limit_for(self, endpoint: str, *, app: bool) -> Limit | None:
        """Return the rate limit of an endpoint for an app or a user token."""

    def consume(self, endpoint: str, key: str, limit: Limit, now: float) -> LimitVerdict:
        """Count one request against `limit` in the window of `key`."""

    def set_limit(self, endpoint: str, count: int, window_seconds: int = ...) -> None:
        """Override the rate limit of one endpoint."""

    def balance(self) -> float | None:
        """Return the credit balance in USD (None: billing is off)."""

    def depleted(self) -> bool:
        """Whether an empty balance blocks requests now."""

    def capped(self) -> bool:
        """Whether the monthly post-read cap is used up."""

    def can_afford(self, price: float) -> bool:
        """Whether the balance covers one charge of `price`."""

    def charge(self, price: float, endpoint_class: str = ...) -> None:
        """Debit a write."""

    def charge_own_user(self, user_id: str, now: datetime) -> None:
        """Debit the account's own user object as an owned read, once a UTC day."""

    def billing(self) -> dict[str, Any]:
        """Return what was billed, by class, and the balance."""

    def charge_reads(self, post_ids: list[str], *, owned: bool, now: datetime) -> None:
        """Debit post reads; one resource is billed once per UTC day."""
