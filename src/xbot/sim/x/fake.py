"""The fake X API v2: one object holding the world, the clock, the posts, auth and limits.

clock = SimClock(speed=0)                       # frozen: only advance() moves it
fake = FakeX(build_world(seed=7), clock=clock)  # bot account "replybot"
creds = fake.credentials("replybot")            # OAuth 1.0a keys, OAuth 2 tokens
mention = fake.post_as("ann", "@replybot hi")   # any user posts (no auth, no limits)
fake.ghost("posted outside xbot")               # the bot posts without xbot
fake.inject("POST /2/tweets", "accept_then_timeout", seconds=5)
client = httpx2.Client(transport=fake.transport(), base_url="http://x.sim")
with fake.server() as server: ...               # the same app on 127.0.0.1
"""

from __future__ import annotations

import threading
from dataclasses import replace
from datetime import datetime
from typing import Any

from xbot.sim.core.admin import FakeParts, build_fake_app
from xbot.sim.core.clock import SimClock
from xbot.sim.core.scripting import ScriptedFake
from xbot.sim.core.traffic import Traffic
from xbot.sim.core.world import SimUser, World, build_world
from xbot.sim.x.activity import ActivityHub
from xbot.sim.x.activity_routes import activity_admin_routes, activity_routes
from xbot.sim.x.activity_stream import StreamDelivery
from xbot.sim.x.api import x_admin_routes, x_routes, x_status_response
from xbot.sim.x.auth import XAuth
from xbot.sim.x.limits import WINDOW_SECONDS, CreditLedger, Limit, LimitVerdict, RateLimiter
from xbot.sim.x.oauth import XAuthorization
from xbot.sim.x.settings import XFakeSettings
from xbot.sim.x.shapes import x_time
from xbot.sim.x.state import NewTweet, Tweet, XStore
from xbot.sim.x.webhooks import Webhooks


