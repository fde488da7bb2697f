"""Every XRPC outcome of Bluesky mapped to xbot's one error taxonomy (platform-facts §2.4).

Bluesky errors are `{"error": Name, "message": text}`; named lexicon errors come as 400. As on
X, a 5xx or a connection lost after sending is `Ambiguous` on a write and `Transient` on a read.
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
    PlatformMisconfigured,
    RateLimited,
    Transient,
)
from xbot.platforms.x.errors import excerpt, scrub

#: 400 names that mean the session or the account, not the request
AUTH_ERRORS = frozenset(
    {"ExpiredToken", "InvalidToken", "AccountTakedown", "AuthenticationRequired", "AuthMissing",
     "AuthFactorTokenRequired", "AccountDeactivated"}
)  # fmt: skip
NOT_FOUND_ERRORS = frozenset({"RecordNotFound", "NotFound", "ProfileNotFound"})
#: ⚠ a second create of a taken rkey is a 500 today; atproto PR #4728 adds a named 400
DUPLICATE_ERRORS = frozenset({"RecordAlreadyExists", "RecordExists", "DuplicateRecord"})
#: what a PDS with no AppView configured answers to every app.bsky.* call (400 InvalidRequest)
NO_SERVICE = "No service configured for "


def xrpc_error(body: bytes) -> tuple[str, str]:
    """Return (error name, message) of an XRPC error body; empty strings when absent."""
    try:
        parsed = json.loads(body)
    except ValueError:
        return "", ""
    if not isinstance(parsed, dict):
        return "", ""
    return str(parsed.get("error") or ""), str(parsed.get("message") or "")


def rate_limit_reset(headers: Mapping[str, str]) -> datetime | None:
    """Return when the window resets, from `ratelimit-reset` (Unix epoch seconds)."""
    raw = headers.get("ratelimit-reset")
    try:
        return datetime.fromtimestamp(int(raw), UTC) if raw else None
    except (ValueError, OverflowError, OSError):
        return None


def misconfigured(method: str, said: str) -> PlatformMisconfigured:
    """Return the error of a PDS with no AppView: the account's configuration, not one post."""
    return PlatformMisconfigured(
        f"{said}. The account's PDS has no AppView for {method}: set the account's base_url to "
        "a PDS that serves app.bsky.* (e.g. https://bsky.social)"
    )


def maybe_exists(status: int, body: bytes) -> bool:
    """Whether a failed createRecord may mean the record is already there: read it back."""
    name, message = xrpc_error(body)
    if status >= 500:
        return True
    return status == 400 and (name in DUPLICATE_ERRORS or "already exists" in message.lower())


def status_error(  # noqa: PLR0913 - the parts of one answer
    status: int,
    body: bytes,
    headers: Mapping[str, str],
    *,
    endpoint: str,
    write: bool,
    secrets: Iterable[str],
) -> PlatformError | PlatformMisconfigured:
    """Map a non-2xx answer to one error of the taxonomy, with status and a short excerpt."""
    quoted = excerpt(body, secrets)
    name, message = xrpc_error(body)
    said = f"Bluesky answered {status} {name or ''} to {endpoint}: {scrub(message, secrets)}"
    if status == 429:
        return RateLimited(said, reset_at=rate_limit_reset(headers), status=status, excerpt=quoted)
    if status >= 500:
        error = Ambiguous if write else Transient
        return error(said, status=status, excerpt=quoted)
    if status in {400, 401, 403, 404, 413}:
        return _refusal(status, name, message, said=said, quoted=quoted)
    return BadResponse(
        f"Bluesky answered an unexpected {status} to {endpoint}", status=status, excerpt=quoted
    )


def _refusal(
    status: int, name: str, message: str, *, said: str, quoted: str
) -> PlatformError | PlatformMisconfigured:
    """Map a 4xx: the session, the account's configuration, a missing record, or a refusal."""
    if status == 400 and message.startswith(NO_SERVICE):
        return misconfigured(message.removeprefix(NO_SERVICE), said)
    if status == 401 or (status in {400, 403} and name in AUTH_ERRORS):
        hint = ". Check the account's handle and app password"
        return AuthFailed(said + hint, status=status, excerpt=quoted)
    if status == 404 or name in NOT_FOUND_ERRORS or "could not locate record" in message.lower():
        return NotFound(said, status=status, excerpt=quoted)
    return ForbiddenByPolicy(said, status=status, excerpt=quoted)
