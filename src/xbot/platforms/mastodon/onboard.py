"""Getting a Mastodon user token: register an app, then the authorization-code flow.

`POST /api/v1/apps` -> client_id/client_secret; the user approves at `/oauth/authorize`;
`POST /oauth/token` `grant_type=authorization_code` -> a Bearer token that does not expire
[platform-facts §3.1]. `GET /api/v1/apps/verify_credentials` tells a token's scopes
(Mastodon 4.3+; older servers omit them). Nothing here logs or quotes a token.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlencode

import httpx2

from xbot.domain.errors import AuthFailed, BadResponse, PlatformError

#: what xbot needs: read mentions and statuses, post replies, know who it is
SCOPES = ("read:accounts", "read:notifications", "read:statuses", "write:statuses")
CLIENT_NAME = "xbot"
WEBSITE = "https://github.com/xbot"


@dataclass(frozen=True, kw_only=True, slots=True)
class RegisteredApp:
    """The app registered on one instance (client_secret is a secret)."""

    client_id: str
    client_secret: str


@dataclass(frozen=True, kw_only=True, slots=True)
class MastodonGrant:
    """The token and the scopes granted."""

    access_token: str
    scope: str


def register_app(http: httpx2.Client, redirect_uri: str, scopes: tuple[str, ...]) -> RegisteredApp:
    """Register xbot as an app on the instance."""
    body = {
        "client_name": CLIENT_NAME, "redirect_uris": redirect_uri,
        "scopes": " ".join(scopes), "website": WEBSITE,
    }  # fmt: skip
    response = http.post("/api/v1/apps", data=body)
    if response.status_code != 200:
        raise PlatformError(
            f"the instance refused to register the app: {_error_of(response)}",
            status=response.status_code,
        )
    try:
        answer = response.json()
        return RegisteredApp(
            client_id=str(answer["client_id"]), client_secret=str(answer["client_secret"])
        )
    except (ValueError, KeyError, TypeError):
        raise BadResponse("the instance's /api/v1/apps answer lacks client_id") from None


def authorization_url(
    base_url: str, app: RegisteredApp, redirect_uri: str, scopes: tuple[str, ...], state: str
) -> str:
    """Return the URL where the operator approves the app."""
    query = {
        "response_type": "code", "client_id": app.client_id, "redirect_uri": redirect_uri,
        "scope": " ".join(scopes), "state": state,
    }  # fmt: skip
    return f"{base_url.rstrip('/')}/oauth/authorize?{urlencode(query)}"


def exchange_code(
    http: httpx2.Client, app: RegisteredApp, code: str, redirect_uri: str, scopes: tuple[str, ...]
) -> MastodonGrant:
    """Trade the authorization code for the user's token."""
    form = {
        "grant_type": "authorization_code", "code": code, "client_id": app.client_id,
        "client_secret": app.client_secret, "redirect_uri": redirect_uri,
        "scope": " ".join(scopes),
    }  # fmt: skip
    response = http.post("/oauth/token", data=form)
    if response.status_code != 200:
        raise AuthFailed(
            f"the instance refused the authorization code: {_error_of(response)}",
            status=response.status_code,
        )
    try:
        answer = response.json()
        return MastodonGrant(
            access_token=str(answer["access_token"]), scope=str(answer.get("scope", ""))
        )
    except (ValueError, KeyError, TypeError):
        raise BadResponse("the instance's /oauth/token answer lacks access_token") from None


def token_scopes(http: httpx2.Client, token: str) -> list[str] | None:
    """Return the token's scopes from `GET /api/v1/apps/verify_credentials` (None: not told)."""
    response = http.get(
        "/api/v1/apps/verify_credentials", headers={"Authorization": f"Bearer {token}"}
    )
    if response.status_code == 401:
        raise AuthFailed("the instance refused the access token", status=401)
    if response.status_code != 200:
        return None
    try:
        scopes = response.json().get("scopes")
    except (ValueError, AttributeError):
        return None
    return [str(scope) for scope in scopes] if isinstance(scopes, list) else None


def grants_write(scopes: list[str]) -> bool:
    """Whether the scopes allow posting statuses (`write` covers every write:*)."""
    return "write" in scopes or "write:statuses" in scopes


def _error_of(response: httpx2.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return f"HTTP {response.status_code}"
    if isinstance(body, dict):
        text = body.get("error_description") or body.get("error")
        return str(text)[:200] if text else f"HTTP {response.status_code}"
    return f"HTTP {response.status_code}"


def bot_flag(http: httpx2.Client, token: str) -> bool | None:
    """Return the account's `bot` flag from verify_credentials (None: not told)."""
    response = http.get(
        "/api/v1/accounts/verify_credentials", headers={"Authorization": f"Bearer {token}"}
    )
    try:
        flag = response.json().get("bot") if response.status_code == 200 else None
    except (ValueError, AttributeError):
        return None
    return flag if isinstance(flag, bool) else None
