"""The X (API v2) adapter: `build_x_platform(account, ...)` returns an `XPlatform`.

    platform = build_x_platform(account)                 # credentials from the environment
    platform = build_x_platform(account, OAuth1Credentials(...), http=HttpOptions(read_timeout=10))
    platform.fetch_candidates(since=watermark)           # mentions + quotes, newest first
    platform.publish_reply(target, text, permit_id)      # never retried by the adapter

Every failure is one of xbot.domain.errors' platform errors (see `errors`).
"""

from xbot.platforms.http import HttpOptions
from xbot.platforms.x.client import FetchOptions, XPlatform
from xbot.platforms.x.credentials import (
    OAuth1Credentials,
    OAuth2Credentials,
    XCredentials,
    credentials_from,
    credentials_from_environment,
)
from xbot.platforms.x.factory import build_x_platform

__all__ = [
    "FetchOptions",
    "HttpOptions",
    "OAuth1Credentials",
    "OAuth2Credentials",
    "XCredentials",
    "XPlatform",
    "build_x_platform",
    "credentials_from",
    "credentials_from_environment",
]
