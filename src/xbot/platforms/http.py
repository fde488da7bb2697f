"""The HTTP kit every platform adapter shares: capped send-and-read, excerpts, rate-limit headers.

A transport failure maps to the error taxonomy by whether the request may have had an effect: a
failure before sending is `Transient`; one after sending is `Ambiguous` on a write (the post may
exist: read back) and `Transient` on a read.
"""

from __future__ import annotations

import functools
import json as jsonlib
import ssl
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx2

from xbot.domain.errors import Ambiguous, BadResponse, PlatformError, Transient
from xbot.domain.meter import Meter
from xbot.domain.posts import RateLimitState
from xbot.domain.rate_card import EndpointClass
from xbot.telemetry import observe_request

#: characters of a body quoted in an error
EXCERPT_CHARS = 200
_NOT_SENT = (
    httpx2.ConnectError,
    httpx2.ConnectTimeout,
    httpx2.PoolTimeout,
    httpx2.UnsupportedProtocol,
)


@functools.cache
def shared_tls() -> ssl.SSLContext:
    """Return the one TLS context every adapter's client verifies with.

    Each client building its own loads the CA bundle again, about 0.8 MB per account: 1 000
    accounts would hold 800 MB of copies. The context is what httpx2 builds by default
    (certifi, or SSL_CERT_FILE / SSL_CERT_DIR from the environment).
    """
    return httpx2.create_ssl_context()


@dataclass(frozen=True, kw_only=True, slots=True)
class HttpOptions:
    """Timeouts and limits of an adapter's HTTP client."""

    #: where to send requests when the account names no base URL (empty: the platform's default)
    base_url: str = ""
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
    """Send once and read at most `limit` bytes; transport failures map to the error taxonomy.

    Every request is counted, with its latency, for /metrics (`xbot.telemetry`).
    """
    started = time.monotonic()
    status: int | None = None
    try:
        response = http.send(request, stream=True)
        try:
            body, size = _read_capped(response, limit, endpoint=endpoint, write=write)
        finally:
            response.close()
        status = response.status_code  # only once the answer was read: else it counts as "error"
    except httpx2.TransportError as exc:
        raise transport_error(exc, endpoint=endpoint, write=write) from None
    finally:
        observe_request(platform, endpoint, status, time.monotonic() - started)
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


def transport_error(exc: httpx2.TransportError, *, endpoint: str, write: bool) -> PlatformError:
    """Map a failure to connect, send or receive."""
    kind = type(exc).__name__
    if isinstance(exc, _NOT_SENT):
        return Transient(f"{endpoint}: {kind} before the request was sent; nothing happened")
    if write:
        return Ambiguous(f"{endpoint}: {kind} after the request was sent; the post may exist")
    return Transient(f"{endpoint}: {kind}; the read can be repeated")


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


def scrub(text: str, secrets: Iterable[str]) -> str:
    """Replace every secret value in `text` with ***."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***")
    return text


def excerpt(body: bytes, secrets: Iterable[str]) -> str:
    """Return a short, secret-free, one-line excerpt of a response body."""
    text = scrub(body.decode("utf-8", errors="replace"), secrets)
    flat = " ".join(text.split())
    return flat if len(flat) <= EXCERPT_CHARS else flat[:EXCERPT_CHARS] + "…"


def header_int(raw: str | None) -> int | None:
    """Return a rate-limit header as a number, or None when absent or not a number."""
    try:
        return int(raw) if raw is not None else None
    except ValueError:
        return None


def epoch_seconds(raw: str | None) -> datetime | None:
    """Return a reset time given in whole Unix epoch seconds; None when absent or unreadable."""
    try:
        return datetime.fromtimestamp(int(raw), UTC) if raw else None
    except (ValueError, OverflowError, OSError):
        return None


def iso_or_epoch(raw: str | None) -> datetime | None:
    """Return a reset time given in ISO 8601 (naive is UTC) or epoch seconds; else None."""
    text = (raw or "").strip()
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        try:
            return datetime.fromtimestamp(float(text), UTC)
        except (ValueError, OverflowError, OSError):
            return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class LimitHeaders:
    """Where a platform states its rate limit: `<prefix>limit`, `<prefix>remaining`, `-reset`."""

    prefix: str
    #: how the reset header reads
    reset: Callable[[str | None], datetime | None] = epoch_seconds

    def reset_at(self, headers: Mapping[str, str]) -> datetime | None:
        """Return when the window resets, or None when the header is absent or unreadable."""
        return self.reset(headers.get(self.prefix + "reset"))

    def state(self, endpoint: str, headers: Mapping[str, str]) -> RateLimitState | None:
        """Return the endpoint's rate-limit state; None when the answer states no limit."""
        if self.prefix + "limit" not in headers:
            return None
        return RateLimitState(
            endpoint=endpoint,
            limit=header_int(headers.get(self.prefix + "limit")),
            remaining=header_int(headers.get(self.prefix + "remaining")),
            reset_at=self.reset_at(headers),
        )


def metered(meter: Meter | None, creates: Callable[[httpx2.Request], bool]) -> dict[str, Any]:
    """Return httpx2 event hooks that price every answered request on `meter`.

    A request `creates` names is a `post_create`, any other a `request`: on the free platforms
    (rate_card.toml: Bluesky, Mastodon) that counts the calls their rate limits budget.
    """
    if meter is None:
        return {}

    def count(response: httpx2.Response) -> None:
        created = creates(response.request) and response.is_success
        meter.call(EndpointClass.POST_CREATE if created else EndpointClass.REQUEST)

    return {"response": [count]}
