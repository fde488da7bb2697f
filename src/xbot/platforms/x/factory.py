"""Build the X adapter for one configured account: the composition root's one call."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import httpx2

from xbot.config import AccountSettings
from xbot.domain.errors import ConfigError
from xbot.domain.meter import Meter
from xbot.platforms.http import HttpOptions, shared_tls
from xbot.platforms.x.auth import Authorizer, OAuth1Signer, OAuth2Session
from xbot.platforms.x.client import FetchOptions, XPlatform
from xbot.platforms.x.credentials import (
    OAuth1Credentials,
    TokenSaver,
    XCredentials,
    credentials_from_environment,
)
from xbot.platforms.x.stream import StreamOptions
from xbot.platforms.x.wire import DEFAULT_BASE_URL, Wire

#: an adapter on an in-process transport (a fake in tests) has no connection to stream over
IN_PROCESS = StreamOptions(
    unavailable="no Activity API stream for this X adapter (in-process transport)"
)


def build_x_platform(  # noqa: PLR0913 - every part is optional but the account
    account: AccountSettings,
    credentials: XCredentials | None = None,
    *,
    http: HttpOptions | None = None,
    fetch: FetchOptions | None = None,
    visibility_grace: timedelta = timedelta(seconds=60),
    transport: httpx2.BaseTransport | None = None,
    on_token_refresh: TokenSaver | None = None,
    now: Callable[[], datetime] | None = None,
    meter: Meter | None = None,
    stream: StreamOptions | None = None,
) -> XPlatform:
    """Return the X adapter for `account`.

    Credentials default to the environment variables named in `account.credentials`; the base
    URL is `account.base_url` (or `http.base_url`, default https://api.x.com); `transport`
    replaces the network (e.g. `xbot.sim.core.transport.ASGIBridgeTransport` in tests); with a
    `transport` and no `stream`, the adapter has no stream (`mention_stream` says why).
    """
    if account.platform != "x":
        raise ConfigError(f"account @{account.handle} is on {account.platform}, not x")
    options = http or HttpOptions()
    base_url = account.base_url or options.base_url or DEFAULT_BASE_URL
    client = httpx2.Client(
        base_url=base_url,
        timeout=options.timeout(),
        transport=transport,
        verify=shared_tls(),  # one CA bundle in memory, not one per account
        headers={"User-Agent": options.user_agent},
        follow_redirects=False,
    )
    clock = now or (lambda: datetime.now(UTC))
    chosen = credentials or credentials_from_environment(account.credentials)
    authorizer: Authorizer
    if isinstance(chosen, OAuth1Credentials):
        authorizer = OAuth1Signer(chosen)
    else:
        authorizer = OAuth2Session(chosen, http=client, now=clock, on_refresh=on_token_refresh)
    wire = Wire(http=client, authorizer=authorizer, options=options)
    return XPlatform(
        wire=wire, visibility_grace=visibility_grace, fetch=fetch, now=clock, meter=meter,
        stream=stream or (IN_PROCESS if transport is not None else None),
    )  # fmt: skip
