"""The health listener on a real loopback port: routes, HEAD, limits, public and private /ready."""

from __future__ import annotations

import contextlib
import http.client
import json
import socket
import threading
import time
from collections.abc import Iterator

import pytest

from xbot.domain.readiness import posting_blockers
from xbot.web.health import MAX_BODY_BYTES, PUBLIC_KEYS, HealthServer
from xbot.web.listener import ListenerLimits

TOKEN = "s3cret-admin-token-for-tests"
DETAILS = {
    "role": "worker",
    "git_sha": "abc",
    "posting_allowed": True,
    "reasons": [],
    "worker_id": "host:123",
    "database": "postgresql://xbot:***@db.internal/xbot",
    "accounts": [{"handle": "replybot", "state": "active"}],
    "a_key_added_later": "private by default",
}


def request(
    port: int, method: str, path: str, headers: dict[str, str] | None = None, body: bytes = b""
) -> tuple[int, dict[str, str], bytes]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        connection.request(method, path, body=body or None, headers=headers or {})
        answer = connection.getresponse()
        return answer.status, dict(answer.getheaders()), answer.read()
    finally:
        connection.close()


def get(port: int, path: str, token: str | None = None) -> tuple[int, dict[str, object]]:
    headers = {"Authorization": f"Bearer {token}"} if token is not None else {}
    status, _, body = request(port, "GET", path, headers)
    return status, json.loads(body)


@pytest.fixture
def server() -> Iterator[HealthServer]:
    started = HealthServer("127.0.0.1", 0).start()
    yield started
    started.stop()


def test_liveness_readiness_and_death(server: HealthServer) -> None:
    port = server.address[1]
    for path in ("/", "/health", "/healthz"):
        assert get(port, path) == (200, {"status": "ok"})
    assert get(port, "/ready") == (503, {"ready": False, "reasons": ["booting"]})
    server.state.set_ready(ready=True, readiness={"git_sha": "abc"})
    assert get(port, "/ready") == (200, {"ready": True, "git_sha": "abc"})
    server.state.set_dead("job runner died: postgresql://xbot:pw@db/x unreachable")
    assert get(port, "/health") == (503, {"status": "dead"})
    assert get(port, "/ready")[0] == 503
    assert get(port, "/nope")[0] == 404


def test_head_answers_like_get_without_a_body(server: HealthServer) -> None:
    port = server.address[1]
    server.state.set_ready(ready=True, readiness=DETAILS)
    for path in ("/", "/health", "/healthz", "/ready", "/nope"):
        got_status, _, got_body = request(port, "GET", path)
        status, headers, body = request(port, "HEAD", path)
        assert status == got_status
        assert body == b""
        assert headers["Content-Length"] == str(len(got_body))
        assert headers["Content-Type"] == "application/json"


def test_no_server_header_names_a_version(server: HealthServer) -> None:
    port = server.address[1]
    for method in ("GET", "HEAD", "POST"):
        _, headers, _ = request(port, method, "/health")
        assert "Server" not in headers
    _, headers, _ = request(port, "BREW", "/health")  # the stdlib's own error page too
    assert "Server" not in headers


def test_a_large_body_is_refused_with_413_and_other_methods_with_405(server: HealthServer) -> None:
    port = server.address[1]
    large = b"x" * (MAX_BODY_BYTES + 1)
    assert request(port, "POST", "/health", body=large)[0] == 413
    assert request(port, "GET", "/health", body=large)[0] == 413
    status, headers, _ = request(port, "POST", "/health", body=b"{}")
    assert (status, headers["Allow"]) == (405, "GET, HEAD")
    assert request(port, "GET", "/health", body=b"small")[0] == 200


def test_without_a_token_details_are_never_served(server: HealthServer) -> None:
    port = server.address[1]
    server.state.set_ready(ready=True, readiness=DETAILS)
    status, body = get(port, "/ready", token="anything")  # settings not loaded yet: public
    assert (status, set(body)) == (200, {"ready", *PUBLIC_KEYS} - {"status"})
    server.state.set_admin_token(None)
    status, body = get(port, "/ready")
    assert status == 200
    assert body == {"ready": True, "role": "worker", "git_sha": "abc", "posting_allowed": True,
                    "reasons": []}  # fmt: skip
    assert set(body) <= PUBLIC_KEYS
    status, body = get(port, "/ready", token="anything")
    assert status == 403
    assert "XBOT_ADMIN_TOKEN" in str(body["error"])


def test_with_a_token_details_need_the_bearer(server: HealthServer) -> None:
    port = server.address[1]
    server.state.set_admin_token(TOKEN)
    server.state.set_ready(ready=True, readiness=DETAILS)
    assert set(get(port, "/ready")[1]) == {"ready", *PUBLIC_KEYS} - {"status"}
    status, headers, body = request(port, "GET", "/ready", {"Authorization": "Bearer wrong"})
    assert (status, headers["WWW-Authenticate"]) == (401, "Bearer")
    assert TOKEN.encode() not in body
    assert get(port, "/ready", token=TOKEN) == (200, {"ready": True, **DETAILS})
    status, _, body = request(port, "GET", "/ready", {"Authorization": f"Basic {TOKEN}"})
    assert (status, set(json.loads(body))) == (200, {"ready", *PUBLIC_KEYS} - {"status"})
    server.state.set_dead("stopped")
    assert get(port, "/health", token=TOKEN) == (503, {"status": "dead", "reason": "stopped"})


def test_four_hundred_idle_connections_do_not_make_four_hundred_threads() -> None:
    before = threading.active_count()
    server = HealthServer("127.0.0.1", 0, limits=ListenerLimits(workers=4)).start()
    port = server.address[1]
    idle = [socket.create_connection(("127.0.0.1", port), timeout=10) for _ in range(400)]
    try:
        time.sleep(0.5)
        assert get(port, "/health") == (200, {"status": "ok"})
        assert threading.active_count() <= before + 1 + 4
    finally:
        for connection in idle:
            connection.close()
        server.stop()


def test_idle_and_slow_connections_are_closed() -> None:
    limits = ListenerLimits(idle_seconds=0.3, read_seconds=0.3)
    server = HealthServer("127.0.0.1", 0, limits=limits).start()
    port = server.address[1]
    silent = socket.create_connection(("127.0.0.1", port), timeout=10)
    slow = socket.create_connection(("127.0.0.1", port), timeout=10)
    try:
        slow.sendall(b"GET /health HTTP/1.1\r\n")  # and never the end of the headers
        assert silent.recv(1) == b""
        assert slow.recv(1) == b""
        assert get(port, "/health")[0] == 200
    finally:
        silent.close()
        slow.close()
        server.stop()


def test_clients_dripping_bytes_cannot_hold_the_workers() -> None:
    limits = ListenerLimits(workers=2, read_seconds=5, request_seconds=0.5)
    server = HealthServer("127.0.0.1", 0, limits=limits).start()
    port = server.address[1]
    drippers = [socket.create_connection(("127.0.0.1", port), timeout=10) for _ in range(4)]
    stop = threading.Event()

    def drip() -> None:
        while not stop.is_set():
            for connection in drippers:
                with contextlib.suppress(OSError):
                    connection.send(b"X")
            stop.wait(0.1)

    dripping = threading.Thread(target=drip)
    dripping.start()
    try:
        time.sleep(0.3)
        assert get(port, "/health") == (200, {"status": "ok"})
    finally:
        stop.set()
        dripping.join()
        for connection in drippers:
            connection.close()
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
