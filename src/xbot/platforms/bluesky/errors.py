"""Bluesky's departures from the shared status→error table (platform-facts §2.4).

Bluesky errors are `{"error": Name, "message": text}`; named lexicon errors come as 400, so the
name decides: the session or account, a missing record, a PDS with no AppView, or a refusal.
"""

from __future__ import annotations

import json

from xbot.domain.errors import (
    AuthFailed,
    NotFound,
    PlatformError,
    PlatformMisconfigured,
)
from xbot.platforms.errors import Answer, Dialect
from xbot.platforms.http import LimitHeaders

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
#: the statuses a refusal comes with besides 401 and 404
REFUSALS = frozenset({400, 403, 413})
#: what an AuthFailed adds to its message
AUTH_HINT = ". Check the account's handle and app password"
LIMITS = LimitHeaders("ratelimit-")


def xrpc_error(body: bytes) -> tuple[str, str]:
    """Return (error name, message) of an XRPC error body; empty strings when absent."""
    try:
        parsed = json.loads(body)
    except ValueError:
        return "", ""
    if not isinstance(parsed, dict):
        return "", ""
    return str(parsed.get("error") or ""), str(parsed.get("message") or "")


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


def _no_service(answer: Answer) -> PlatformMisconfigured | None:
    """Name a 400 from a PDS with no AppView: the account's configuration, not one post."""
    _, message = xrpc_error(answer.body)
    if answer.status != 400 or not message.startswith(NO_SERVICE):
        return None
    return misconfigured(answer.detail.removeprefix(NO_SERVICE), answer.said)


def _session_refused(answer: Answer) -> PlatformError | None:
    """Name a 400 or 403 that is about the session or the account."""
    name, _ = xrpc_error(answer.body)
    if answer.status not in {400, 403} or name not in AUTH_ERRORS:
        return None
    return answer.as_error(AuthFailed, AUTH_HINT)


def _no_record(answer: Answer) -> PlatformError | None:
    """Name a refusal that is about a missing record."""
    name, message = xrpc_error(answer.body)
    missing = name in NOT_FOUND_ERRORS or "could not locate record" in message.lower()
    return answer.as_error(NotFound) if answer.status in REFUSALS and missing else None


def _describe(body: bytes, _quoted: str) -> tuple[str, str]:
    """Return the error name (after a space, even when absent) and the message."""
    name, message = xrpc_error(body)
    return f" {name or ''}", message


BLUESKY_ERRORS = Dialect(
    platform="Bluesky",
    describe=_describe,
    limits=LIMITS,
    auth_hint=AUTH_HINT,
    refusals=REFUSALS,
    overrides=(_no_service, _session_refused, _no_record),
)
#: map a non-2xx answer of Bluesky to one error of the taxonomy
status_error = BLUESKY_ERRORS.status_error
#: when Bluesky's rate-limit window resets, from `ratelimit-reset` (Unix epoch seconds)
rate_limit_reset = LIMITS.reset_at
