"""How a handle is written as a mention on each platform.

- X: `@` and the username (1-15 letters, digits or underscores).
- Bluesky: `@` and the handle, which is a domain name (`@alice.bsky.social`). Written without
  the `@`, a reader's client (and the guard) sees a bare domain, that is a link.
- Mastodon: `@user`, or `@user@instance` for an account on another server.

A handle that is not valid on its platform gets no mention at all: writing it would put
whatever it holds into a public reply.
"""

from __future__ import annotations

from typing import assert_never

import regex

from xbot.domain.policy import PlatformName

_X_USERNAME = regex.compile(r"[A-Za-z0-9_]{1,15}")
_DOMAIN_LABEL = r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?"
_BLUESKY_HANDLE = regex.compile(rf"(?:{_DOMAIN_LABEL}\.)+[a-z](?:[a-z0-9-]{{0,61}}[a-z0-9])?")
_MASTODON_ACCOUNT = regex.compile(
    rf"[A-Za-z0-9_](?:[A-Za-z0-9_.-]{{0,62}}[A-Za-z0-9_])?(?:@(?:{_DOMAIN_LABEL}\.)+[a-z0-9-]+)?"
)
#: a domain name's length limit (RFC 1035), also Bluesky's for handles
MAX_DOMAIN_LENGTH = 253


def mention(platform: PlatformName, handle: str) -> str | None:
    """Return `handle` written as a mention on `platform` (`@…`), or None when it is no handle."""
    bare = handle.strip().removeprefix("@")
    match platform:
        case PlatformName.X:
            valid = _X_USERNAME.fullmatch(bare) is not None
        case PlatformName.BLUESKY:
            bare = bare.lower()
            valid = len(bare) <= MAX_DOMAIN_LENGTH and _BLUESKY_HANDLE.fullmatch(bare) is not None
        case PlatformName.MASTODON:
            user, at, instance = bare.partition("@")
            bare = f"{user}{at}{instance.lower()}"
            valid = len(bare) <= MAX_DOMAIN_LENGTH and _MASTODON_ACCOUNT.fullmatch(bare) is not None
        case _:
            assert_never(platform)
    return f"@{bare}" if valid else None
