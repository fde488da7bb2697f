"""`xbot accounts add bluesky|mastodon`.

Bluesky: an app password with a session check. Mastodon: app registration and the
authorization-code flow.
"""

from __future__ import annotations

import base64
import json
import secrets
from dataclasses import dataclass

from pydantic import SecretStr

from xbot.config import AccountSettings
from xbot.domain.errors import AuthFailed, ConfigError
from xbot.onboard.browser import platform_client, show_url
from xbot.onboard.flows_x import authorization_code, check_handle
from xbot.onboard.inputs import from_variable
from xbot.onboard.obtained import Obtained
from xbot.platforms.bluesky.factory import build_bluesky_platform
from xbot.platforms.bluesky.session import MemorySessionStore
from xbot.platforms.loopback import LoopbackRedirect
from xbot.platforms.mastodon import onboard as mastodon_oauth
from xbot.platforms.mastodon.factory import build_mastodon_platform

#: the scope of a session opened with the account's main password (not an app password)
MAIN_PASSWORD_SCOPE = "com.atproto.access"  # noqa: S105 - a JWT scope, not a password


@dataclass(frozen=True, kw_only=True, slots=True)
class BlueskyOptions:
    """The flags of `xbot accounts add bluesky`."""

    handle: str
    base_url: str
    password_env: str


@dataclass(frozen=True, kw_only=True, slots=True)
class MastodonOptions:
    """The flags of `xbot accounts add mastodon`."""

    handle: str | None
    base_url: str
    redirect_port: int
    open_browser: bool
    timeout: float


def add_bluesky(options: BlueskyOptions) -> Obtained:
    """Log in with the app password (createSession), then ask who the session is (getSession)."""
    password = from_variable(options.password_env, "the account's app password")
    store = MemorySessionStore()
    account = AccountSettings(platform="bluesky", handle=options.handle, base_url=options.base_url)
    platform = build_bluesky_platform(account, SecretStr(password), store)
    try:
        did, handle = platform.check_session()
    finally:
        platform.close()
    session = dict(store.saved or {})
    if _scope(str(session.get("access_jwt", ""))) == MAIN_PASSWORD_SCOPE:
        raise ConfigError(
            "that is the account's own password: create an app password (Settings → Privacy "
            "and security → App passwords) and give that instead"
        )
    check_handle(options.handle, handle, "Bluesky")
    return Obtained(
        platform="bluesky", handle=handle, base_url=options.base_url,
        values={"app_password": password}, variables={"app_password": options.password_env},
        supplied=frozenset({"app_password"}), sessions={"bluesky": session},
        permission=f"session for {did}",
    )  # fmt: skip


def add_mastodon(options: MastodonOptions) -> Obtained:
    """Register the app, authorize it, take the token, check its scopes and who it is."""
    scopes = mastodon_oauth.SCOPES
    state = secrets.token_urlsafe(24)
    with (
        LoopbackRedirect(options.redirect_port) as loopback,
        platform_client(options.base_url) as http,
    ):
        app = mastodon_oauth.register_app(http, loopback.redirect_uri, scopes)
        url = mastodon_oauth.authorization_url(
            options.base_url, app, loopback.redirect_uri, scopes, state
        )
        show_url(url, open_browser=options.open_browser, what="Approve xbot on your instance")
        code = authorization_code(loopback.wait(options.timeout), state, "the instance")
        grant = mastodon_oauth.exchange_code(http, app, code, loopback.redirect_uri, scopes)
        granted = mastodon_oauth.token_scopes(http, grant.access_token) or grant.scope.split()
    if not mastodon_oauth.grants_write(granted):
        raise AuthFailed("the token lacks write:statuses: approve every scope xbot asks for")
    account = AccountSettings(
        platform="mastodon", handle=options.handle or "pending", base_url=options.base_url
    )
    platform = build_mastodon_platform(account, SecretStr(grant.access_token))
    try:
        _, acct = platform.whoami()
    finally:
        platform.close()
    check_handle(options.handle, acct, "the instance")
    return Obtained(
        platform="mastodon", handle=acct, base_url=options.base_url,
        values={"access_token": grant.access_token},
        variables={"access_token": "MASTODON_ACCESS_TOKEN"},
        permission=f"scopes: {' '.join(granted)}",
    )  # fmt: skip


def _scope(jwt: str) -> str:
    """Return the `scope` claim of a JWT without verifying it (only to tell password kinds)."""
    try:
        payload = jwt.split(".")[1]
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    except (IndexError, ValueError):
        return ""
    return str(claims.get("scope", "")) if isinstance(claims, dict) else ""
