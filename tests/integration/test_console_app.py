"""The console over real HTTP on loopback, mounted on the health listener, on both dialects."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx2
import pytest
from sqlalchemy import Engine, insert, select

from posting_rows import add_account, add_permit
from xbot.config import Settings
from xbot.console_service import ConsoleService
from xbot.domain.posts import Post, PostId
from xbot.store.queries.controls import kill_switch
from xbot.store.queries.ghosts import insert_ghost
from xbot.store.tables import system_events
from xbot.web.app import create_app
from xbot.web.auth import Sessions
from xbot.web.bridge import AsgiBridge
from xbot.web.health import HealthServer
from xbot.wiring import console_app

TOKEN = "console-test-token-0123456789"
BEARER = {"Authorization": f"Bearer {TOKEN}"}
PAGES = ["overview", "pipeline", "replies", "trace", "ghosts", "certify", "workers", "events"]


def recorded(engine: Engine, event_type: str) -> list[dict[str, Any]]:
    query = select(system_events).where(system_events.c.event_type == event_type)
    with engine.connect() as connection:
        rows = connection.execute(query.order_by(system_events.c.id)).mappings().all()
    return [{**row["event_data"], "component": row["component"]} for row in rows]


def serve(engine: Engine, *, public_read: bool = False) -> tuple[HealthServer, httpx2.Client]:
    settings = Settings(database_url=str(engine.url.render_as_string(hide_password=False)))
    app = create_app(ConsoleService(engine, settings), Sessions(TOKEN), public_read=public_read)
    server = HealthServer("127.0.0.1", 0).start()
    server.mount(AsgiBridge(app))
    host, port = server.address
    return server, httpx2.Client(base_url=f"http://{host}:{port}", follow_redirects=False)


@pytest.fixture
def console(engine: Engine) -> Iterator[httpx2.Client]:
    server, client = serve(engine)
    yield client
    client.close()
    server.stop()


def add_ghost(engine: Engine, account_id: int, post_id: str = "777") -> int:
    now = datetime.now(UTC)
    post = Post(post_id=PostId(post_id), author_id="1", author_handle="bot", text="by hand",
                created_at=now)  # fmt: skip
    with engine.begin() as connection:
        ghost_id = insert_ghost(connection, account_id, post, "outside_xbot", now)
    assert ghost_id is not None
    return ghost_id


def add_replies(engine: Engine, count: int) -> tuple[int, list[str]]:
    account_id = add_account(engine, handle="replybot")
    now = datetime.now(UTC)
    permits = [
        add_permit(engine, account_id, now=now - timedelta(minutes=count - index),
                   text=f"reply number {index}", status="USED",
                   actual_tweet_id=str(9000 + index), used_at=now).permit_id
        for index in range(count)
    ]  # fmt: skip
    return account_id, permits


def log_in(client: httpx2.Client) -> str:
    """Log in through the form; return the session's CSRF token as the pages show it."""
    form = client.get("/console/login")
    nonce = re.search(r'name="csrf" value="([^"]+)"', form.text)
    assert nonce is not None
    answer = client.post("/console/login", data={"csrf": nonce[1], "token": TOKEN,
                                                 "next": "/console"})  # fmt: skip
    assert answer.status_code == 303, answer.text
    cookie = answer.headers["set-cookie"]
    assert "HttpOnly" in cookie
    assert "SameSite=strict" in cookie or "SameSite=Strict" in cookie
    page = client.get("/console")
    found = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert found is not None
    return found[1]


def test_every_page_and_api_twin_answers_with_the_token_and_refuses_without(
    engine: Engine, console: httpx2.Client
) -> None:
    add_replies(engine, 1)
    for name in PAGES:
        assert console.get(f"/api/v1/{name}").status_code == 401
        assert console.get(f"/console/{name}").status_code == 303
        answer = console.get(f"/api/v1/{name}", headers=BEARER)
        assert answer.status_code == 200, (name, answer.text)
        assert answer.json() is not None
    wrong = {"Authorization": "Bearer wrong-token-wrong-token"}
    assert console.get("/api/v1/overview", headers=wrong).status_code == 401
    log_in(console)
    for name in PAGES:
        page = console.get(f"/console/{name}")
        assert page.status_code == 200, (name, page.text[:500])
        assert "<h1>" in page.text


def test_health_routes_stay_with_the_listener_while_the_console_is_mounted(
    console: httpx2.Client,
) -> None:
    assert console.get("/health").json() == {"status": "ok"}
    assert console.get("/nope").status_code == 404
    assert console.post("/health", content=b"{}").status_code == 405


