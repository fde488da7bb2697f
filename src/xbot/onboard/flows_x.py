"""`xbot accounts add x`: OAuth 2.0 with PKCE on a loopback redirect, or the OAuth 1.0a PIN flow."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from pydantic import SecretStr

from xbot.config import AccountSettings
from xbot.domain.errors import AuthFailed, ConfigError
from xbot.onboard.browser import platform_client, show_url
from xbot.onboard.inputs import from_variable, read_line
from xbot.onboard.obtained import Obtained
from xbot.platforms.loopback import LoopbackRedirect
from xbot.platforms.x import onboard as x_oauth
from xbot.platforms.x.credentials import OAuth1Credentials, OAuth2Credentials, XCredentials
from xbot.platforms.x.factory import build_x_platform
from xbot.platforms.x.wire import DEFAULT_BASE_URL

#: where the tokens go when they are written to an env file
TOKEN_VARIABLES = {
    "access_token": "X_ACCESS_TOKEN",
    "access_token_secret": "X_ACCESS_TOKEN_SECRET",
    "oauth2_access_token": "X_OAUTH2_ACCESS_TOKEN",
    "oauth2_refresh_token": "X_OAUTH2_REFRESH_TOKEN",
}


@dataclass(frozen=True, kw_only=True, slots=True)
class XOptions:
    """The flags of `xbot accounts add x`."""

    handle: str | None
    base_url: str
    authorize_url: str
    client_id_env: str
    client_secret_env: str | None
    consumer_key_env: str
    consumer_secret_env: str
    redirect_port: int
    open_browser: bool
    timeout: float

    @property
    def api(self) -> str:
        """Return the API base URL."""
        return self.base_url or DEFAULT_BASE_URL


def add_x_oauth2(options: XOptions) -> Obtained:
    """Authorize with PKCE, exchange the code, check who the token is."""
    client_id = from_variable(options.client_id_env, "the app's OAuth 2.0 client ID", hidden=False)
    secret_env = options.client_secret_env
    client_secret = (
        from_variable(secret_env, "the app's OAuth 2.0 client secret") if secret_env else None
    )
    pkce = x_oauth.new_pkce(client_id)
    with LoopbackRedirect(options.redirect_port) as loopback:
        url = x_oauth.authorization_url(
            options.authorize_url, client_id, loopback.redirect_uri, pkce, x_oauth.SCOPES
        )
        show_url(url, open_browser=options.open_browser, what="Approve xbot on X")
        code = authorization_code(loopback.wait(options.timeout), pkce.state, "X")
        with platform_client(options.api) as http:
            grant = x_oauth.exchange_code(
                http, client_id=client_id, client_secret=client_secret, code=code,
                redirect_uri=loopback.redirect_uri, verifier=pkce.verifier,
            )  # fmt: skip
    if "tweet.write" not in grant.scope.split():
        raise AuthFailed("X granted no tweet.write scope: approve every permission xbot asks for")
    credentials = OAuth2Credentials(
        client_id=client_id, access_token=SecretStr(grant.access_token),
        refresh_token=SecretStr(grant.refresh_token) if grant.refresh_token else None,
        client_secret=SecretStr(client_secret) if client_secret else None,
    )  # fmt: skip
    handle = _whoami(options, credentials)
    expires = datetime.now(UTC) + timedelta(seconds=grant.expires_in)
    values = {
        "client_id": client_id, "oauth2_access_token": grant.access_token,
        "oauth2_scope": grant.scope,
    }  # fmt: skip
    values |= {"client_secret": client_secret} if client_secret else {}
    values |= {"oauth2_refresh_token": grant.refresh_token} if grant.refresh_token else {}
    session = {
        "client_id": client_id, "access_token": grant.access_token,
        "refresh_token": grant.refresh_token, "expires_at": expires.isoformat(),
    }  # fmt: skip
    supplied = {"client_id": options.client_id_env} | (
        {"client_secret": secret_env} if secret_env else {}
    )
    return Obtained(
        platform="x", handle=handle, base_url=options.base_url, values=values,
        variables={**supplied, **TOKEN_VARIABLES}, supplied=frozenset(supplied),
        sessions={"x_oauth2": session}, permission=f"scopes: {grant.scope}",
    )  # fmt: skip


def add_x_oauth1(options: XOptions) -> Obtained:
    """Run the PIN flow: request token, the operator approves and types the PIN, access token."""
    consumer_key = from_variable(options.consumer_key_env, "the app's API key (consumer key)")
    consumer_secret = from_variable(options.consumer_secret_env, "the app's API key secret")
    with platform_client(options.api) as http:
        token, token_secret = x_oauth.request_token(http, consumer_key, consumer_secret)
        url = x_oauth.pin_url(options.api, token)
        show_url(url, open_browser=options.open_browser, what="Approve xbot on X", then="the PIN")
        pin = read_line("PIN")
        grant = x_oauth.access_token(
            http, consumer_key=consumer_key, consumer_secret=consumer_secret,
            token=token, token_secret=token_secret, pin=pin,
        )  # fmt: skip
        credentials = OAuth1Credentials(
            consumer_key=SecretStr(consumer_key), consumer_secret=SecretStr(consumer_secret),
            access_token=SecretStr(grant.access_token),
            access_token_secret=SecretStr(grant.access_token_secret),
        )  # fmt: skip
        level = x_oauth.access_level(http, credentials)
    if level is not None and "write" not in level:
        raise AuthFailed(
            f"the app's permission is {level!r}: set App permissions to Read and write in the "
            "developer portal, then run this again (a token keeps the permission it got)"
        )
    handle = _whoami(options, credentials)
    values = {
        "consumer_key": consumer_key, "consumer_secret": consumer_secret,
        "access_token": grant.access_token, "access_token_secret": grant.access_token_secret,
    }  # fmt: skip
    supplied = {
        "consumer_key": options.consumer_key_env,
        "consumer_secret": options.consumer_secret_env,
    }
    return Obtained(
        platform="x", handle=handle, base_url=options.base_url, values=values,
        variables={**supplied, **TOKEN_VARIABLES}, supplied=frozenset(supplied),
        permission=f"access level: {level or 'not reported'}",
    )  # fmt: skip


def authorization_code(answer: dict[str, str], state: str, platform: str) -> str:
    """Return the code of a redirect, after checking its state; refuse a denial."""
    if answer.get("state") != state:
        raise AuthFailed(f"{platform}'s redirect carried another state: start again")
    if "error" in answer or not answer.get("code"):
        raise AuthFailed(f"{platform} did not authorize xbot ({answer.get('error', 'no code')})")
    return answer["code"]


def _whoami(options: XOptions, credentials: XCredentials) -> str:
    """Return the token's handle; refuse a token of another account than --handle."""
    account = AccountSettings(
        platform="x", handle=options.handle or "pending", base_url=options.base_url
    )
    platform = build_x_platform(account, credentials)
    try:
        _, handle = platform.whoami()
    finally:
        platform.close()
    check_handle(options.handle, handle, "X")
    return handle


def check_handle(wanted: str | None, actual: str, platform: str) -> None:
    """Refuse when the approval came from another account than the one asked for."""
    if wanted and wanted.removeprefix("@").lower() != actual.lower():
        raise ConfigError(
            f"{platform} authorized @{actual}, not @{wanted.removeprefix('@')}: sign in as "
            f"@{wanted.removeprefix('@')} and run this again, or pass --handle {actual}"
        )
