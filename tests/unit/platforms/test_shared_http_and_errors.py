"""The kit every adapter shares: the one status→error table, its dialects, rate-limit headers."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import pytest

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
from xbot.platforms.bluesky.errors import BLUESKY_ERRORS
from xbot.platforms.errors import Answer, Dialect, Rule
from xbot.platforms.http import LimitHeaders, epoch_seconds, iso_or_epoch
from xbot.platforms.mastodon.errors import MASTODON_ERRORS
from xbot.platforms.x.errors import X_ERRORS

RESET = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
#: each platform's dialect and the reset header it states (all as epoch seconds here)
DIALECTS = [
    pytest.param(X_ERRORS, "x-rate-limit-reset", id="x"),
    pytest.param(BLUESKY_ERRORS, "ratelimit-reset", id="bluesky"),
    pytest.param(MASTODON_ERRORS, "x-ratelimit-reset", id="mastodon"),
]


def mapped(dialect: Dialect, status: int, *, write: bool = False, body: bytes = b"{}") -> object:
    return dialect.status_error(status, body, {}, endpoint="GET /e", write=write, secrets=[])


@pytest.mark.parametrize(("dialect", "header"), DIALECTS)
def test_every_platform_shares_the_table(dialect: Dialect, header: str) -> None:
    assert type(mapped(dialect, 401)) is AuthFailed
    assert type(mapped(dialect, 404)) is NotFound
    assert type(mapped(dialect, 503, write=True)) is Ambiguous
    assert type(mapped(dialect, 503, write=False)) is Transient
    unexpected = mapped(dialect, 302)
    assert type(unexpected) is BadResponse
    assert str(unexpected) == f"{dialect.platform} answered an unexpected 302 to GET /e"
    limited = dialect.status_error(
        429, b"{}", {header: "1772442000"}, endpoint="GET /e", write=False, secrets=[]
    )
    assert isinstance(limited, RateLimited)
    assert limited.reset_at == RESET


@pytest.mark.parametrize(("dialect", "header"), DIALECTS)
def test_a_401_names_the_platforms_credentials(dialect: Dialect, header: str) -> None:
    del header
    error = mapped(dialect, 401)
    assert str(error).startswith(f"{dialect.platform} answered 401")
    assert str(error).endswith(dialect.auth_hint)


@pytest.mark.parametrize(("dialect", "header"), DIALECTS)
def test_no_platform_quotes_a_secret(dialect: Dialect, header: str) -> None:
    del header
    body = b'{"error": "tok-123", "message": "tok-123", "detail": "tok-123"}'
    for status in (400, 401, 403, 429, 500, 302):
        error = dialect.status_error(
            status, body, {}, endpoint="POST /e", write=True, secrets=["tok-123"]
        )
        assert "tok-123" not in str(error)
        assert "tok-123" not in getattr(error, "excerpt", "")


def test_a_pds_with_no_appview_quotes_no_secret() -> None:
    body = b'{"error": "InvalidRequest", "message": "No service configured for tok-123"}'
    error = BLUESKY_ERRORS.status_error(
        400, body, {}, endpoint="GET /e", write=False, secrets=["tok-123"]
    )
    assert type(error) is PlatformMisconfigured
    assert "has no AppView for ***" in str(error)
    assert "tok-123" not in str(error)


def claims_404(answer: Answer) -> PlatformError | None:
    return answer.as_error(ForbiddenByPolicy, " (claimed)") if answer.status == 404 else None


def plain(body: bytes, quoted: str) -> tuple[str, str]:
    del body
    return "", quoted


def test_overrides_come_before_rules_and_rules_before_the_shared_table() -> None:
    dialect = Dialect(
        platform="P",
        describe=plain,
        limits=LimitHeaders("p-"),
        auth_hint=". Check P",
        rules={401: Rule(NotFound), 400: Rule(NotFound, on_write=Ambiguous)},
        refusals={409},
        server_failures=range(500, 600),
        overrides=(claims_404,),
    )
    claimed = mapped(dialect, 404, body=b"gone")
    assert type(claimed) is ForbiddenByPolicy
    assert str(claimed) == "P answered 404 to GET /e: gone (claimed)"
    assert type(mapped(dialect, 401)) is NotFound
    assert type(mapped(dialect, 400, write=False)) is NotFound
    assert type(mapped(dialect, 400, write=True)) is Ambiguous
    assert type(mapped(dialect, 409)) is ForbiddenByPolicy
    assert type(mapped(dialect, 410)) is BadResponse
    assert type(mapped(dialect, 600)) is BadResponse


def test_limit_headers_read_limit_remaining_and_reset() -> None:
    limits = LimitHeaders("ratelimit-")
    headers = {
        "ratelimit-limit": "300",
        "ratelimit-remaining": "x",
        "ratelimit-reset": "1772442000",
    }
    state = limits.state("GET /e", headers)
    assert state is not None
    assert (state.endpoint, state.limit, state.remaining, state.reset_at) == (
        "GET /e",
        300,
        None,
        RESET,
    )
    assert limits.state("GET /e", {"ratelimit-remaining": "3"}) is None


@pytest.mark.parametrize(
    ("parse", "raw", "expected"),
    [
        (epoch_seconds, "1772442000", RESET),
        (epoch_seconds, "1772442000.5", None),
        (epoch_seconds, "", None),
        (epoch_seconds, None, None),
        (epoch_seconds, "99999999999999999999", None),
        (iso_or_epoch, "2026-03-02T09:00:00Z", RESET),
        (iso_or_epoch, " 2026-03-02T09:00:00 ", RESET),
        (iso_or_epoch, "1772442000.0", RESET),
        (iso_or_epoch, "soon", None),
        (iso_or_epoch, None, None),
    ],
)
def test_reset_times(
    parse: Callable[[str | None], datetime | None], raw: str | None, expected: datetime | None
) -> None:
    assert parse(raw) == expected
