"""One HTTP exchange with a Mastodon instance: the bearer token, explicit timeouts, a body cap."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import httpx2
from pydantic import SecretStr

from xbot.domain.errors import Ambiguous, BadResponse
from xbot.platforms.x.errors import excerpt, transport_error
from xbot.platforms.x.wire import Exchange, HttpOptions


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
    ) -> Exchange:
        """Send one request to `endpoint` ("POST /api/v1/statuses") and read the answer."""
        method = endpoint.split(" ", 1)[0]
        sent_headers = {
            "Authorization": f"Bearer {self._token.get_secret_value()}",
            **(headers or {}),
        }
        request = self.http.build_request(
            method, path, params=params, json=json, headers=sent_headers
        )
        try:
            response = self.http.send(request, stream=True)
        except httpx2.TransportError as exc:
            raise transport_error(exc, endpoint=endpoint, write=write) from None
        try:
            body = self._read(response, endpoint=endpoint, write=write)
        finally:
            response.close()
        lowered = {key.lower(): value for key, value in response.headers.items()}
        return Exchange(endpoint=endpoint, status=response.status_code, headers=lowered, body=body)

    def secrets(self) -> list[str]:
        """Return the secret values to keep out of messages."""
        return [self._token.get_secret_value()]

    def close(self) -> None:
        """Close the connection pool."""
        self.http.close()

    def _read(self, response: httpx2.Response, *, endpoint: str, write: bool) -> bytes:
        limit = self.options.max_response_bytes
        chunks: list[bytes] = []
        size = 0
        try:
            for chunk in response.iter_bytes():
                chunks.append(chunk)
                size += len(chunk)
                if size > limit:
                    break
        except httpx2.TransportError as exc:
            raise transport_error(exc, endpoint=endpoint, write=write) from None
        body = b"".join(chunks)
        if size > limit:
            error = Ambiguous if write and 200 <= response.status_code < 300 else BadResponse
            raise error(
                f"Mastodon answered {endpoint} with a body over {limit} bytes",
                status=response.status_code,
                excerpt=excerpt(body[:400], self.secrets()),
            )
        return body
