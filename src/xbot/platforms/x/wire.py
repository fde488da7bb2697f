"""One HTTP exchange with X: signed, refreshed once after a 401, sent through the shared kit."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import httpx2

from xbot.platforms.http import Exchange, HttpOptions, send_capped
from xbot.platforms.x.auth import Authorizer

DEFAULT_BASE_URL = "https://api.x.com"


class Wire:
    """The adapter's HTTP client and credentials."""

    def __init__(
        self, *, http: httpx2.Client, authorizer: Authorizer, options: HttpOptions
    ) -> None:
        self.http = http
        self.authorizer = authorizer
        self.options = options

    def exchange(
        self,
        endpoint: str,
        path: str,
        *,
        params: Mapping[str, str] | None = None,
        json: Any = None,
        write: bool = False,
    ) -> Exchange:
        """Send one request to `endpoint` ("POST /2/tweets"), refreshing once after a 401.

        X answers 401 before it acts on a request, so the second send is not a retry of a write
        that may have landed.
        """
        answer = self._send(endpoint, path, params=params, json=json, write=write)
        if answer.status == 401 and self.authorizer.can_refresh():
            self.authorizer.refresh()
            answer = self._send(endpoint, path, params=params, json=json, write=write)
        return answer

    def secrets(self) -> list[str]:
        """Return the secret values to keep out of messages."""
        return self.authorizer.secrets()

    def close(self) -> None:
        """Close the connection pool."""
        self.http.close()

    def _send(
        self,
        endpoint: str,
        path: str,
        *,
        params: Mapping[str, str] | None,
        json: Any,
        write: bool,
    ) -> Exchange:
        method = endpoint.split(" ", 1)[0]  # endpoints are named "METHOD /path" as X documents
        request = self.http.build_request(method, path, params=params, json=json)
        self.authorizer.authorize(request)
        return send_capped(
            self.http, request, endpoint=endpoint, write=write, platform="X",
            limit=self.options.max_response_bytes, secrets=self.secrets(),
        )  # fmt: skip
