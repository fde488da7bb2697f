"""The permission and label parts of `xbot config check`, per platform."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import SecretStr

from xbot.config import AccountSettings, Settings
from xbot.domain.errors import XbotError
from xbot.onboard.browser import platform_client
from xbot.platforms.bluesky import onboard as bluesky_onboard
from xbot.platforms.bluesky.wire import DEFAULT_BASE_URL as BLUESKY_URL
from xbot.platforms.mastodon import onboard as mastodon_oauth
from xbot.platforms.x import onboard as x_oauth
from xbot.platforms.x.credentials import OAuth1Credentials, credentials_from
from xbot.platforms.x.wire import DEFAULT_BASE_URL as X_URL


def check(account: AccountSettings, values: Mapping[str, str], stored: Mapping[str, Any]) -> str:
    """Return the permission part, or raise naming what is missing."""
    if account.platform == "x":
        return _x(account, values, stored)
    if account.platform == "mastodon":
        return _mastodon(account, values)
    return "app password session"


def _x(account: AccountSettings, values: Mapping[str, str], stored: Mapping[str, Any]) -> str:
    credentials = credentials_from({name: SecretStr(value) for name, value in values.items()})
    if isinstance(credentials, OAuth1Credentials):
        with platform_client(account.base_url or X_URL) as http:
            level = x_oauth.access_level(http, credentials)
        if level is None:
            return "write access: not reported by X"
        if "write" not in level:
            raise XbotError(
                f"write access: the app's permission is {level!r}; set Read and write in the "
                "developer portal and issue new tokens (`xbot accounts add x --oauth1`)"
            )
        return f"write access ({level})"
    scope = str(stored.get("oauth2_scope", ""))
    if not scope:
        return "OAuth 2 scopes: not recorded (`xbot accounts add x` records them)"
    if "tweet.write" not in scope.split():
        raise XbotError("OAuth 2 scopes lack tweet.write: run `xbot accounts add x` again")
    return "write access (tweet.write)"


def _mastodon(account: AccountSettings, values: Mapping[str, str]) -> str:
    token = values.get("access_token", "")
    with platform_client(account.base_url) as http:
        scopes = mastodon_oauth.token_scopes(http, token)
    if scopes is None:
        return "scopes: not reported by the instance (before 4.3)"
    if not mastodon_oauth.grants_write(scopes):
        raise XbotError(
            f"scopes {' '.join(scopes)} lack write:statuses: run `xbot accounts add mastodon`"
        )
    return "write:statuses granted"


def label(settings: Settings, account: AccountSettings, values: Mapping[str, str]) -> str:
    """Return the bot label's state; an X account must attest X's Automated label itself."""
    if account.platform == "x":
        if not settings.x.automated_label_attested:
            raise XbotError(
                "label: x.automated_label_attested is false: set X's Automated label on the "
                "account, then attest it in xbot.toml"
            )
        return "Automated label attested"
    if account.platform == "mastodon":
        with platform_client(account.base_url) as http:
            flag = mastodon_oauth.bot_flag(http, values.get("access_token", ""))
        return _label_text(flag, "bot flag")
    return _label_text(_bluesky_label(account, values), "bot self-label")


def _bluesky_label(account: AccountSettings, values: Mapping[str, str]) -> bool | None:
    del values
    with platform_client(account.base_url or BLUESKY_URL) as http:
        response = http.get(
            "/xrpc/com.atproto.identity.resolveHandle",
            params={"handle": account.handle.removeprefix("@")},
        )
        did = response.json().get("did") if response.status_code == 200 else None
        return bluesky_onboard.has_bot_label(http, did) if isinstance(did, str) else None


def _label_text(found: bool | None, name: str) -> str:  # noqa: FBT001 - a tri-state answer
    if found is None:
        return f"{name}: unknown"
    return f"{name} set" if found else f"{name}: not set yet"
