"""The fake X Activity API over loopback: subscriptions, the stream and its faults, webhooks."""

from __future__ import annotations

import json
from collections.abc import Iterator

import httpx2
import pytest

from x_activity import RawStream, Served, WebhookReceiver, served_fake
from xbot.sim.core.server import SimServer
from xbot.sim.x.webhooks import signature


@pytest.fixture
def x() -> Iterator[Served]:
    with served_fake() as served:
        yield served


def test_subscriptions_are_created_listed_refused_twice_and_deleted(x: Served) -> None:
    created = x.subscribe(tag="mentions")
    assert created["event_type"] == "post.mention.create"
    assert created["filter"] == {"user_id": x.fake.bot().user_id}
    with x.client() as client:
        again = client.post(
            "/2/activity/subscriptions",
            json={"event_type": "post.mention.create", "filter": {"user_id": x.fake.bot().user_id}},
        )
        assert again.status_code == 409
        listed = client.get("/2/activity/subscriptions").json()
        assert [s["subscription_id"] for s in listed["data"]] == [created["subscription_id"]]
        assert listed["meta"] == {"total_subscriptions": 1}
        gone = client.delete(f"/2/activity/subscriptions/{created['subscription_id']}").json()
        assert gone == {"data": {"deleted": True}, "meta": {"total_subscriptions": 0}}
        assert client.get("/2/activity/subscriptions").json() == {
            "meta": {"total_subscriptions": 0}
        }


def test_private_events_need_the_users_own_token(x: Served) -> None:
    bearer = x.fake.credentials()["bearer_token"]
    body = {"event_type": "post.mention.create", "filter": {"user_id": x.fake.bot().user_id}}
    with x.client(bearer) as app_only:
        assert app_only.post("/2/activity/subscriptions", json=body).status_code == 403
    other = {
        "event_type": "post.mention.create",
        "filter": {"user_id": x.fake.world.users[0].user_id},
    }
    with x.client() as client:
        assert client.post("/2/activity/subscriptions", json=other).status_code == 403
        bad = {"event_type": "like.create", "filter": {"user_id": x.fake.bot().user_id}}
        assert client.post("/2/activity/subscriptions", json=bad).status_code == 400


def test_without_the_activity_api_subscriptions_and_stream_answer_client_forbidden(
    x: Served,
) -> None:
    x.fake.configure(activity_api=False)
    with x.client() as client:
        for answer in (client.get("/2/activity/subscriptions"), client.get("/2/activity/stream")):
            assert answer.status_code == 403
            assert answer.json()["type"].endswith("/client-forbidden")


def test_mentions_replies_and_quotes_of_ours_arrive_and_nothing_else(x: Served) -> None:
    for event_type in ("post.mention.create", "post.reply.create", "post.quote.create"):
        x.subscribe(event_type)
    stream = RawStream(x)
    stream.wait_connected()
    ours = x.fake.ghost("a post of ours")
    mention = x.fake.post_as(x.user(0), "@replybot hello")
    reply = x.fake.post_as(x.user(1), "no mention here", in_reply_to=ours["id"])
    quote = x.fake.post_as(x.user(2), "look at this", quote_of=ours["id"])
    x.fake.post_as(x.user(3), f"@{x.user(4)} not about us")
    x.fake.ghost("@replybot talking to myself")
    events = stream.events(3)
    assert [(e["event_type"], e["payload"]["id"]) for e in events] == [
        ("post.mention.create", mention["id"]),
        ("post.reply.create", reply["id"]),
        ("post.quote.create", quote["id"]),
    ]
    assert events[0]["payload"]["entities"]["mentions"][0]["username"] == "replybot"
    assert events[0]["includes"]["users"][0]["username"] == x.user(0)
    assert {t["id"] for t in events[2]["includes"]["tweets"]} == {ours["id"]}
    assert stream.quiet() == []


def test_keep_alive_newlines_flow_while_nothing_happens(x: Served) -> None:
    x.subscribe()
    stream = RawStream(x)
    stream.wait_connected()
    assert stream.lines.get(timeout=2) == b""  # iter_lines renders "\r\n" as an empty line


