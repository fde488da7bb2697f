"""How the fake Bluesky behaves (its settings, changed while running via `/_sim/settings`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal


@dataclass(frozen=True, kw_only=True, slots=True)
class BlueskyFakeSettings:
    """How the fake Bluesky behaves; every ⚠ of platform-facts.md §2 is a setting here."""

    #: world handle `ann` is Bluesky handle `ann<suffix>`
    handle_suffix: str = ".bsky.social"
    #: ⚠ docs say "a few minutes", the reference PDS 120 min
    access_token_seconds: float = 7200.0
    #: how long a used refresh token still works (rotation grace)
    refresh_grace_seconds: float = 0.0
    #: AppView lag on the fake clock; own posts in getAuthorFeed/getPostThread are immediate
    notification_delay_seconds: float = 2.0
    search_delay_seconds: float = 10.0
    view_delay_seconds: float = 2.0
    #: ⚠ a second create with a taken rkey: 500 today, a named 400 after atproto PR #4728
    duplicate_rkey: Literal["500", "named"] = "500"
    duplicate_rkey_error: str = "RecordAlreadyExists"
    #: ⚠ the reference PDS does not resolve reply strong refs; the fake does unless told not to
    check_reply_refs: bool = True
    #: send a didDoc (with this server as the PDS) in session answers
    did_doc: bool = True
    #: the PDS the didDoc names (e.g. this fake on a second port); None: the URL asked
    pds_endpoint: str | None = None
    #: False: a PDS with no AppView configured; every `app.bsky.*` call answers 400
    #: InvalidRequest "No service configured for <method>" (com.atproto.* still works)
    appview: bool = True
    #: generated posts per minute of fake time (0: a quiet world)
    traffic_per_minute: float = 0.0
    history_posts_per_bot: int = 3
    #: events the fake Jetstream keeps for a consumer's cursor to replay
    jetstream_capacity: int = 10_000
