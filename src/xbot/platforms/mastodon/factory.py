"""Build the Mastodon adapter for one configured account: the composition root's one call."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Literal

import httpx2
from pydantic import SecretStr

from xbot.config import AccountSettings, secret_from_environment
from xbot.domain.errors import ConfigError
from xbot.domain.meter import Meter
from xbot.platforms.http import HttpOptions, metered, shared_tls
from xbot.platforms.mastodon.client import FetchOptions, MastodonPlatform
from xbot.platforms.mastodon.stream import StreamOptions
from xbot.platforms.mastodon.wire import MastodonWire

#: the name of the access token in an account's [credentials]
TOKEN_CREDENTIAL = "access_token"  # noqa: S105 - a name, not a token


def build_mastodon_platform(  # noqa: PLR0913 - every part is optional but the account's own
    account: AccountSettings,
    access_token: SecretStr | None = None,
    *,
    http: HttpOptions | None = None,
    fetch: FetchOptions | None = None,
    visibility_grace: timedelta = timedelta(seconds=30),
    transport: httpx2.BaseTransport | None = None,
    now: Callable[[], datetime] | None = None,
    meter: Meter | None = None,
    stream_transport: Literal["websocket", "sse"] = "websocket",
) -> MastodonPlatform:
    """Return the Mastodon adapter for `account`.

    The instance is `account.base_url` (required: every instance is its own server); the token
    defaults to the environment variable named by `account.credentials["access_token"]`;
    replies use `account.visibility`. `transport` replaces the network in tests.
    """
    if account.platform != "mastodon":
        raise ConfigError(f"account @{account.handle} is on {account.platform}, not mastodon")
    if not account.base_url:
        raise ConfigError(
            f"Mastodon account @{account.handle} has no base_url: set it to the instance, "
            "e.g. https://mastodon.social"
        )
    token = access_token or _token_from_environment(account)
    options = http or HttpOptions()
    client = httpx2.Client(
        base_url=account.base_url.rstrip("/"),
        timeout=options.timeout(),
        transport=transport,
        verify=shared_tls(),  # one CA bundle in memory, not one per account
        headers={"User-Agent": options.user_agent},
        follow_redirects=False,
        event_hooks=metered(meter, _creates),  # calls counted against the free rate limits
    )
    wire = MastodonWire(http=client, token=token, options=options)
    stream = StreamOptions(
        connect_timeout=options.connect_timeout, user_agent=options.user_agent,
        max_message_bytes=options.max_response_bytes, transport=stream_transport,
    )  # fmt: skip
    return MastodonPlatform(
        wire=wire, visibility=account.visibility, visibility_grace=visibility_grace,
        fetch=fetch, now=now or (lambda: datetime.now(UTC)), stream=stream,
        streaming=transport is None,  # an in-process transport (tests) carries no websocket
    )  # fmt: skip


def _token_from_environment(account: AccountSettings) -> SecretStr:
    variable = account.credentials.get(TOKEN_CREDENTIAL)
    secret = secret_from_environment(variable) if variable else None
    if secret is None:
        where = f"the environment variable {variable}" if variable else "[credentials] access_token"
        raise ConfigError(f"Mastodon account @{account.handle} has no access token: set {where}.")
    return secret


def _creates(request: httpx2.Request) -> bool:
    """Return True for the request that publishes a post."""
    return request.method == "POST" and request.url.path.endswith("/api/v1/statuses")
