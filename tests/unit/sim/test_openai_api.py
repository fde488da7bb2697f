"""The fake OpenAI-compatible endpoint: shapes, auth, modes, determinism and the attacks."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import httpx2
import pytest

from xbot.domain.leaks import comparable
from xbot.sim.core.transport import ASGIBridgeTransport
from xbot.sim.openai.api import MODES, create_app
from xbot.sim.openai.attacks import ATTACKS, HOSTILE

KEY = "sk-sim-test-key"
AUTH = {"Authorization": f"Bearer {KEY}"}


@pytest.fixture
def client() -> Iterator[httpx2.Client]:
    transport = ASGIBridgeTransport(create_app(seed=3, api_key=KEY))
    with httpx2.Client(transport=transport, base_url="http://openai.sim") as http:
        yield http
    transport.close()


def chat(client: httpx2.Client, user: str = "hello", **extra: Any) -> httpx2.Response:
    body = {
        "model": "sim-gpt",
        "messages": [{"role": "system", "content": "be brief"}, {"role": "user", "content": user}],
        **extra,
    }
    return client.post("/v1/chat/completions", headers=AUTH, json=body)


def post_message(text: str, topics: list[str]) -> str:
    data = {"author": "ann", "text": text, "account_topics": topics}
    return f"Reply to this post.\n```json\n{json.dumps(data)}\n```"


def set_mode(client: httpx2.Client, mode: str, **extra: Any) -> None:
    response = client.post("/_sim/openai/mode", json={"mode": mode, **extra})
    assert response.status_code == 200, response.text


def test_models_list() -> None:
    transport = ASGIBridgeTransport(create_app(api_key=KEY, models=("m1",)))
    with httpx2.Client(transport=transport, base_url="http://openai.sim") as http:
        assert http.get("/v1/models", headers=AUTH).json() == {
            "object": "list",
            "data": [
                {"id": "m1", "object": "model", "created": 1_767_225_600, "owned_by": "xbot-sim"}
            ],
        }
    transport.close()


def test_a_completion_has_openais_shape_and_usage(client: httpx2.Client) -> None:
    response = chat(
        client, post_message("how do I build python wheels?", ["python packaging", "wheels"])
    )
    assert response.status_code == 200
    data = response.json()
    assert data["object"] == "chat.completion"
    assert data["model"] == "sim-gpt"
    choice = data["choices"][0]
    assert choice["finish_reason"] == "stop"
    assert choice["message"]["role"] == "assistant"
    assert "wheels" in choice["message"]["content"]  # the topic the post is about
    usage = data["usage"]
    assert usage["total_tokens"] == usage["prompt_tokens"] + usage["completion_tokens"] > 0


def test_replies_are_deterministic_per_seed_and_message(client: httpx2.Client) -> None:
    first = chat(client, "tell me about caching").json()["choices"][0]["message"]["content"]
    again = chat(client, "tell me about caching").json()["choices"][0]["message"]["content"]
    assert first == again
    others = {
        chat(client, f"question {n} about caching").json()["choices"][0]["message"]["content"]
        for n in range(12)
    }
    assert len(others) > 1


@pytest.mark.parametrize(
    ("headers", "code"),
    [
        ({}, None),
        ({"Authorization": "Bearer sk-wrong-key-9999"}, "invalid_api_key"),
        ({"Authorization": "Basic abc"}, None),
    ],
)
def test_a_missing_or_wrong_key_is_a_401_in_openais_shape(
    client: httpx2.Client, headers: dict[str, str], code: str | None
) -> None:
    response = client.post("/v1/chat/completions", headers=headers, json={})
    assert response.status_code == 401
    error = response.json()["error"]
    assert set(error) == {"message", "type", "param", "code"}
    assert error["type"] == "invalid_request_error"
    assert error["code"] == code
    assert "sk-wrong-key-9999" not in error["message"]  # masked, like OpenAI


@pytest.mark.parametrize(
    ("body", "status", "param"),
    [
        ({"messages": [{"role": "user", "content": "x"}]}, 400, "model"),
        ({"model": "sim-gpt", "messages": []}, 400, "messages"),
        ({"model": "sim-gpt", "messages": [{"content": "x"}]}, 400, "messages"),
        ({"model": "gpt-9", "messages": [{"role": "user", "content": "x"}]}, 404, None),
    ],
)
def test_bad_requests(
    client: httpx2.Client, body: dict[str, Any], status: int, param: str | None
) -> None:
    response = client.post("/v1/chat/completions", headers=AUTH, json=body)
    assert response.status_code == status
    assert response.json()["error"]["param"] == param


def test_a_body_that_is_not_json(client: httpx2.Client) -> None:
    response = client.post("/v1/chat/completions", headers=AUTH, content=b"{nope")
    assert response.status_code == 400


@pytest.mark.parametrize(
    ("mode", "status", "kind", "code"),
    [
        ("error_401", 401, "invalid_request_error", "invalid_api_key"),
        ("error_429", 429, "requests", "rate_limit_exceeded"),
        ("error_500", 500, "server_error", None),
    ],
)
def test_error_modes(
    client: httpx2.Client, mode: str, status: int, kind: str, code: str | None
) -> None:
    set_mode(client, mode)
    response = chat(client)
    assert response.status_code == status
    assert response.json()["error"]["type"] == kind
    assert response.json()["error"]["code"] == code
    assert client.get("/v1/models", headers=AUTH).status_code == status
    if mode == "error_429":
        assert response.headers["retry-after"] == "20"
        assert response.headers["x-ratelimit-remaining-requests"] == "0"


def test_slow_mode_delays_the_answer(client: httpx2.Client) -> None:
    set_mode(client, "slow", delay_seconds=0.3)
    started = time.monotonic()
    assert chat(client).status_code == 200
    assert time.monotonic() - started >= 0.3


def test_slow_mode_times_a_client_out(client: httpx2.Client) -> None:
    set_mode(client, "slow", delay_seconds=2)
    with pytest.raises(httpx2.ReadTimeout):
        client.post(
            "/v1/chat/completions",
            headers=AUTH,
            timeout=httpx2.Timeout(5, read=0.2),
            json={"model": "sim-gpt", "messages": [{"role": "user", "content": "x"}]},
        )


def reply_of(response: httpx2.Response) -> str:
    return str(response.json()["choices"][0]["message"]["content"])


def test_adversarial_mode_rotates_through_every_attack(client: httpx2.Client) -> None:
    set_mode(client, "adversarial")
    replies = [reply_of(chat(client, f"post {n}")) for n in range(len(ATTACKS))]
    log = client.get("/_sim/openai/requests").json()["requests"]
    assert [entry["attack"] for entry in log] == list(ATTACKS)
    assert [entry["reply"] for entry in log] == replies
    by_name = dict(zip(ATTACKS, replies, strict=True))
    assert len(by_name["over_length"]) > 500
    assert "@" in by_name["mention"]


def test_the_configured_key_leaks_in_disguise_and_a_leak_can_be_set(
    client: httpx2.Client,
) -> None:
    set_mode(client, "adversarial", attack="configured_key")
    replies = {reply_of(chat(client, f"post {n}")) for n in range(12)}
    assert len(replies) >= 8  # a fresh seeded variant each time
    assert len(leaking(replies, KEY)) >= 6  # the rest carry it base64-encoded
    set_mode(client, "adversarial", attack="configured_key", leak="postgres-canary-7781")
    told = {reply_of(chat(client, f"again {n}")) for n in range(12)}
    assert len(leaking(told, "postgres-canary-7781")) >= 6
    assert leaking(told, KEY) == []


def leaking(replies: set[str], secret: str) -> list[str]:
    runs = {comparable(secret)[i : i + 8] for i in range(len(comparable(secret)) - 7)}
    return [reply for reply in replies if any(run in comparable(reply) for run in runs)]


def test_adversarial_variants_are_seeded() -> None:
    def run() -> list[str]:
        transport = ASGIBridgeTransport(create_app(seed=5, api_key=KEY))
        with httpx2.Client(transport=transport, base_url="http://openai.sim") as http:
            set_mode(http, "adversarial", attacks=list(HOSTILE))
            texts = [reply_of(chat(http, f"post {n}")) for n in range(40)]
        transport.close()
        return texts

    first, second = run(), run()
    assert first == second
    assert len(set(first)) >= 35


def test_a_rotation_over_some_classes(client: httpx2.Client) -> None:
    set_mode(client, "adversarial", attacks=["link", "mention"])
    assert client.get("/_sim/openai/mode").json()["rotation"] == ["link", "mention"]
    for n in range(4):
        chat(client, f"post {n}")
    log = client.get("/_sim/openai/requests").json()["requests"]
    assert [entry["attack"] for entry in log] == ["link", "mention", "link", "mention"]


def test_a_pinned_attack(client: httpx2.Client) -> None:
    set_mode(client, "adversarial", attack="mention")
    for n in range(3):
        assert "@" in reply_of(chat(client, f"post {n}"))


def test_the_admin_api(client: httpx2.Client) -> None:
    assert client.get("/_sim/openai/mode").json()["mode"] == "normal"
    assert client.post("/_sim/openai/mode", json={"mode": "chaos"}).status_code == 400
    assert (
        client.post("/_sim/openai/mode", json={"mode": "adversarial", "attack": "x"}).status_code
        == 400
    )
    assert client.post("/_sim/openai/mode", content=b"[").status_code == 400
    bad_rotation = {"mode": "adversarial", "attacks": ["nope"]}
    assert client.post("/_sim/openai/mode", json=bad_rotation).status_code == 400
    assert client.post("/_sim/openai/mode", json={"mode": "normal", "leak": 5}).status_code == 400
    set_mode(client, "error_500")
    chat(client)
    assert client.get("/_sim/openai/requests").json()["requests"] == [
        {"status": 500, "mode": "error_500"}
    ]
    reset = client.post("/_sim/openai/reset").json()
    assert reset["mode"] == "normal"
    assert client.get("/_sim/openai/requests").json()["requests"] == []
    assert set(MODES) == {"normal", "adversarial", "error_401", "error_429", "error_500", "slow"}


def test_an_empty_key_accepts_anyone() -> None:
    transport = ASGIBridgeTransport(create_app(api_key=""))
    with httpx2.Client(transport=transport, base_url="http://openai.sim") as http:
        body = {"model": "sim-gpt", "messages": [{"role": "user", "content": "x"}]}
        assert http.post("/v1/chat/completions", json=body).status_code == 200
    transport.close()


def test_every_normal_reply_names_the_topic(client: httpx2.Client) -> None:
    for number in range(40):
        message = post_message(f"question {number} about my cache setup", ["caching", "speed"])
        content = chat(client, message).json()["choices"][0]["message"]["content"]
        assert "caching" in content
