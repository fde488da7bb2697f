"""X's departures from the shared status→error table (DESIGN §9, platform-facts §1.6).

402 is out of credits; a 403 is a duplicate, a credentials problem or a policy refusal by its
problem type or legacy code, at the top level or inside `errors[]`; a 400 is an invalid read or
a refused write. Only 500-599 count as server failures.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from xbot.domain.errors import (
    AuthFailed,
    CreditsDepleted,
    DuplicateContent,
    ForbiddenByPolicy,
    InvalidRequest,
    PlatformError,
    UsageCapExceeded,
)
from xbot.platforms.errors import Answer, Dialect, Rule
from xbot.platforms.http import LimitHeaders

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
LIMITS = LimitHeaders("x-rate-limit-")


def _duplicate(answer: Answer) -> PlatformError | None:
    """Name a 403 for duplicate content: the post probably exists already."""
    if answer.status != 403 or not any(map(_is_duplicate, _problems(answer.body))):
        return None
    return answer.as_error(DuplicateContent)


def _usage_capped(answer: Answer) -> PlatformError | None:
    """Name X's `UsageCapExceeded` problem (a 429 that no wait within the window clears)."""
    problem = _problem(answer.body)
    capped = problem.get("title") == "UsageCapExceeded" or str(problem.get("type", "")).endswith(
        "/usage-capped"
    )
    return answer.as_error(UsageCapExceeded) if capped else None


def _app_credentials(answer: Answer) -> PlatformError | None:
    """Name a 403 about the credentials or the app rather than the post."""
    if answer.status != 403 or not any(map(_is_auth_problem, _problems(answer.body))):
        return None
    return answer.as_error(AuthFailed, ". Use user-context credentials with write access")


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


def _describe(body: bytes, quoted: str) -> tuple[str, str]:
    """Return no label and the first problem's message, else the excerpt."""
    problem = _problem(body)
    errors = problem.get("errors")
    if isinstance(errors, list) and errors and isinstance(errors[0], dict):
        first = errors[0]
        detail = str(first.get("message") or first.get("detail") or "")
    else:
        detail = str(problem.get("detail") or problem.get("title") or "")
    return "", detail or quoted


X_ERRORS = Dialect(
    platform="X",
    describe=_describe,
    limits=LIMITS,
    auth_hint=". Check the account's tokens",
    rules={
        400: Rule(InvalidRequest, " (invalid request)", on_write=ForbiddenByPolicy),
        402: Rule(CreditsDepleted),
        403: Rule(ForbiddenByPolicy),
    },
    server_failures=range(500, 600),
    overrides=(_duplicate, _app_credentials, _usage_capped),
)
#: map a non-2xx answer of X to one error of the taxonomy
status_error = X_ERRORS.status_error
#: when X's rate-limit window resets, from `x-rate-limit-reset` (Unix epoch seconds)
rate_limit_reset = LIMITS.reset_at
