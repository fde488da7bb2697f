"""The fake X Activity API's state: subscriptions, the events they match, and who receives them.

Every new post is matched against the subscriptions (`post.mention.create`: the post mentions the
filtered user; `post.reply.create`: it replies to one of the user's posts; `post.quote.create`: it
quotes one); each match is one event, kept for webhook replay and handed to the open stream
connections (`xbot.sim.x.activity_stream`) and the subscription's webhook (`xbot.sim.x.webhooks`).
A user's own posts never match.
"""

from __future__ import annotations

import itertools
import json
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from xbot.sim.x.shapes import Shape, includes_json, tweet_json, x_time
from xbot.sim.x.state import SNOWFLAKE_EPOCH_MS, Tweet

if TYPE_CHECKING:
    from xbot.sim.x.backend import XBackend

#: the post events xbot subscribes to, and private: they need the user's own token
POST_EVENTS = ("post.mention.create", "post.reply.create", "post.quote.create")
#: events kept for replay
MAX_EVENTS = 20_000
#: every event renders its post the way xbot's mentions poll asks for it
EVENT_SHAPE = Shape(
    tweet_fields=frozenset(
        (
            "author_id",
            "conversation_id",
            "created_at",
            "in_reply_to_user_id",
            "referenced_tweets",
            "entities",
            "reply_settings",
            "lang",
        )
    ),
    user_fields=frozenset(("description", "public_metrics")),
    expansions=frozenset(("author_id", "referenced_tweets.id", "referenced_tweets.id.author_id")),
)


class SubscriptionError(ValueError):
    """A subscription request X refuses; `status` and `body` are the answer."""

    def __init__(self, status: int, body: dict[str, Any]) -> None:
        super().__init__(str(body.get("detail", body)))
        self.status = status
        self.body = body


@dataclass(kw_only=True, slots=True)
class Subscription:
    """One subscription of the app: an event type for one user."""

    subscription_id: str
    event_type: str
    user_id: str
    created_at: datetime
    updated_at: datetime
    tag: str | None = None
    webhook_id: str | None = None

    def as_json(self) -> dict[str, Any]:
        """Return the subscription as X renders it."""
        body: dict[str, Any] = {
            "subscription_id": self.subscription_id,
            "event_type": self.event_type,
            "filter": {"user_id": self.user_id},
            "created_at": x_time(self.created_at),
            "updated_at": x_time(self.updated_at),
        }
        if self.tag is not None:
            body["tag"] = self.tag
        if self.webhook_id is not None:
            body["webhook_id"] = self.webhook_id
        return body


@dataclass(frozen=True, kw_only=True, slots=True)
class Event:
    """One delivered (or deliverable) event: its post, its subscription and its bytes."""

    event_uuid: str
    post_id: str
    at: datetime
    webhook_id: str | None
    body: bytes = field(repr=False)


class ActivityHub:
    """Subscriptions and events of the fake X's one app; safe to use from any thread."""

    def __init__(self, fake: XBackend) -> None:
        self.fake = fake
        self._lock = threading.Lock()
        self._subscriptions: dict[str, Subscription] = {}
        self._events: list[Event] = []
        self._sequence = itertools.count(1)
        #: called with each new event (stream connections, the webhook sender)
        self.listeners: list[Callable[[Event], None]] = []

    def reset(self) -> None:
        """Forget every subscription and event."""
        with self._lock:
            self._subscriptions.clear()
            self._events.clear()

    # --- subscriptions ---

    def subscribe(
        self, *, event_type: str, user_id: str, tag: str | None, webhook_id: str | None
    ) -> Subscription:
        """Create a subscription, or raise SubscriptionError as X answers."""
        with self._lock:
            for existing in self._subscriptions.values():
                if (existing.event_type, existing.user_id) == (event_type, user_id):
                    raise SubscriptionError(409, _duplicate(existing))
            if len(self._subscriptions) >= self.fake.settings.activity_subscription_limit:
                raise SubscriptionError(429, _too_many())
            now = self.fake.clock.now()
            subscription = Subscription(
                subscription_id=self.next_id(now), event_type=event_type, user_id=user_id,
                created_at=now, updated_at=now, tag=tag, webhook_id=webhook_id,
            )  # fmt: skip
            self._subscriptions[subscription.subscription_id] = subscription
            return subscription

    def subscriptions(self) -> list[Subscription]:
        """Every subscription, oldest first."""
        with self._lock:
            return sorted(self._subscriptions.values(), key=lambda s: int(s.subscription_id))

    def unsubscribe(self, subscription_id: str) -> bool:
        """Delete a subscription; False when there is none with that id."""
        with self._lock:
            return self._subscriptions.pop(subscription_id, None) is not None

    def count(self) -> int:
        """How many subscriptions the app holds."""
        with self._lock:
            return len(self._subscriptions)

    def next_id(self, now: datetime) -> str:
        """Return a fresh snowflake-shaped id."""
        milliseconds = int(now.timestamp() * 1000) - SNOWFLAKE_EPOCH_MS
        return str((milliseconds << 22) | (next(self._sequence) & 0x3FFFFF))

    # --- events ---

    def on_post(self, tweet: Tweet) -> None:
        """Match a new post against the subscriptions and hand each event to the listeners."""
        events = [self._event(tweet, s) for s in self.subscriptions() if self._matches(tweet, s)]
        with self._lock:
            self._events.extend(events)
            del self._events[:-MAX_EVENTS]
            listeners = list(self.listeners)
        for event in events:
            for listener in listeners:
                listener(event)

    def events_between(self, webhook_id: str, start: datetime, end: datetime) -> list[Event]:
        """Events for one webhook created in [start, end), oldest first (for replay)."""
        with self._lock:
            return [
                event
                for event in self._events
                if event.webhook_id == webhook_id and start <= event.at < end
            ]

    def _matches(self, tweet: Tweet, subscription: Subscription) -> bool:
        user_id = subscription.user_id
        if tweet.author_id == user_id:
            return False
        if subscription.event_type == "post.mention.create":
            return any(mention.user_id == user_id for mention in tweet.mentions)
        if subscription.event_type == "post.reply.create":
            return tweet.in_reply_to_user_id == user_id
        if subscription.event_type == "post.quote.create" and tweet.quote_of:
            quoted = self.fake.store.get(tweet.quote_of)
            return quoted is not None and quoted.author_id == user_id
        return False

    def _event(self, tweet: Tweet, subscription: Subscription) -> Event:
        store = self.fake.store
        event_uuid = self.next_id(self.fake.clock.now())
        data: dict[str, Any] = {
            "event_uuid": event_uuid,
            "filter": {"user_id": subscription.user_id},
            "event_type": subscription.event_type,
            "payload": tweet_json(tweet, EVENT_SHAPE, store),
            "includes": includes_json([tweet], EVENT_SHAPE, store),
        }
        if subscription.tag is not None:
            data["tag"] = subscription.tag
        body = json.dumps({"data": data}, separators=(",", ":")).encode()
        return Event(
            event_uuid=event_uuid, post_id=tweet.id, at=tweet.created_at,
            webhook_id=subscription.webhook_id, body=body,
        )  # fmt: skip


def _duplicate(existing: Subscription) -> dict[str, Any]:
    detail = (
        f"A subscription for {existing.event_type} with this filter already exists: "
        f"{existing.subscription_id}."
    )
    return {"title": "Conflict", "detail": detail, "type": "about:blank", "status": 409}


def _too_many() -> dict[str, Any]:
    detail = "You have reached the maximum number of subscriptions for your app."
    return {"title": "Too Many Requests", "detail": detail, "type": "about:blank", "status": 429}
