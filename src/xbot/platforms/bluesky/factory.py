"""Build the Bluesky adapter for one configured account: the composition root's one call."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import httpx2
from pydantic import SecretStr

from xbot.config import AccountSettings, secret_from_environment
from xbot.domain.errors import ConfigError
from xbot.domain.meter import Meter
from xbot.platforms.bluesky.client import BlueskyPlatform, FetchOptions
from xbot.platforms.bluesky.session import DEFAULT_PLC_DIRECTORY, SessionStore
from xbot.platforms.bluesky.stream import JetstreamOptions
from xbot.platforms.bluesky.wire import DEFAULT_BASE_URL, XrpcWire
from xbot.platforms.http import HttpOptions, metered, shared_tls

#: the name of the app password in an account's [credentials]
PASSWORD_CREDENTIAL = "app_password"  # noqa: S105 - a name, not a password


def build_bluesky_platform(  # noqa: PLR0913 - every part is optional but the account's own
    account: AccountSettings,
    password: SecretStr | None,
    session_store: SessionStore,
    *,
    http: HttpOptions | None = None,
    fetch: FetchOptions | None = None,
    visibility_grace: timedelta = timedelta(seconds=60),
    transport: httpx2.BaseTransport | None = None,
    now: Callable[[], datetime] | None = None,
    meter: Meter | None = None,
    plc_directory: str = DEFAULT_PLC_DIRECTORY,
    jetstream: JetstreamOptions | None = None,
) -> BlueskyPlatform:
    """Return the Bluesky adapter for `account`.

    The identifier is `account.handle`; `password` is its app password (None: read the
    environment variable named by `account.credentials["app_password"]`). The login goes to
    `account.base_url` (default https://bsky.social); afterwards every call goes to the account's
    PDS named in its DID document (see `session`; `plc_directory` publishes did:plc documents
    when the login answer carries none); `http.base_url` is not used.
    `session_store` keeps the session between runs so restarts do not log in again;
    `transport` replaces the network (e.g. `xbot.sim.core.transport.ASGIBridgeTransport` in tests).
    `jetstream` says where `mention_stream()` connects (default: Bluesky's public Jetstream; with
    a `transport` and no `jetstream`, none: an in-process fake has no websocket).
    """
    if account.platform != "bluesky":
        raise ConfigError(f"account @{account.handle} is on {account.platform}, not bluesky")
    secret = password or _password_from_environment(account)
    options = http or HttpOptions()
    service = (account.base_url or DEFAULT_BASE_URL).rstrip("/")
    client = httpx2.Client(
        base_url=service,
        timeout=options.timeout(),
        transport=transport,
        verify=shared_tls(),  # one CA bundle in memory, not one per account
        headers={"User-Agent": options.user_agent},
        follow_redirects=False,
        event_hooks=metered(meter, _creates),  # calls counted against the free rate limits
    )
    wire = XrpcWire(
        http=client, identifier=account.handle.lstrip("@"), password=secret,
        store=session_store, options=options, service=service, plc_directory=plc_directory,
    )  # fmt: skip
    clock = now or (lambda: datetime.now(UTC))
    return BlueskyPlatform(
        wire=wire, visibility_grace=visibility_grace, fetch=fetch, now=clock,
        jetstream=_jetstream(jetstream, transport, options),
    )  # fmt: skip


def _jetstream(
    given: JetstreamOptions | None, transport: httpx2.BaseTransport | None, http: HttpOptions
) -> JetstreamOptions | None:
    """Return the stream options with the client's user agent; None on an in-process transport."""
    if given is None and transport is not None:
        return None
    return replace(given or JetstreamOptions(), user_agent=http.user_agent)


def _password_from_environment(account: AccountSettings) -> SecretStr:
    variable = account.credentials.get(PASSWORD_CREDENTIAL)
    secret = secret_from_environment(variable) if variable else None
    if secret is None:
        where = f"the environment variable {variable}" if variable else "[credentials] app_password"
        raise ConfigError(
            f"Bluesky account @{account.handle} has no app password: set {where} "
            "(create one under Settings > App passwords)."
        )
    return secret


def _creates(request: httpx2.Request) -> bool:
    """Return True for the request that publishes a post."""
    return request.method == "POST" and request.url.path.endswith("/com.atproto.repo.createRecord")
