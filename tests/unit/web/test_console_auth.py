"""Session cookies and CSRF tokens of the console (xbot.web.auth), without a server."""

from __future__ import annotations

import time

from xbot.web.auth import SESSION_SECONDS, Sessions, Visitor, csrf_matches
from xbot.web.svg import series_chart

TOKEN = "unit-test-admin-token-0123"


def test_a_session_cookie_carries_its_csrf_token_until_it_expires() -> None:
    sessions = Sessions(TOKEN)
    now = time.time()
    cookie, csrf = sessions.issue(now)
    assert sessions.read(cookie, now) == csrf
    assert sessions.read(cookie, now + SESSION_SECONDS + 1) is None


def test_a_tampered_or_foreign_cookie_is_refused() -> None:
    sessions = Sessions(TOKEN)
    cookie, _ = sessions.issue()
    expires, csrf, signature = cookie.split(".")
    assert sessions.read(f"{int(expires) + 3600}.{csrf}.{signature}") is None
    assert sessions.read(f"{expires}.other.{signature}") is None
    assert Sessions("another-admin-token-456789").read(cookie) is None
    assert sessions.read("garbage") is None
    assert sessions.read(None) is None


def test_bearer_admits_without_csrf_and_a_wrong_bearer_is_refused() -> None:
    sessions = Sessions(TOKEN)
    visitor = sessions.visitor(f"Bearer {TOKEN}", None)
    assert visitor == Visitor(authenticated=True, bearer=True)
    assert csrf_matches(visitor, None)
    assert sessions.visitor("Bearer not-the-token-at-all", None) is None
    assert sessions.visitor(None, None) == Visitor()


def test_a_session_must_send_its_own_csrf_token_back() -> None:
    sessions = Sessions(TOKEN)
    cookie, csrf = sessions.issue()
    visitor = sessions.visitor(None, cookie)
    assert visitor is not None
    assert visitor.authenticated
    assert csrf_matches(visitor, csrf)
    assert not csrf_matches(visitor, None)
    assert not csrf_matches(visitor, csrf + "x")


def test_the_tokenless_console_admits_everyone_but_hands_out_a_csrf_token() -> None:
    sessions = Sessions(None)
    visitor = sessions.visitor("Bearer anything-at-all-here", None)
    assert visitor is not None
    assert visitor.authenticated
    assert not visitor.bearer
    assert visitor.new_cookie is not None
    assert sessions.read(visitor.new_cookie) == visitor.csrf
    assert not sessions.token_matches("")


def test_the_chart_draws_one_bar_per_bucket_and_the_skips_line() -> None:
    series = [{"start": f"2026-01-01T0{hour}:00:00+00:00", "posts": hour, "skips": 1}
              for hour in range(4)]  # fmt: skip
    chart = series_chart(series)
    assert chart.startswith("<svg")
    assert chart.count('class="posts"') == 4
    assert "<polyline" in chart
    assert series_chart([]) == ""