def test_drop_closes_the_stream_and_held_events_arrive_on_reconnect(x: Served) -> None:
    x.subscribe()
    stream = RawStream(x)
    stream.wait_connected()
    x.fake.stream.apply("drop")
    assert isinstance(stream.end(), httpx2.HTTPError)
    mention = x.fake.post_as(x.user(0), "@replybot during the gap")
    again = RawStream(x)
    assert [e["payload"]["id"] for e in again.events(1)] == [mention["id"]]


def test_lose_discards_what_happens_while_disconnected(x: Served) -> None:
    x.subscribe()
    stream = RawStream(x)
    stream.wait_connected()
    x.fake.stream.apply("lose")
    stream.end()
    x.fake.post_as(x.user(0), "@replybot lost in the gap")
    again = RawStream(x)
    again.wait_connected()
    after = x.fake.post_as(x.user(1), "@replybot after the gap")
    assert [e["payload"]["id"] for e in again.events(1)] == [after["id"]]


def test_duplicate_reorder_pause_and_resume(x: Served) -> None:
    x.subscribe()
    stream = RawStream(x)
    stream.wait_connected()
    x.fake.stream.apply("duplicate", count=1)
    first = x.fake.post_as(x.user(0), "@replybot one")["id"]
    assert [e["payload"]["id"] for e in stream.events(2)] == [first, first]
    x.fake.stream.apply("reorder", count=2)
    second = x.fake.post_as(x.user(0), "@replybot two")["id"]
    third = x.fake.post_as(x.user(0), "@replybot three")["id"]
    assert [e["payload"]["id"] for e in stream.events(2)] == [third, second]
    x.fake.stream.apply("pause")
    fourth = x.fake.post_as(x.user(0), "@replybot four")["id"]
    assert stream.quiet(0.3) == []
    x.fake.stream.apply("resume")
    assert [e["payload"]["id"] for e in stream.events(1)] == [fourth]


def test_a_consumer_that_falls_behind_is_disconnected(x: Served) -> None:
    x.fake.configure(stream_max_backlog=1)
    x.subscribe()
    stream = RawStream(x)
    stream.wait_connected()
    x.fake.stream.apply("slow", seconds=0.2)
    for index in range(4):
        x.fake.post_as(x.user(0), f"@replybot burst {index}")
    last = stream.end()
    assert isinstance(last, bytes)
    assert json.loads(last)["errors"][0]["title"] == "operational-disconnect"


def test_admin_api_arms_stream_faults(x: Served) -> None:
    with httpx2.Client(base_url=x.base_url) as admin:
        assert admin.post("/_sim/activity", json={"action": "pause"}).json()["paused"] is True
        assert admin.post("/_sim/activity", json={"action": "explode"}).status_code == 400
        assert admin.get("/_sim/activity").json()["stream"]["paused"] is True


def test_delivered_events_are_billed_as_post_reads(x: Served) -> None:
    x.fake.configure(credits=10.0)
    x.subscribe()
    stream = RawStream(x)
    stream.wait_connected()
    x.fake.post_as(x.user(0), "@replybot billed")
    stream.events(1)
    assert x.fake.balance() == pytest.approx(10.0 - 0.005)


def test_webhooks_pass_crc_get_signed_deliveries_and_replay(x: Served) -> None:
    secret = x.fake.auth.consumer_secret
    receiver = WebhookReceiver(secret)
    with SimServer(receiver.app()) as hook_server, x.client() as client:
        url = hook_server.base_url + "/hook"
        registered = client.post("/2/webhooks", json={"url": url})
        assert registered.status_code == 200, registered.text
        webhook_id = registered.json()["data"]["id"]
        x.subscribe(webhook_id=webhook_id)
        mention = x.fake.post_as(x.user(0), "@replybot by webhook")
        body, signed = receiver.wait(1)[0]
        assert signed == signature(secret, body)
        assert json.loads(body)["data"]["payload"]["id"] == mention["id"]
        replay = client.post(
            "/2/webhooks/replay",
            json={"webhook_id": webhook_id, "from_date": "202603020900", "to_date": "202603020900"},
        )
        assert replay.status_code == 200
        assert replay.json()["job_id"]
        assert receiver.wait(2)[1][0] == body


def test_a_webhook_that_fails_the_crc_is_refused(x: Served) -> None:
    receiver = WebhookReceiver("not the consumer secret")
    with SimServer(receiver.app()) as hook_server, x.client() as client:
        answer = client.post("/2/webhooks", json={"url": hook_server.base_url + "/hook"})
    assert answer.status_code == 400
