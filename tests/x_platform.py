"""An X adapter wired to a fake X in process (ASGI bridge), for posting tests of one concern."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from datetime import timedelta

from pydantic import SecretStr

from xbot.config import AccountSettings
from xbot.platforms.x import HttpOptions, OAuth1Credentials, XPlatform, build_x_platform
from xbot.sim.x.fake import FakeX

CREDENTIAL_NAMES = ("consumer_key", "consumer_secret", "access_token", "access_token_secret")


@contextlib.contextmanager
def x_platform(fake: FakeX, handle: str = "replybot") -> Iterator[XPlatform]:
    """Yield an adapter for the fake's bot over the in-process transport, closed afterwards."""
    transport = fake.transport()
    raw = fake.credentials()
    credentials = OAuth1Credentials(**{name: SecretStr(raw[name]) for name in CREDENTIAL_NAMES})
    platform = build_x_platform(
        AccountSettings(platform="x", handle=handle, base_url="http://x.sim"),
        credentials,
        http=HttpOptions(read_timeout=1.5),
        transport=transport,
        visibility_grace=timedelta(seconds=30),
        now=fake.clock.now,
    )
    try:
        yield platform
    finally:
        platform.close()
        transport.close()


def mention_targets(fake: FakeX, count: int) -> list[str]:
    """Post `count` mentions of the bot by people; return their ids."""
    users = [user.handle for user in fake.world.users if not user.automated]
    return [
        fake.post_as(users[number % len(users)], f"@replybot question {number}")["id"]
        for number in range(count)
    ]