class FakeX(ScriptedFake):
    """The fake X API v2 and its admin surface."""

    def __init__(
        self,
        world: World | None = None,
        *,
        clock: SimClock | None = None,
        settings: XFakeSettings | None = None,
    ) -> None:
        self.world = world or build_world()
        self.clock = clock or SimClock()
        self.settings = settings or XFakeSettings()
        self.store = XStore(self.world)
        self.parts = FakeParts(clock=self.clock, unknown_route=x_status_response(self))
        self._lock = threading.Lock()
        self._start = self.clock.now()
        self.auth = XAuth(
            self.world,
            self.clock,
            access_token_seconds=self.settings.access_token_seconds,
            refresh_grace_seconds=self.settings.refresh_grace_seconds,
        )
        self.authorization = XAuthorization(self)
        self.activity = ActivityHub(self)
        self.stream = StreamDelivery(self)
        self.webhooks = Webhooks(self)
        self.activity.listeners += [self.stream.deliver, self.webhooks.deliver]
        self.store.observers.append(self.activity.on_post)
        self.reset()
        self.app = build_fake_app(
            [*x_routes(self), *self.authorization.routes(), *activity_routes(self)],
            backend=self,
            parts=self.parts,
            responder=x_status_response(self),
            extra_admin_routes=[*x_admin_routes(self), *activity_admin_routes(self)],
        )

    # --- state ---

    def reset(self) -> None:
        """Back to the seeded state: posts, tokens, limits, credits; faults and log too."""
        with self._lock:
            self.store.clear()
            self.activity.reset()
            self.stream.reset()
            self.webhooks.reset()
            self.auth.reset()
            self.limiter = RateLimiter(self.settings.rate_limits)
            self.ledger = CreditLedger(self.settings.credits, self.settings.monthly_post_read_cap)
            self.traffic = Traffic(
                self.world, start=self._start, posts_per_minute=self.settings.traffic_per_minute
            )
            self.traffic.seed_history(
                self.store, before=self._start, per_bot=self.settings.history_posts_per_bot
            )
        self.parts.faults.clear()
        self.parts.log.clear()

    def configure(self, **changes: Any) -> XFakeSettings:
        """Change settings while running (tier, credits, delays, ...)."""
        with self._lock:
            self.settings = replace(self.settings, **changes)
            if "credits" in changes:
                self.ledger.balance = self.settings.credits
            if "monthly_post_read_cap" in changes:
                self.ledger.monthly_read_cap = self.settings.monthly_post_read_cap
            for name in ("access_token_seconds", "refresh_grace_seconds"):
                setattr(self.auth, name, getattr(self.settings, name))
            return self.settings

    def catch_up(self) -> None:
        """Let the traffic generator create every post due by now."""
        self.traffic.run_until(self.clock.now(), self.store)

    def limit_for(self, endpoint: str, *, app: bool) -> Limit | None:
        """Return the rate limit of an endpoint for an app or a user token."""
        return self.limiter.limit_for(endpoint, app=app)

    def consume(self, endpoint: str, key: str, limit: Limit, now: float) -> LimitVerdict:
        """Count one request against `limit` in the window of `key`."""
        return self.limiter.consume(endpoint, key, limit, now)

    def set_limit(self, endpoint: str, count: int, window_seconds: int = WINDOW_SECONDS) -> None:
        """Override the rate limit of one endpoint."""
        self.limiter.set_limit(endpoint, count, window_seconds)

    def balance(self) -> float | None:
        """Return the credit balance in USD (None: billing is off)."""
        return self.ledger.balance

    def depleted(self) -> bool:
        """Whether an empty balance blocks requests now."""
        return self.ledger.depleted()

    def capped(self) -> bool:
        """Whether the monthly post-read cap is used up."""
        return self.ledger.capped()

    def can_afford(self, price: float) -> bool:
        """Whether the balance covers one charge of `price`."""
        return self.ledger.can_afford(price)

    def charge(self, price: float, endpoint_class: str = "post_create") -> None:
        """Debit a write."""
        self.ledger.charge(price, endpoint_class)

    def charge_own_user(self, user_id: str, now: datetime) -> None:
        """Debit the account's own user object as an owned read, once a UTC day."""
        self.ledger.charge_own_user(user_id, now)

    def billing(self) -> dict[str, Any]:
        """Return what was billed, by class, and the balance (`GET /_sim/billing`)."""
        return self.ledger.billing_view()

    def charge_reads(self, post_ids: list[str], *, owned: bool, now: datetime) -> None:
        """Debit post reads; one resource is billed once per UTC day."""
        self.ledger.charge_reads(post_ids, owned=owned, now=now)

    # --- the SimBackend protocol (admin API) ---

    def create_post(
        self, *, author: str, text: str, in_reply_to: str | None, quote_of: str | None
    ) -> dict[str, Any]:
        """Post as anyone, bypassing auth, limits and policy."""
        self.catch_up()
        user = self.store.user_by_handle(author)
        new = NewTweet(
            author=user, text=text, at=self.clock.now(), lang=user.language,
            in_reply_to=in_reply_to, quote_of=quote_of,
        )  # fmt: skip
        return self.admin_view(self.store.add(new))

    def list_posts(self, author: str) -> list[dict[str, Any]]:
        """Every post of one user, oldest first, deleted ones marked."""
        self.catch_up()
        user = self.store.user_by_handle(author)
        return [self.admin_view(tweet) for tweet in self.store.by_author(user.user_id)]

    def describe(self) -> dict[str, Any]:
        """Users, bot accounts and their credentials, as JSON-ready data."""
        return {
            "platform": "x",
            "seed": self.world.seed,
            "now": self.clock.now().isoformat(),
            "bot_accounts": [
                {
                    "handle": bot.handle,
                    "user_id": bot.user_id,
                    "credentials": self.credentials(bot.handle),
                }
                for bot in self.world.bot_accounts
            ],
            "users": [
                {
                    "handle": u.handle,
                    "user_id": u.user_id,
                    "automated": u.automated,
                    "language": u.language,
                }
                for u in self.world.users
            ],
            "settings": {"tier": self.settings.tier, "credits": self.ledger.balance},
        }

    def admin_view(self, tweet: Tweet) -> dict[str, Any]:
        """Return a post as the admin API lists it."""
        author = self.store.user(tweet.author_id)
        return {
            "id": tweet.id,
            "author": author.handle if author else tweet.author_id,
            "in_reply_to": tweet.in_reply_to_tweet_id,
            "quote_of": tweet.quote_of,
            "text": tweet.text,
            "created_at": x_time(tweet.created_at),
            "deleted": tweet.deleted,
        }

    # --- conveniences for tests, `xbot sim serve` and `xbot demo` ---

    def bot(self, handle: str | None = None) -> SimUser:
        """Return a bot account by handle, or the first one."""
        if handle is None:
            return self.world.bot_accounts[0]
        return self.store.user_by_handle(handle)

    def credentials(self, handle: str | None = None) -> dict[str, str]:
        """Return the current credentials of a bot account (default: the first)."""
        return self.auth.credentials(self.bot(handle))
