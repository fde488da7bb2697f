from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import pytest

from xbot.sim.core.clock import SimClock

START = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def test_a_frozen_clock_moves_only_when_advanced() -> None:
    clock = SimClock(start=START, speed=0)
    time.sleep(0.01)
    assert clock.now() == START
    assert clock.advance(90) == START + timedelta(seconds=90)
    assert clock.now() == START + timedelta(seconds=90)
    assert clock.timestamp() == (START + timedelta(seconds=90)).timestamp()


def test_an_accelerated_clock_runs_faster_than_real_time() -> None:
    clock = SimClock(start=START, speed=1000)
    time.sleep(0.02)
    elapsed = (clock.now() - START).total_seconds()
    assert 15 <= elapsed < 600


def test_changing_speed_keeps_the_time_already_passed() -> None:
    clock = SimClock(start=START, speed=0)
    clock.advance(10)
    clock.set_speed(0)
    assert clock.now() == START + timedelta(seconds=10)
    assert clock.speed == 0


def test_a_real_time_clock_starts_now() -> None:
    clock = SimClock()
    assert abs((clock.now() - datetime.now(UTC)).total_seconds()) < 1
    assert clock.now().tzinfo is not None


@pytest.mark.parametrize("call", [lambda c: c.advance(-1), lambda c: c.set_speed(-2)])
def test_the_clock_never_goes_backwards(call) -> None:
    with pytest.raises(ValueError, match=r"forward|speed"):
        call(SimClock(start=START, speed=0))
