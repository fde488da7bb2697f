"""Fault injection through the in-process bridge transport, on a toy fake."""

from __future__ import annotations

import time
from collections.abc import Iterator

import httpx2
import pytest
from sim_toy import ToyFake

from xbot.sim.core.faults import Fault, FaultBook


@pytest.fixture
def toy() -> ToyFake:
    return ToyFake()


@pytest.fixture
def client(toy: ToyFake) -> Iterator[httpx2.Client]:
    with httpx2.Client(
        transport=_transport(toy), base_url="http://toy.sim", timeout=httpx2.Timeout(5, read=0.3)
    ) as client:
        yield client


def _transport(toy: ToyFake) -> httpx2.BaseTransport:
    from xbot.sim.core.transport import ASGIBridgeTransport

    return ASGIBridgeTransport(toy.app)


def test_latency_below_the_timeout_only_slows_the_answer(
    toy: ToyFake, client: httpx2.Client
) -> None:
    toy.parts.faults.add(Fault(endpoint="GET /notes", kind="latency", seconds=0.1))
    started = time.monotonic()
    assert client.get("/notes").status_code == 200
    assert time.monotonic() - started >= 0.1
    assert client.get("/notes").status_code == 200  # count 1: used up


def test_latency_past_the_read_timeout_is_a_read_timeout(
    toy: ToyFake, client: httpx2.Client
) -> None:
    toy.parts.faults.add(Fault(endpoint="GET /notes", kind="latency", seconds=1))
    with pytest.raises(httpx2.ReadTimeout):
        client.get("/notes")


def test_status_answers_the_platform_body_without_running_the_handler(
    toy: ToyFake, client: httpx2.Client
) -> None:
    toy.parts.faults.add(Fault(endpoint="POST /notes", kind="status", status=503))
    response = client.post("/notes", json={"text": "hi"})
    assert response.status_code == 503
    assert response.json() == {"toy_error": 503, "path": "/notes"}
    assert toy.notes == []


def test_reset_drops_the_connection_before_anything_is_created(
    toy: ToyFake, client: httpx2.Client
) -> None:
    toy.parts.faults.add(Fault(endpoint="POST /notes", kind="reset"))
    with pytest.raises(httpx2.ReadError):
        client.post("/notes", json={"text": "hi"})
    assert toy.notes == []
    assert client.post("/notes", json={"text": "hi"}).status_code == 201


def test_accept_then_timeout_commits_the_write_then_times_out(
    toy: ToyFake, client: httpx2.Client
) -> None:
    toy.parts.faults.add(Fault(endpoint="POST /notes", kind="accept_then_timeout", seconds=2))
    with pytest.raises(httpx2.ReadTimeout):
        client.post("/notes", json={"text": "landed"})
    assert [note["text"] for note in toy.notes] == ["landed"]


def test_accept_then_drop_commits_the_write_then_resets(
    toy: ToyFake, client: httpx2.Client
) -> None:
    toy.parts.faults.add(Fault(endpoint="POST /notes", kind="accept_then_timeout", drop=True))
    with pytest.raises(httpx2.ReadError):
        client.post("/notes", json={"text": "landed"})
    assert len(toy.notes) == 1


def test_accept_then_a_short_hold_still_answers(toy: ToyFake, client: httpx2.Client) -> None:
    toy.parts.faults.add(Fault(endpoint="POST /notes", kind="accept_then_timeout", seconds=0.05))
    assert client.post("/notes", json={"text": "slow"}).status_code == 201


def test_malformed_answers_a_broken_body(toy: ToyFake, client: httpx2.Client) -> None:
    toy.parts.faults.add(Fault(endpoint="GET /notes", kind="malformed"))
    toy.parts.faults.add(Fault(endpoint="GET /notes", kind="malformed", status=502, body="<html>"))
    first = client.get("/notes")
    assert first.status_code == 200
    with pytest.raises(ValueError, match="Expecting|Unterminated"):
        first.json()
    assert client.get("/notes").text == "<html>"


def test_count_zero_lasts_until_cleared(toy: ToyFake, client: httpx2.Client) -> None:
    toy.parts.faults.add(Fault(endpoint="GET /notes", kind="status", status=500, count=0))
    assert [client.get("/notes").status_code for _ in range(3)] == [500, 500, 500]
    toy.parts.faults.clear()
    assert client.get("/notes").status_code == 200


def test_count_n_fails_n_requests(toy: ToyFake, client: httpx2.Client) -> None:
    toy.parts.faults.add(Fault(endpoint="* /notes", kind="status", status=502, count=2))
    codes = [client.get("/notes").status_code for _ in range(3)]
    assert codes == [502, 502, 200]


@pytest.mark.parametrize(
    ("endpoint", "method", "path", "applies"),
    [
        ("GET /2/users/:id/mentions", "GET", "/2/users/42/mentions", True),
        ("GET /2/users/:id/mentions", "GET", "/2/users/42/tweets", False),
        ("GET /2/users/:id/mentions", "POST", "/2/users/42/mentions", False),
        ("DELETE /2/tweets/:id", "DELETE", "/2/tweets/19", True),
        ("POST /2/tweets", "POST", "/2/tweets/19", False),
        ("* /2/tweets", "POST", "/2/tweets", True),
    ],
)
def test_endpoints_are_matched_like_the_docs_name_them(
    endpoint: str, method: str, path: str, applies: bool
) -> None:
    assert Fault(endpoint=endpoint, kind="reset").matches(method, path) is applies


def test_the_book_refuses_unknown_kinds_and_negative_counts() -> None:
    book = FaultBook()
    with pytest.raises(ValueError, match="unknown fault kind"):
        book.add(Fault(endpoint="GET /x", kind="explode"))  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="count"):
        book.add(Fault(endpoint="GET /x", kind="reset", count=-1))
    assert book.take("GET", "/x") is None


def test_admin_routes_are_never_faulted(toy: ToyFake, client: httpx2.Client) -> None:
    toy.parts.faults.add(Fault(endpoint="* /_sim/posts", kind="reset", count=0))
    assert client.get("/_sim/posts", params={"author": "ann"}).status_code == 200


def test_the_request_log_records_outcomes_and_json_bodies(
    toy: ToyFake, client: httpx2.Client
) -> None:
    toy.parts.faults.add(Fault(endpoint="POST /notes", kind="reset"))
    with pytest.raises(httpx2.ReadError):
        client.post("/notes", json={"text": "one"})
    client.post("/notes", json={"text": "two"})
    client.get("/notes", params={"q": "x"})
    entries = toy.parts.log.entries()
    assert [(e.method, e.path, e.status, e.fault) for e in entries] == [
        ("POST", "/notes", None, "reset"),
        ("POST", "/notes", 201, None),
        ("GET", "/notes", 200, None),
    ]
    assert entries[1].body == {"text": "two"}
    assert entries[2].query == "q=x"
    assert len(toy.parts.log.entries(method="post", path="/notes")) == 2


def test_a_closed_bridge_refuses_to_connect(toy: ToyFake) -> None:
    transport = _transport(toy)
    transport.close()
    transport.close()
    client = httpx2.Client(transport=transport, base_url="http://toy.sim")
    with pytest.raises(httpx2.ConnectError):
        client.get("/notes")