def test_overview_shows_the_verdict_the_switch_and_the_accounts(
    engine: Engine, console: httpx2.Client
) -> None:
    add_replies(engine, 2)
    overview = console.get("/api/v1/overview", headers=BEARER).json()
    assert overview["verdict"] in {"OPERATIONAL", "INCONCLUSIVE", "NOT OPERATIONAL"}
    assert overview["blocker"]["key"] == "A"
    assert overview["kill_switch"]["on"] is False
    assert [post["reply_text"] for post in overview["last_posts"]] == [
        "reply number 1", "reply number 0",
    ]  # fmt: skip


def test_overview_shows_each_accounts_bot_label(engine: Engine, console: httpx2.Client) -> None:
    labelled = add_account(engine, handle="labelled")
    add_account(engine, handle="unchecked")
    with engine.begin() as connection:
        connection.execute(
            insert(system_events).values(
                event_type="account_label_checked",
                account_id=labelled,
                component="labels",
                event_data={"state": "not_attested", "detail": "set x.automated_label_attested"},
            )
        )
    overview = console.get("/api/v1/overview", headers=BEARER).json()
    shown = {row["account"]: row["label"] for row in overview["accounts"]}
    assert shown["x:labelled"]["state"] == "not_attested"
    assert shown["x:labelled"]["detail"] == "set x.automated_label_attested"
    assert shown["x:labelled"]["checked_at"] is not None
    assert shown["x:unchecked"] == {"state": "unchecked", "detail": "", "checked_at": None}
    page = console.get("/console", headers=BEARER).text
    assert "<th>bot label</th>" in page
    assert "not_attested" in page
    assert "set x.automated_label_attested" in page


def test_replies_filter_search_and_paginate(engine: Engine, console: httpx2.Client) -> None:
    add_replies(engine, 5)
    first = console.get("/api/v1/replies?limit=2", headers=BEARER).json()
    assert [row["reply_text"] for row in first["items"]] == ["reply number 4", "reply number 3"]
    assert first["items"][0]["account"] == "x:replybot"
    second = console.get("/api/v1/replies", params={"limit": 2, "before": first["next"]},
                         headers=BEARER).json()  # fmt: skip
    assert [row["reply_text"] for row in second["items"]] == ["reply number 2", "reply number 1"]
    found = console.get("/api/v1/replies?q=NUMBER%203", headers=BEARER).json()
    assert [row["reply_text"] for row in found["items"]] == ["reply number 3"]
    assert console.get("/api/v1/replies?state=PENDING", headers=BEARER).json()["items"] == []
    by_account = console.get("/api/v1/replies?account=x:replybot", headers=BEARER).json()
    assert len(by_account["items"]) == 5
    unknown = console.get("/api/v1/replies?account=x:nobody", headers=BEARER)
    assert unknown.status_code == 400
    assert "platform:handle" in unknown.json()["error"]


def test_trace_follows_a_permit_and_refuses_an_unknown_id(
    engine: Engine, console: httpx2.Client
) -> None:
    _, permits = add_replies(engine, 1)
    chain = console.get(f"/api/v1/trace/{permits[0]}", headers=BEARER).json()
    assert chain["trace"]["permit"]["actual_tweet_id"] == "9000"
    assert chain["trace"]["decision"]["reply_text"] == "reply number 0"
    assert console.get("/api/v1/trace/nothing-here", headers=BEARER).status_code == 404


def test_ghost_ack_needs_the_csrf_token_and_records_who_and_why(
    engine: Engine, console: httpx2.Client
) -> None:
    account_id = add_account(engine, handle="ghostly")
    ghost_id = add_ghost(engine, account_id)
    csrf = log_in(console)
    form = {"ghost": str(ghost_id), "by": "alice", "reason": "my manual post"}
    refused = console.post("/console/actions/ghost-ack", data=form)
    assert refused.status_code == 403
    assert console.post("/console/actions/ghost-ack", data={**form, "csrf": "x"}).status_code == 403
    done = console.post("/console/actions/ghost-ack", data={**form, "csrf": csrf})
    assert done.status_code == 303
    assert done.headers["location"] == "/console/ghosts?done=ghost-ack"
    events = recorded(engine, "ghost_acknowledged")
    assert events[-1]["by"] == "alice"
    assert events[-1]["reason"] == "my manual post"
    assert events[-1]["component"] == "web"
    assert console.get("/api/v1/ghosts").json()["items"] == []


