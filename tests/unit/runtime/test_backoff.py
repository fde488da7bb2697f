from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from xbot.jobs.backoff import MAX_BACKOFF, consecutive_failures, retry_at

T0 = datetime(2026, 1, 9, 19, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("statuses", "expected"),
    [([], 0), (["done"], 0), (["failed"], 1), (["failed", "failed", "done", "failed"], 2)],
)
def test_consecutive_failures(statuses: list[str], expected: int) -> None:
    assert consecutive_failures(statuses) == expected


@pytest.mark.parametrize(
    ("failures", "delay"),
    [(1, 60), (2, 120), (3, 240), (4, 480), (30, 3600)],
)
def test_retry_doubles_up_to_an_hour(failures: int, delay: int) -> None:
    assert retry_at(T0, failures, timedelta(seconds=60)) == T0 + timedelta(seconds=delay)


@given(st.integers(min_value=1, max_value=200), st.floats(min_value=0.1, max_value=100_000))
def test_retry_is_never_sooner_than_the_interval_nor_later_than_the_cap(
    failures: int, seconds: float
) -> None:
    interval = timedelta(seconds=seconds)
    wait = retry_at(T0, failures, interval) - T0
    assert min(interval, MAX_BACKOFF) <= wait <= MAX_BACKOFF
