"""The Mastodon adapter: `build_mastodon_platform(account, access_token)`.

    platform = build_mastodon_platform(account, SecretStr(token))
    platform.fetch_candidates(since=watermark)         # mention notifications, since_id
    platform.publish_reply(target, text, permit_id)    # Idempotency-Key = permit id
    platform.text_limit()                              # the instance's max_characters

Every failure is one of xbot.domain.errors' platform errors (see `errors`).
"""

from xbot.platforms.mastodon.client import DEFAULT_MAX_CHARACTERS, FetchOptions, MastodonPlatform
from xbot.platforms.mastodon.content import html_to_text
from xbot.platforms.mastodon.factory import TOKEN_CREDENTIAL, build_mastodon_platform

__all__ = [
    "DEFAULT_MAX_CHARACTERS",
    "TOKEN_CREDENTIAL",
    "FetchOptions",
    "MastodonPlatform",
    "build_mastodon_platform",
    "html_to_text",
]
