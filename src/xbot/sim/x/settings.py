"""How the fake X behaves (its settings, changed while running via `/_sim/settings`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal


@dataclass(frozen=True, kw_only=True, slots=True)
class XFakeSettings:
    """How the fake X behaves; every ⚠ of platform-facts.md is a setting here."""

    #: self_serve enforces the summoned-reply rule; enterprise is exempt
    tier: Literal["self_serve", "enterprise"] = "self_serve"
    #: pay-per-use balance in USD; None turns billing (and 402) off
    credits: float | None = None
    #: post reads per month before 429 usage-capped; None for no cap
    monthly_post_read_cap: int | None = None
    #: identical text by one author within this window is a duplicate (⚠ real window unknown)
    duplicate_window_seconds: float = 86400.0
    #: visibility delays per view, on the fake clock (search hides the last 30 s on X)
    mentions_delay_seconds: float = 0.0
    timeline_delay_seconds: float = 0.0
    search_delay_seconds: float = 30.0
    access_token_seconds: float = 7200.0
    refresh_grace_seconds: float = 0.0
    #: 200 with errors only (observed) or 404 (the docs) for a missing post
    missing_post_status: Literal[200, 404] = 200
    #: "read" makes OAuth 1.0a writes fail with 403 oauth1-permissions
    app_permission: Literal["read", "read-write"] = "read-write"
    #: per-endpoint limit overrides, e.g. {"POST /2/tweets": 3}
    rate_limits: dict[str, int] = field(default_factory=dict)
    #: generated posts per minute of fake time (0: a quiet world)
    traffic_per_minute: float = 0.0
    #: older posts each bot account has before the clock starts
    history_posts_per_bot: int = 3
    #: False: the account's own timeline (the read-back) omits what each post replies to
    timeline_reply_metadata: bool = True
    #: False: the access has no Activity API (subscriptions and the stream answer 403)
    activity_api: bool = True
    #: subscriptions an app may hold (self-serve: 1 500)
    activity_subscription_limit: int = 1500
    #: real seconds between keep-alive newlines on `GET /2/activity/stream`
    stream_keepalive_seconds: float = 20.0
    #: events queued for one stream connection before X drops it as too slow
    stream_max_backlog: int = 10_000
    #: ⚠ unknown on X: hold events while no stream is connected, deliver them on the next connect
    stream_hold_while_disconnected: bool = True
    #: real X accepts only https webhook URLs without a port; the fake takes loopback http too
    webhook_require_https: bool = False
