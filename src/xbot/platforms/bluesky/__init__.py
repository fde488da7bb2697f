"""The Bluesky (AT Protocol) adapter: `build_bluesky_platform(account, password, store)`.

    store = MemorySessionStore()                       # the lead's: accounts.session_state
    platform = build_bluesky_platform(account, SecretStr(app_password), store)
    platform.fetch_candidates(since=watermark)         # mention/reply/quote notifications
    platform.publish_reply(target, text, permit_id)    # rkey from the permit: never twice

Every failure is one of xbot.domain.errors' platform errors (see `errors`).
"""

from xbot.platforms.bluesky.client import MAX_GRAPHEMES, BlueskyPlatform, FetchOptions
from xbot.platforms.bluesky.factory import PASSWORD_CREDENTIAL, build_bluesky_platform
from xbot.platforms.bluesky.records import rkey_for
from xbot.platforms.bluesky.session import MemorySessionStore, Session, SessionStore

__all__ = [
    "MAX_GRAPHEMES",
    "PASSWORD_CREDENTIAL",
    "BlueskyPlatform",
    "FetchOptions",
    "MemorySessionStore",
    "Session",
    "SessionStore",
    "build_bluesky_platform",
    "rkey_for",
]
