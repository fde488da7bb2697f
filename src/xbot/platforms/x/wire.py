"""One HTTP exchange with X: signing, explicit timeouts, a body-size cap, errors mapped."""

from __future__ import annotations

import json as jsonlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx2

from xbot.domain.errors import Ambiguous, BadResponse, PlatformError
from xbot.platforms.x.auth import Authorizer
from xbot.platforms.x.errors import excerpt, transport_error

DEFAULT_BASE_URL = "https://api.x.com"


@dataclass(frozen=True, kw_only=True, slots=True)
class HttpOptions:
    """Timeouts and limits of the adapter's HTTP client."""

    base_url: str = DEFAULT_BASE_URL
    connect_timeout: float = 5.0
    read_timeout: float = 20.0
    write_timeout: float = 20.0
    pool_timeout: float = 5.0
    #: bodies larger than this are refused as a bad response (or ambiguous, on a write)
    max_response_bytes: int = 2_000_000
    user_agent: str = "xbot/0.1 (+https://github.com/xbot)"

    def timeout(self) -> httpx2.Timeout:
        """Return the httpx2 timeout."""
        return httpx2.Timeout(
            connect=self.connect_timeout,
            read=self.read_timeout,
            write=self.write_timeout,
            pool=self.pool_timeout,
        )


@dataclass(kw_only=True, slots=True)
class Exchange:
    """A completed answer: status, lower-case headers and the raw body."""

    endpoint: str
    status: int
    headers: Mapping[str, str]
    body: bytes
    _parsed: Any = field(default=None, repr=False)

    def json(self) -> Any:
        """Return the parsed body (cached); raise ValueError when it is not JSON."""
        if self._parsed is None:
            self._parsed = jsonlib.loads(self.body)
        return self._parsed


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


def send_capped(  # noqa: PLR0913 - one request and what to say about it
    http: httpx2.Client,
    request: httpx2.Request,
    *,
    endpoint: str,
    write: bool,
    platform: str,
    limit: int,
    secrets: Iterable[str],
) -> Exchange:
    """Send once and read at most `limit` bytes; transport failures map to the error taxonomy."""
    try:
        response = http.send(request, stream=True)
    except httpx2.TransportError as exc:
        raise transport_error(exc, endpoint=endpoint, write=write) from None
    try:
        body, size = _read_capped(response, limit, endpoint=endpoint, write=write)
    finally:
        response.close()
    if size > limit:
        # a write the platform accepted may exist even though we cannot read the answer
        accepted = write and 200 <= response.status_code < 300
        error = Ambiguous if accepted else BadResponse
        raise error(
            f"{platform} answered {endpoint} with a body over {limit} bytes",
            status=response.status_code,
            excerpt=excerpt(body[:400], secrets),
        )
    headers = {key.lower(): value for key, value in response.headers.items()}
    return Exchange(endpoint=endpoint, status=response.status_code, headers=headers, body=body)


def _read_capped(
    response: httpx2.Response, limit: int, *, endpoint: str, write: bool
) -> tuple[bytes, int]:
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
    return b"".join(chunks), size


def unreadable_body(
    platform: str, exchange: Exchange, exc: Exception, *, write: bool, secrets: Iterable[str]
) -> PlatformError:
    """Return the error for a body we cannot read: ambiguous on a write, since it may exist."""
    error = Ambiguous if write else BadResponse
    what = "accepted the write but answered" if write else "answered"
    return error(
        f"{platform} {what} an unreadable body to {exchange.endpoint} ({exc})",
        status=exchange.status,
        excerpt=excerpt(exchange.body, secrets),
    )


def header_int(raw: str | None) -> int | None:
    """Return a rate-limit header as a number, or None when absent or not a number."""
    try:
        return int(raw) if raw is not None else None
    except ValueError:
        return None
