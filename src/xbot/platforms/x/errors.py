"""Every HTTP outcome of X mapped to xbot's one error taxonomy (DESIGN §9, platform-facts §1.6).

Writes and reads differ only where the request may have had an effect: a read timeout after the
request went out, a reset, or a 5xx is `Ambiguous` on a write (the post may exist: read back)
and `Transient` on a read (nothing changed; read again later).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

import httpx2

from xbot.domain.errors import (
    Ambiguous,
    AuthFailed,
    BadResponse,
    CreditsDepleted,
    DuplicateContent,
    ForbiddenByPolicy,
    InvalidRequest,
    NotFound,
    PlatformError,
    RateLimited,
    Transient,
)

#: characters of a body quoted in an error
EXCERPT_CHARS = 200
#: problem types (path suffixes) of a 403 that is about the credentials or the app, not the post
AUTH_PROBLEM_TYPES = (
    "/unsupported-authentication",
    "/oauth1-permissions",
    "/client-forbidden",
)
#: X's legacy error codes of a 403 about the credentials or the app: could not authenticate,
#: invalid or expired token, credentials not allowed, read-only app, access level (subset of v2)
AUTH_ERROR_CODES = frozenset({32, 89, 99, 215, 220, 261, 453})
#: X's legacy error code "Status is a duplicate."
DUPLICATE_ERROR_CODE = 187
_NOT_SENT = (
    httpx2.ConnectError,
    httpx2.ConnectTimeout,
    httpx2.PoolTimeout,
    httpx2.UnsupportedProtocol,
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


def transport_error(exc: httpx2.TransportError, *, endpoint: str, write: bool) -> PlatformError:
    """Map a failure to connect, send or receive."""
    kind = type(exc).__name__
    if isinstance(exc, _NOT_SENT):
        return Transient(f"{endpoint}: {kind} before the request was sent; nothing happened")
    if write:
        return Ambiguous(f"{endpoint}: {kind} after the request was sent; the post may exist")
    return Transient(f"{endpoint}: {kind}; the read can be repeated")


def rate_limit_reset(headers: Mapping[str, str]) -> datetime | None:
    """Return when the window resets, from `x-rate-limit-reset` (Unix epoch seconds)."""
    raw = headers.get("x-rate-limit-reset")
    try:
        return datetime.fromtimestamp(int(raw), UTC) if raw else None
    except (ValueError, OverflowError, OSError):
        return None


def status_error(  # noqa: PLR0911, PLR0913 - one answer per documented status
    status: int,
    body: bytes,
    headers: Mapping[str, str],
    *,
    endpoint: str,
    write: bool,
    secrets: Iterable[str],
) -> PlatformError:
    """Map a non-2xx answer to one error of the taxonomy, with status and a short excerpt."""
    quoted = excerpt(body, secrets)
    detail = _detail(body) or quoted
    said = f"X answered {status} to {endpoint}: {scrub(detail, secrets)}"
    if status == 401:
        return AuthFailed(f"{said}. Check the account's tokens", status=status, excerpt=quoted)
    if status == 402:
        return CreditsDepleted(said, status=status, excerpt=quoted)
    if status == 403:
        return _forbidden(body, said, quoted)
    if status == 404:
        return NotFound(said, status=status, excerpt=quoted)
    if status == 429:
        return RateLimited(said, reset_at=rate_limit_reset(headers), status=status, excerpt=quoted)
    if status == 400 and not write:
        return InvalidRequest(f"{said} (invalid request)", status=status, excerpt=quoted)
    if status == 400:
        return ForbiddenByPolicy(f"{said} (invalid request)", status=status, excerpt=quoted)
    if 500 <= status <= 599:
        error = Ambiguous if write else Transient
        return error(said, status=status, excerpt=quoted)
    return BadResponse(
        f"X answered an unexpected {status} to {endpoint}", status=status, excerpt=quoted
    )


def _forbidden(body: bytes, said: str, quoted: str) -> PlatformError:
    """Classify a 403 by its problem, whether at the top level or inside `errors[]`."""
    problems = _problems(body)
    if any(_is_duplicate(problem) for problem in problems):
        return DuplicateContent(said, status=403, excerpt=quoted)
    if any(_is_auth_problem(problem) for problem in problems):
        return AuthFailed(
            f"{said}. Use user-context credentials with write access", status=403, excerpt=quoted
        )
    return ForbiddenByPolicy(said, status=403, excerpt=quoted)


def _is_duplicate(problem: Mapping[str, Any]) -> bool:
    detail = str(problem.get("detail", "")).lower()
    return "duplicate content" in detail or problem.get("code") == DUPLICATE_ERROR_CODE


def _is_auth_problem(problem: Mapping[str, Any]) -> bool:
    kind = str(problem.get("type", ""))
    return kind.endswith(AUTH_PROBLEM_TYPES) or problem.get("code") in AUTH_ERROR_CODES


def _problems(body: bytes) -> list[Mapping[str, Any]]:
    """Return the top-level problem and each object of its `errors[]`."""
    problem = _problem(body)
    errors = problem.get("errors")
    nested = [e for e in errors if isinstance(e, dict)] if isinstance(errors, list) else []
    return [problem, *nested]


def _problem(body: bytes) -> dict[str, Any]:
    try:
        parsed = json.loads(body)
    except ValueError:
        return {}
    return parsed if isinstance(parsed, dict) else {}


def _detail(body: bytes) -> str:
    problem = _problem(body)
    errors = problem.get("errors")
    if isinstance(errors, list) and errors and isinstance(errors[0], dict):
        first = errors[0]
        return str(first.get("message") or first.get("detail") or "")
    return str(problem.get("detail") or problem.get("title") or "")
