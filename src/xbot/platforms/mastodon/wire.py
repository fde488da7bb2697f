"""One HTTP exchange with a Mastodon instance: the bearer token, explicit timeouts, a body cap."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import httpx2
from pydantic import SecretStr

from xbot.platforms.http import Exchange, HttpOptions, send_capped


class MastodonWire:
    """The adapter's HTTP client and access token (tokens do not expire on Mastodon)."""

    def __init__(self, *, http: httpx2.Client, token: SecretStr, options: HttpOptions) -> None:
        self.http = http
        self.options = options
        self._token = token

    def exchange(  # noqa: PLR0913 - one request's parts
        self,
        endpoint: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        headers: Mapping[str, str] | None = None,
        write: bool = False,
        form: Mapping[str, str] | None = None,
    ) -> Exchange:
        """Send one request to `endpoint` ("POST /api/v1/statuses") and read the answer."""
        method = endpoint.split(" ", 1)[0]
        sent_headers = {
            "Authorization": f"Bearer {self._token.get_secret_value()}",
            **(headers or {}),
        }
        request = self.http.build_request(
            method, path, params=params, json=json, data=form, headers=sent_headers
        )
        return send_capped(
            self.http, request, endpoint=endpoint, write=write, platform="Mastodon",
            limit=self.options.max_response_bytes, secrets=self.secrets(),
        )  # fmt: skip

    def token(self) -> SecretStr:
        """Return the access token (the streaming connection sends it too)."""
        return self._token

    def base_url(self) -> str:
        """Return the instance's URL."""
        return str(self.http.base_url)

    def secrets(self) -> list[str]:
        """Return the secret values to keep out of messages."""
        return [self._token.get_secret_value()]

    def close(self) -> None:
        """Close the connection pool."""
        self.http.close()
