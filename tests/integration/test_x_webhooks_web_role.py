"""X webhooks end to end on the web role: the fake X registers /webhooks/x on the health port
(CRC through the listener), delivers a signed mention, and it becomes one candidate row; a forged
delivery is refused with nothing stored. On SQLite and PostgreSQL."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator

import httpx2
import pytest

from x_activity import Served, served_fake
from xbot.config import AccountSettings, Settings
from xbot.serve import Service
from xbot.web.health import HealthServer
from xbot.web.x_webhooks import WEBHOOK_PATH, response_token
from xbot.wiring import build_service, serve_console

SECRET_VARIABLE = "XBOT_TEST_X_CONSUMER_SECRET"


@pytest.fixture
def x() -> Iterator[Served]:
    with served_fake() as served:
        yield served


@pytest.fixture
def web(
    x: Served, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[Service, str]]:
    monkeypatch.setenv(SECRET_VARIABLE, x.fake.auth.consumer_secret)
    account = AccountSettings(
        platform="x", handle="replybot", base_url=x.base_url,
        credentials={"consumer_secret": SECRET_VARIABLE},
    )  # fmt: skip
    settings = Settings(
        database_url=database_url, accounts=[account], x_webhooks={"enabled": True},
        x={"automated_label_attested": True},
    )  # fmt: skip
    service = build_service(settings, "web")
    service.boot()
    server = HealthServer("127.0.0.1", 0, service.state).start()
    try:
        assert serve_console(service, server)
        host, port = server.address
        yield service, f"http://{host}:{port}{WEBHOOK_PATH}"
    finally:
        server.stop()
        service.engine.dispose()


def stored(service: Service, post_id: str) -> bool:
    account_id = service.accounts[0].account_id
    return post_id in service.store.candidates.known_post_ids(account_id, [post_id])


def wait_for(condition: object, seconds: float = 10.0) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if callable(condition) and condition():
            return
        time.sleep(0.05)
    raise AssertionError("timed out")


def test_a_signed_mention_becomes_one_candidate_and_a_forged_one_nothing(
    x: Served, web: tuple[Service, str]
) -> None:
    service, url = web
    with x.client() as client:
        registered = client.post("/2/webhooks", json={"url": url})  # CRC via the health port
        assert registered.status_code == 200, registered.text
        x.subscribe("post.mention.create", webhook_id=registered.json()["data"]["id"])
    mention = x.fake.post_as(x.user(0), "@replybot by webhook to the web role")
    wait_for(lambda: stored(service, mention["id"]))
    # the fake records the delivery once the 200 is back, which follows the commit
    wait_for(lambda: any(d.post_id == mention["id"] for d in x.fake.webhooks.deliveries()))
    delivered = [d for d in x.fake.webhooks.deliveries() if d.post_id == mention["id"]]
    assert [d.status for d in delivered] == [200]

    body = json.dumps(
        {"data": {"filter": {"user_id": x.fake.bot().user_id}, "event_type": "post.mention.create",
                  "payload": {"id": "1990000000000000077", "text": "@replybot forged"}}}
    ).encode()  # fmt: skip
    forged = httpx2.post(url, content=body, headers={"x-twitter-webhooks-signature": "sha256=AA=="})
    assert forged.status_code == 401
    unsigned = httpx2.post(url, content=body)
    assert unsigned.status_code == 401
    assert not stored(service, "1990000000000000077")


def test_a_repeated_delivery_is_a_no_op(x: Served, web: tuple[Service, str]) -> None:
    service, url = web
    with x.client() as client:
        registered = client.post("/2/webhooks", json={"url": url})
        x.subscribe("post.mention.create", webhook_id=registered.json()["data"]["id"])
    mention = x.fake.post_as(x.user(0), "@replybot twice")
    wait_for(lambda: stored(service, mention["id"]))
    event = next(e for e in x.fake.activity.events_between(
        registered.json()["data"]["id"], x.fake.clock.now().replace(year=2000), x.fake.clock.now()
        .replace(year=2100)))  # fmt: skip
    secret = x.fake.auth.consumer_secret
    again = httpx2.post(
        url,
        content=event.body,
        headers={"x-twitter-webhooks-signature": response_token(secret, event.body)},
    )
    assert (again.status_code, again.json()) == (200, {"stored": 0})
    account_id = service.accounts[0].account_id
    assert service.store.candidates.known_post_ids(account_id, [mention["id"]]) == {mention["id"]}
