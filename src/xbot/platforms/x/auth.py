"""Request signing for X: OAuth 1.0a HMAC-SHA1 (oauthlib), or an OAuth 2 user token with refresh."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Protocol

import httpx2
from oauthlib.oauth1 import Client as OAuth1Client
from pydantic import SecretStr

from xbot.domain.errors import AuthFailed, BadResponse, Transient
from xbot.platforms.x.credentials import OAuth1Credentials, OAuth2Credentials, TokenSaver

TOKEN_PATH = "/2/oauth2/token"  # noqa: S105 - a path, not a password
#: refresh this long before the known expiry, so a request never leaves with a dying token
EXPIRY_MARGIN = timedelta(minutes=2)
_FORM = "application/x-www-form-urlencoded"


class Authorizer(Protocol):
    """Puts credentials on a request."""

    def authorize(self, request: httpx2.Request) -> None:
        """Add the Authorization header."""
        ...

    def can_refresh(self) -> bool:
        """Whether a 401 may be cured by refreshing the token."""
        ...

    def refresh(self) -> None:
        """Get a new token."""
        ...

    def secrets(self) -> list[str]:
        """Every secret value, so messages can be scrubbed of them."""
        ...


class OAuth1Signer:
    """Signs each request with OAuth 1.0a HMAC-SHA1 (JSON bodies are not part of the signature)."""

    def __init__(self, credentials: OAuth1Credentials) -> None:
        self._credentials = credentials
        self._client = OAuth1Client(
            credentials.consumer_key.get_secret_value(),
            client_secret=credentials.consumer_secret.get_secret_value(),
            resource_owner_key=credentials.access_token.get_secret_value(),
            resource_owner_secret=credentials.access_token_secret.get_secret_value(),
        )

    def authorize(self, request: httpx2.Request) -> None:
        """Sign the URL, method and (only if form-encoded) the body."""
        form = request.headers.get("content-type", "").startswith(_FORM)
        body = request.content.decode() if form else None
        headers = {"Content-Type": _FORM} if form else None
        _, signed, _ = self._client.sign(str(request.url), request.method, body, headers)
        request.headers["Authorization"] = signed["Authorization"]

    def can_refresh(self) -> bool:
        """OAuth 1.0a tokens do not expire; a 401 means they were revoked."""
        return False

    def refresh(self) -> None:
        """Nothing to refresh."""

    def secrets(self) -> list[str]:
        """Return the four secret values."""
        c = self._credentials
        values = (c.consumer_key, c.consumer_secret, c.access_token, c.access_token_secret)
        return [value.get_secret_value() for value in values]


class OAuth2Session:
    """Bearer user token; refreshed before its known expiry and after a 401 (X rotates both)."""

    def __init__(
        self,
        credentials: OAuth2Credentials,
        *,
        http: httpx2.Client,
        now: Callable[[], datetime],
        on_refresh: TokenSaver | None = None,
    ) -> None:
        self.credentials = credentials
        self._http = http
        self._now = now
        self._on_refresh = on_refresh

    def authorize(self, request: httpx2.Request) -> None:
        """Refresh first if the token is about to expire, then add the Bearer header."""
        expires_at = self.credentials.expires_at
        if (
            expires_at is not None
            and self.can_refresh()
            and self._now() >= expires_at - EXPIRY_MARGIN
        ):
            self.refresh()
        request.headers["Authorization"] = (
            f"Bearer {self.credentials.access_token.get_secret_value()}"
        )

    def can_refresh(self) -> bool:
        """Whether a refresh token is held."""
        return self.credentials.refresh_token is not None

    def refresh(self) -> None:
        """Exchange the refresh token for a new pair; the old refresh token dies on X."""
        refresh_token = self.credentials.refresh_token
        if refresh_token is None:
            raise AuthFailed("the OAuth 2 token expired and no refresh token is configured")
        form = {
            "grant_type": "refresh_token",
            "refresh_token": refresh_token.get_secret_value(),
            "client_id": self.credentials.client_id,
        }
        secret = self.credentials.client_secret
        auth = (
            httpx2.BasicAuth(self.credentials.client_id, secret.get_secret_value())
            if secret
            else None
        )
        try:
            response = self._http.post(
                TOKEN_PATH, data=form, auth=auth or httpx2.USE_CLIENT_DEFAULT
            )
        except httpx2.TransportError as exc:
            # ⚠ if X rotated the pair before the connection broke, the old refresh token is dead
            raise Transient(f"refreshing the OAuth 2 token failed: {type(exc).__name__}") from None
        self._accept(response)

    def secrets(self) -> list[str]:
        """Return the token values and the client secret."""
        c = self.credentials
        values = [c.access_token, c.refresh_token, c.client_secret]
        return [value.get_secret_value() for value in values if value is not None]

    def _accept(self, response: httpx2.Response) -> None:
        if response.status_code in {400, 401}:
            raise AuthFailed(
                "X refused the OAuth 2 refresh token; authorize the account again",
                status=response.status_code,
            )
        try:
            body = response.json()
            access, refresh = str(body["access_token"]), body.get("refresh_token")
            lifetime = float(body.get("expires_in", 7200))
        except (ValueError, KeyError, TypeError):
            # never quote this body: it may hold tokens
            raise BadResponse(
                "the OAuth 2 token endpoint answered an unreadable body",
                status=response.status_code,
            ) from None
        self.credentials = replace(
            self.credentials,
            access_token=SecretStr(access),
            refresh_token=SecretStr(str(refresh)) if refresh else self.credentials.refresh_token,
            expires_at=self._now() + timedelta(seconds=lifetime),
        )
        if self._on_refresh is not None:
            self._on_refresh(self.credentials)
