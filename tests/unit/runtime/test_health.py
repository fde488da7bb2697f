from __future__ import annotations

import json
import urllib.error
import urllib.request

import pytest

from xbot.domain.readiness import posting_blockers
from xbot.web.health import HealthServer


def get(port: int, path: str) -> tuple[int, dict[str, object]]:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=5) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def test_liveness_readiness_and_death() -> None:
    server = HealthServer("127.0.0.1", 0).start()
    port = server.address[1]
    try:
        for path in ("/", "/health", "/healthz"):
            assert get(port, path) == (200, {"status": "ok"})
        status, body = get(port, "/ready")
        assert status == 503
        assert body["ready"] is False
        server.state.set_ready(ready=True, readiness={"git_sha": "abc"})
        assert get(port, "/ready") == (200, {"ready": True, "git_sha": "abc"})
        server.state.set_dead("job runner died")
        assert get(port, "/health") == (503, {"status": "dead", "reason": "job runner died"})
        assert get(port, "/ready")[0] == 503
        assert get(port, "/nope")[0] == 404
    finally:
        server.stop()


def test_port_in_use_raises() -> None:
    first = HealthServer("127.0.0.1", 0).start()
    try:
        with pytest.raises(OSError, match="in use"):
            HealthServer("127.0.0.1", first.address[1])
    finally:
        first.stop()


@pytest.mark.parametrize(
    ("role", "declared", "kill", "expected"),
    [
        ("worker", None, False, []),
        ("all", "abc", False, []),
        ("web", None, False, ["wrong_role"]),
        ("worker", "def", False, ["stale_code"]),
        ("worker", "abc", True, ["kill_switch"]),
        ("web", "def", True, ["wrong_role", "stale_code", "kill_switch"]),
    ],
)
def test_posting_blockers(role: str, declared: str | None, kill: bool, expected: list[str]) -> None:
    blockers = posting_blockers(
        role=role, running_sha="abc", declared_sha=declared, kill_switch_on=kill
    )
    assert blockers == expected
