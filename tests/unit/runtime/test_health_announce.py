"""The `[HEALTH]` line: plain text for people, one JSON line when the logs are JSON lines."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from xbot import cli_support
from xbot.logging import configure
from xbot.web import health
from xbot.web.health import HealthServer


@pytest.fixture
def listening(monkeypatch: pytest.MonkeyPatch) -> Iterator[int]:
    server = HealthServer("127.0.0.1", 0).start()
    monkeypatch.setattr(health, "_current", server)
    try:
        yield server.address[1]
    finally:
        server.stop()


def test_the_health_line_is_json_when_logs_are_json(
    listening: int, capsys: pytest.CaptureFixture[str]
) -> None:
    configure("info", "json")
    cli_support.announce_health()
    [line] = capsys.readouterr().err.splitlines()
    record = json.loads(line)
    assert record["event"] == f"[HEALTH] listening on 127.0.0.1:{listening}"
    assert (record["host"], record["port"], record["level"]) == ("127.0.0.1", listening, "info")


def test_the_health_line_is_plain_on_a_console(
    listening: int, capsys: pytest.CaptureFixture[str]
) -> None:
    configure("info", "console")
    cli_support.announce_health()
    assert capsys.readouterr().err == f"[HEALTH] listening on 127.0.0.1:{listening}\n"
