"""Mastodon's departures from the shared status→error table (platform-facts §3.4).

Errors are `{"error": text}`; 422 is a validation refusal (blank, too long), 404 and 410 a
missing record or reply target, and every other 4xx a refusal; a 403 about the account or token
is `AuthFailed`. The rate-limit reset is an ISO 8601 timestamp (an epoch number is accepted
too, as some servers and fakes send one).
"""

from __future__ import annotations

import json

from xbot.domain.errors import AuthFailed, NotFound, PlatformError
from xbot.platforms.errors import Answer, Dialect, Rule
from xbot.platforms.http import LimitHeaders, iso_or_epoch

#: 403 answers that are about the account or token, not the action
_ACCOUNT_PROBLEMS = ("login is currently disabled", "authorized scopes", "suspended", "token")
#: what an AuthFailed adds to its message
AUTH_HINT = ". Check the account's access token"
LIMITS = LimitHeaders("x-ratelimit-", iso_or_epoch)


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


def _account_refused(answer: Answer) -> PlatformError | None:
    """Name a 403 about the account or its token rather than the action."""
    text = error_text(answer.body).lower()
    if answer.status != 403 or not any(problem in text for problem in _ACCOUNT_PROBLEMS):
        return None
    return answer.as_error(AuthFailed, AUTH_HINT)


def _describe(body: bytes, _quoted: str) -> tuple[str, str]:
    return "", error_text(body)


MASTODON_ERRORS = Dialect(
    platform="Mastodon",
    describe=_describe,
    limits=LIMITS,
    auth_hint=AUTH_HINT,
    rules={410: Rule(NotFound)},
    refusals=range(400, 500),
    overrides=(_account_refused,),
)
#: map a non-2xx answer of Mastodon to one error of the taxonomy
status_error = MASTODON_ERRORS.status_error
#: when Mastodon's rate-limit window resets, from `x-ratelimit-reset`
rate_limit_reset = LIMITS.reset_at
