"""The admin API every fake mounts under /_sim, on a toy fake."""

from __future__ import annotations

from collections.abc import Iterator

import httpx2
import pytest
from sim_toy import ToyFake

from xbot.sim.core.transport import ASGIBridgeTransport


@pytest.fixture
def toy() -> ToyFake:
    return ToyFake()


@pytest.fixture
def admin(toy: ToyFake) -> Iterator[httpx2.Client]:
    transport = ASGIBridgeTransport(toy.app)
    with httpx2.Client(transport=transport, base_url="http://toy.sim/_sim") as client:
        yield client


def test_faults_are_armed_listed_and_cleared(toy: ToyFake, admin: httpx2.Client) -> None:
    armed = admin.post("/faults", json={"endpoint": "POST /notes", "kind": "status", "status": 500})
    assert armed.status_code == 201
    assert armed.json()["fault"]["count"] == 1
    assert [f["endpoint"] for f in admin.get("/faults").json()["faults"]] == ["POST /notes"]
    assert admin.delete("/faults").json() == {"faults": []}
    assert toy.parts.faults.armed() == []


@pytest.mark.parametrize(
    "body",
    [
        {"kind": "reset"},
        {"endpoint": "GET /x", "kind": "melt"},
        {"endpoint": "GET /x", "kind": "latency", "seconds": "soon"},
        {"endpoint": "GET /x", "kind": "status", "count": -1},
        ["not", "an", "object"],
    ],
)
def test_invalid_faults_are_refused(admin: httpx2.Client, body: object) -> None:
    response = admin.post("/faults", json=body)
    assert response.status_code == 400
    assert "error" in response.json()


def test_bad_json_is_refused(admin: httpx2.Client) -> None:
    response = admin.post("/faults", content=b"{nope", headers={"content-type": "application/json"})
    assert response.status_code == 400


def test_posts_are_created_as_anyone_and_listed_by_author(
    toy: ToyFake, admin: httpx2.Client
) -> None:
    created = admin.post("/posts", json={"author": "bob", "text": "hi", "in_reply_to": "7"})
    assert created.status_code == 201
    assert created.json()["post"]["in_reply_to"] == "7"
    admin.post("/posts", json={"author": "ann", "text": "other"})
    listed = admin.get("/posts", params={"author": "bob"}).json()["posts"]
    assert [post["text"] for post in listed] == ["hi"]


def test_post_errors_are_400(admin: httpx2.Client) -> None:
    assert admin.post("/posts", json={"author": "nobody", "text": "x"}).status_code == 400
    assert admin.post("/posts", json={"text": "no author"}).status_code == 400
    assert admin.get("/posts").status_code == 400


def test_the_clock_moves_and_changes_speed(toy: ToyFake, admin: httpx2.Client) -> None:
    before = toy.parts.clock.now()
    moved = admin.post("/clock", json={"advance_seconds": 3600}).json()
    assert moved["speed"] == 0
    assert (toy.parts.clock.now() - before).total_seconds() == 3600
    assert admin.get("/clock").json()["now"] == moved["now"]
    assert admin.post("/clock", json={"speed": 60}).json()["speed"] == 60
    assert admin.post("/clock", json={"advance_seconds": -5}).status_code == 400


def test_the_request_log_is_served_and_filtered(admin: httpx2.Client, toy: ToyFake) -> None:
    with httpx2.Client(transport=ASGIBridgeTransport(toy.app), base_url="http://toy.sim") as api:
        api.post("/notes", json={"text": "a"})
        api.get("/notes")
    requests = admin.get("/requests", params={"method": "POST"}).json()["requests"]
    assert [(r["method"], r["path"], r["status"], r["body"]) for r in requests] == [
        ("POST", "/notes", 201, {"text": "a"})
    ]
    assert len(admin.get("/requests").json()["requests"]) == 2


def test_reset_clears_state_faults_and_log(toy: ToyFake, admin: httpx2.Client) -> None:
    admin.post("/faults", json={"endpoint": "GET /notes", "kind": "reset"})
    admin.post("/posts", json={"author": "bob", "text": "hi"})
    assert admin.get("/world").json() == {"platform": "toy", "notes": 1}
    assert admin.post("/reset").json() == {"reset": True}
    assert toy.notes == []
    assert toy.resets == 1
    assert toy.parts.faults.armed() == []
    assert toy.parts.log.entries() == []