def test_pause_with_drain_and_resume_over_the_api_record_the_actor(
    engine: Engine, console: httpx2.Client
) -> None:
    paused = console.post("/api/v1/actions/pause", json={"by": "bob", "drain": "1"},
                          headers=BEARER)  # fmt: skip
    assert paused.json() == {"done": "pause", "kill_switch": True, "drain": True}
    with engine.connect() as connection:
        assert kill_switch(connection) == {"on": True, "drain": True}
    assert recorded(engine, "kill_switch_on")[-1]["by"] == "bob"
    assert console.get("/api/v1/overview", headers=BEARER).json()["kill_switch"]["on"] is True
    assert console.post("/api/v1/actions/resume", json={"by": "bob"}, headers=BEARER).is_success
    with engine.connect() as connection:
        assert kill_switch(connection)["on"] is False
    nobody = console.post("/api/v1/actions/pause", json={}, headers=BEARER)
    assert nobody.status_code == 400
    assert "by" in nobody.json()["error"]
    assert console.post("/api/v1/actions/pause", json={"by": "eve"}).status_code == 401


def test_a_wrong_token_at_the_login_form_is_refused(console: httpx2.Client) -> None:
    form = console.get("/console/login")
    nonce = re.search(r'name="csrf" value="([^"]+)"', form.text)
    assert nonce is not None
    wrong = console.post("/console/login", data={"csrf": nonce[1], "token": "not-the-token-x"})
    assert wrong.status_code == 401
    assert "wrong admin token" in wrong.text
    assert "set-cookie" not in wrong.headers
    without_csrf = httpx2.Client(base_url=str(console.base_url))
    assert without_csrf.post("/console/login", data={"token": TOKEN}).status_code == 403


def test_pipeline_counts_the_funnel_and_draws_the_chart(
    engine: Engine, console: httpx2.Client
) -> None:
    add_replies(engine, 3)
    pipeline = console.get("/api/v1/pipeline?window=1h", headers=BEARER).json()
    row = pipeline["accounts"][0]
    assert (row["account"], row["fetched"], row["decided"], row["posted"]) == (
        "x:replybot",
        3,
        3,
        3,
    )
    assert row["permits"] == {"USED": 3}
    assert sum(point["posts"] for point in pipeline["series"]) == 3
    assert pipeline["chart"].startswith("<svg")
    assert console.get("/api/v1/pipeline?window=1y", headers=BEARER).status_code == 400


def test_events_filter_by_type_prefix_and_paginate(engine: Engine, console: httpx2.Client) -> None:
    for who in ("a", "b", "c"):
        console.post("/api/v1/actions/pause", json={"by": who}, headers=BEARER)
    page = console.get("/api/v1/events?type=kill_switch*&limit=2", headers=BEARER).json()
    assert [event["event_data"]["by"] for event in page["items"]] == ["c", "b"]
    rest = console.get(f"/api/v1/events?type=kill_switch_on&before={page['next']}",
                       headers=BEARER).json()  # fmt: skip
    assert [event["event_data"]["by"] for event in rest["items"]] == ["a"]


def test_public_read_opens_the_pages_but_not_the_actions(engine: Engine) -> None:
    server, client = serve(engine, public_read=True)
    try:
        assert client.get("/api/v1/overview").status_code == 200
        assert client.get("/console").status_code == 200
        assert client.post("/api/v1/actions/pause", json={"by": "x"}).status_code == 401
    finally:
        client.close()
        server.stop()


def settings_with(**values: Any) -> Settings:
    return Settings(database_url="sqlite://", **values)


def test_without_a_token_the_console_is_not_served_unless_local(engine: Engine) -> None:
    assert console_app(settings_with(), engine) is None
    local = {"console": {"local_without_token": True}}
    assert console_app(settings_with(host="0.0.0.0", **local), engine) is None
    assert console_app(settings_with(host="127.0.0.1", **local), engine) is not None
    assert console_app(settings_with(admin_token=TOKEN), engine) is not None


def test_the_tokenless_local_console_still_checks_csrf(engine: Engine) -> None:
    settings = Settings(database_url="sqlite://")
    app = create_app(ConsoleService(engine, settings), Sessions(None))
    server = HealthServer("127.0.0.1", 0).start()
    server.mount(AsgiBridge(app))
    host, port = server.address
    client = httpx2.Client(base_url=f"http://{host}:{port}")
    try:
        page = client.get("/console")
        assert page.status_code == 200
        csrf = re.search(r'name="csrf" value="([^"]+)"', page.text)
        assert csrf is not None
        assert client.post("/console/actions/pause", data={"by": "me"}).status_code == 403
        done = client.post("/console/actions/pause", data={"by": "me", "csrf": csrf[1]})
        assert done.status_code == 303
    finally:
        client.close()
        server.stop()
