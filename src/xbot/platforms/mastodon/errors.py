"""Every HTTP outcome of Mastodon mapped to xbot's one error taxonomy (platform-facts §3.4).

Errors are `{"error": text}`; 422 is a validation refusal (blank, too long), 404 a missing
record or reply target. The rate-limit reset is an ISO 8601 timestamp (an epoch number is
accepted too, as some servers and fakes send one). As on X, a 5xx or a connection lost after
sending is `Ambiguous` on a write and `Transient` on a read.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime

from xbot.domain.errors import (
    Ambiguous,
    AuthFailed,
    BadResponse,
    ForbiddenByPolicy,
    NotFound,
    PlatformError,
    RateLimited,
    Transient,
)
from xbot.platforms.x.errors import excerpt, scrub

#: 403 answers that are about the account or token, not the action
_ACCOUNT_PROBLEMS = ("login is currently disabled", "authorized scopes", "suspended", "token")


def error_text(body: bytes) -> str:
    """Return the `error` (and `error_description`) of a Mastodon error body."""
    try:
        parsed = json.loads(body)
    except ValueError:
        return ""
    if not isinstance(parsed, dict):
        return ""
    parts = [str(parsed.get(key)) for key in ("error", "error_description") if parsed.get(key)]
    return ": ".join(parts)


def rate_limit_reset(headers: Mapping[str, str]) -> datetime | None:
    """Return when the window resets, from `X-RateLimit-Reset` (ISO 8601, or epoch seconds)."""
    raw = (headers.get("x-ratelimit-reset") or "").strip()
    if not raw:
        return None
    try:
        moment = datetime.fromisoformat(raw)
    except ValueError:
        try:
            return datetime.fromtimestamp(float(raw), UTC)
        except (ValueError, OverflowError, OSError):
            return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def status_error(  # noqa: PLR0913 - the parts of one answer
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
    said = f"Mastodon answered {status} to {endpoint}: {scrub(error_text(body), secrets)}"
    if status == 429:
        return RateLimited(said, reset_at=rate_limit_reset(headers), status=status, excerpt=quoted)
    if status >= 500:
        error = Ambiguous if write else Transient
        return error(said, status=status, excerpt=quoted)
    if status == 401 or (status == 403 and _about_account(body)):
        return AuthFailed(
            f"{said}. Check the account's access token", status=status, excerpt=quoted
        )
    if status in {404, 410}:
        return NotFound(said, status=status, excerpt=quoted)
    if 400 <= status < 500:
        return ForbiddenByPolicy(said, status=status, excerpt=quoted)
    return BadResponse(
        f"Mastodon answered an unexpected {status} to {endpoint}", status=status, excerpt=quoted
    )


def _about_account(body: bytes) -> bool:
    text = error_text(body).lower()
    return any(problem in text for problem in _ACCOUNT_PROBLEMS)
