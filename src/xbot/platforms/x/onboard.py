"""Getting X user tokens: OAuth 2.0 Authorization Code with PKCE, or the OAuth 1.0a PIN flow.

OAuth 2: authorize at https://x.com/i/oauth2/authorize, exchange the code (within 30 s) at
`POST /2/oauth2/token`; `offline.access` brings a refresh token [platform-facts §1.1].
OAuth 1.0a: `POST /oauth/request_token` (callback `oob`), the user opens `/oauth/authorize`
and reads a PIN, `POST /oauth/access_token` with the PIN as `oauth_verifier`.
Nothing here logs or quotes a token.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import parse_qsl, urlencode

import httpx2
from oauthlib.oauth1 import Client as OAuth1Client
from oauthlib.oauth2 import WebApplicationClient

from xbot.domain.errors import AuthFailed, BadResponse
from xbot.platforms.x.credentials import OAuth1Credentials

AUTHORIZE_URL = "https://x.com/i/oauth2/authorize"
#: what xbot needs: read mentions and posts, write replies, know who it is, stay signed in
SCOPES = ("tweet.read", "tweet.write", "users.read", "offline.access")
_FORM = {"Content-Type": "application/x-www-form-urlencoded"}


@dataclass(frozen=True, kw_only=True, slots=True)
class Pkce:
    """One authorization request's PKCE pair and state."""

    verifier: str
    challenge: str
    state: str


@dataclass(frozen=True, kw_only=True, slots=True)
class OAuth2Grant:
    """What the token endpoint answered (the values are secrets)."""

    access_token: str
    refresh_token: str | None
    scope: str
    expires_in: float


@dataclass(frozen=True, kw_only=True, slots=True)
class OAuth1Grant:
    """An OAuth 1.0a access token pair and the account it belongs to."""

    access_token: str
    access_token_secret: str
    user_id: str
    screen_name: str


def new_pkce(client_id: str) -> Pkce:
    """Return a fresh verifier, its S256 challenge and a state value."""
    client = WebApplicationClient(client_id)
    verifier = client.create_code_verifier(64)
    challenge = client.create_code_challenge(verifier, "S256")
    state = client.create_code_verifier(43)
    return Pkce(verifier=verifier, challenge=challenge, state=state)


def authorization_url(
    authorize_url: str, client_id: str, redirect_uri: str, pkce: Pkce, scopes: tuple[str, ...]
) -> str:
    """Return the URL the operator opens to approve the app (plain http only for a fake)."""
    query = {
        "response_type": "code", "client_id": client_id, "redirect_uri": redirect_uri,
        "scope": " ".join(scopes), "state": pkce.state, "code_challenge": pkce.challenge,
        "code_challenge_method": "S256",
    }  # fmt: skip
    return f"{authorize_url}?{urlencode(query)}"


def exchange_code(  # noqa: PLR0913 - the token request's parts
    http: httpx2.Client,
    *,
    client_id: str,
    client_secret: str | None,
    code: str,
    redirect_uri: str,
    verifier: str,
) -> OAuth2Grant:
    """Trade the authorization code for tokens (confidential clients use Basic auth)."""
    form = {
        "grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri,
        "code_verifier": verifier, "client_id": client_id,
    }  # fmt: skip
    auth = httpx2.BasicAuth(client_id, client_secret) if client_secret else None
    response = http.post("/2/oauth2/token", data=form, auth=auth or httpx2.USE_CLIENT_DEFAULT)
    if response.status_code != 200:
        raise AuthFailed(
            "X refused the authorization code (expired after 30 s, or the client id, "
            "client secret or callback URL differ from the app's)",
            status=response.status_code,
        )
    try:
        body = response.json()
        return OAuth2Grant(
            access_token=str(body["access_token"]),
            refresh_token=str(body["refresh_token"]) if body.get("refresh_token") else None,
            scope=str(body.get("scope", "")),
            expires_in=float(body.get("expires_in", 7200)),
        )
    except (ValueError, KeyError, TypeError):
        raise BadResponse("X's token endpoint answered an unreadable body") from None


def request_token(http: httpx2.Client, consumer_key: str, consumer_secret: str) -> tuple[str, str]:
    """Return a request token pair for the PIN flow (callback `oob`)."""
    client = OAuth1Client(consumer_key, client_secret=consumer_secret, callback_uri="oob")
    body = _signed_post(http, client, "/oauth/request_token", what="the consumer key or secret")
    if "oauth_token" not in body or "oauth_token_secret" not in body:
        raise BadResponse("X's request_token answer lacks the token")
    return body["oauth_token"], body["oauth_token_secret"]


def pin_url(base_url: str, token: str) -> str:
    """Return the page where the operator approves the app and reads the PIN."""
    return f"{base_url.rstrip('/')}/oauth/authorize?{urlencode({'oauth_token': token})}"


def access_token(  # noqa: PLR0913 - the access token request's parts
    http: httpx2.Client,
    *,
    consumer_key: str,
    consumer_secret: str,
    token: str,
    token_secret: str,
    pin: str,
) -> OAuth1Grant:
    """Trade the request token and the PIN for the account's access token pair."""
    client = OAuth1Client(
        consumer_key, client_secret=consumer_secret, resource_owner_key=token,
        resource_owner_secret=token_secret, verifier=pin,
    )  # fmt: skip
    body = _signed_post(http, client, "/oauth/access_token", what="the PIN")
    try:
        return OAuth1Grant(
            access_token=body["oauth_token"], access_token_secret=body["oauth_token_secret"],
            user_id=body["user_id"], screen_name=body["screen_name"],
        )  # fmt: skip
    except KeyError:
        raise BadResponse("X's access_token answer lacks the token or the account") from None


def access_level(http: httpx2.Client, credentials: OAuth1Credentials) -> str | None:
    """Return the app permission X reports to a 1.0a token (`read`, `read-write`, ...)."""
    c = credentials
    client = OAuth1Client(
        c.consumer_key.get_secret_value(), client_secret=c.consumer_secret.get_secret_value(),
        resource_owner_key=c.access_token.get_secret_value(),
        resource_owner_secret=c.access_token_secret.get_secret_value(),
    )  # fmt: skip
    url = str(http.base_url.join("/2/users/me"))
    _, headers, _ = client.sign(url, "GET")
    response = http.get("/2/users/me", headers=headers)
    return response.headers.get("x-access-level")


def _signed_post(
    http: httpx2.Client, client: OAuth1Client, path: str, *, what: str
) -> dict[str, str]:
    url = str(http.base_url.join(path))
    _, headers, _ = client.sign(url, "POST")
    response = http.post(path, headers=headers)
    if response.status_code != 200:
        raise AuthFailed(f"X refused {what} ({path})", status=response.status_code)
    return dict(parse_qsl(response.text))
