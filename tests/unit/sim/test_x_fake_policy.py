"""The fake X's write policy, rate limits and billing."""

from __future__ import annotations

import pytest
from x_raw import START, RawX

from xbot.sim.x.limits import PUBLISHED_LIMITS


@pytest.fixture
def x() -> RawX:
    return RawX.make()


def reply(client, target: str, text: str):
    return client.post("/2/tweets", json={"text": text, "reply": {"in_reply_to_tweet_id": target}})


def test_post_answers_201_with_id_and_text_and_limit_headers(x: RawX) -> None:
    response = x.client().post("/2/tweets", json={"text": "Hello from the X API!"})
    assert response.status_code == 201
    data = response.json()["data"]
    assert data == {
        "id": data["id"],
        "text": "Hello from the X API!",
        "edit_history_tweet_ids": [data["id"]],
    }
    headers = response.headers
    assert (headers["x-rate-limit-limit"], headers["x-rate-limit-remaining"]) == ("100", "99")
    assert headers["x-rate-limit-reset"] == str(int(START.timestamp()) + 900)
    assert headers["x-app-limit-24hour-limit"] == "10000"
    assert headers["x-user-limit-24hour-remaining"] == "9999"
    assert "retry-after" not in headers


@pytest.mark.parametrize(
    ("summon", "allowed"),
    [
        ("mention", True),
        ("quote_of_bot_post", True),
        ("reply_to_bot_post", True),
        ("the_bot_is_the_author", True),
        ("plain_post", False),
        ("parent_of_a_mention", False),
    ],
)
def test_the_summoned_reply_rule(x: RawX, summon: str, allowed: bool) -> None:
    bot_post = x.fake.posts_of("replybot")[0]["id"]
    user = x.user(0)
    targets = {
        "mention": lambda: x.fake.post_as(user, "@replybot help"),
        "quote_of_bot_post": lambda: x.fake.post_as(user, "look", quote_of=bot_post),
        "reply_to_bot_post": lambda: x.fake.post_as(user, "@replybot yes", in_reply_to=bot_post),
        "the_bot_is_the_author": lambda: {"id": bot_post},
        "plain_post": lambda: x.fake.post_as(user, "hello world"),
        "parent_of_a_mention": lambda: _parent_of_mention(x),
    }
    response = reply(x.client(), targets[summon]()["id"], "a reply")
    if allowed:
        assert response.status_code == 201
        return
    assert response.status_code == 403
    assert response.json() == {
        "detail": "You can only reply to or quote posts where you are mentioned or are the author.",
        "type": "https://api.x.com/2/problems/not-authorized-for-resource",
        "title": "Forbidden",
        "status": 403,
    }
    x.fake.configure(tier="enterprise")
    assert reply(x.client(), targets[summon]()["id"], "a reply").status_code == 201


def _parent_of_mention(x: RawX) -> dict:
    parent = x.fake.post_as(x.user(1), "a thread starts")
    x.fake.post_as(x.user(0), "@replybot what do you think?", in_reply_to=parent["id"])
    return parent


def test_quoting_follows_the_same_rule(x: RawX) -> None:
    plain = x.fake.post_as(x.user(0), "hello")
    response = x.client().post("/2/tweets", json={"text": "quoting", "quote_tweet_id": plain["id"]})
    assert response.status_code == 403
    mention = x.fake.post_as(x.user(0), "@replybot hi")
    assert (
        x.client()
        .post("/2/tweets", json={"text": "q", "quote_tweet_id": mention["id"]})
        .status_code
        == 201
    )


def test_restricted_replies_and_gone_targets(x: RawX) -> None:
    client = x.client()
    assert reply(client, "1999999999999999999", "hi").json()["detail"] == (
        "You attempted to reply to a Tweet that is deleted or not visible to you."
    )
    x.fake.configure(tier="enterprise")
    restricted = x.fake.post_as(x.user(0), "only people I mention may reply")
    record = x.fake.store.get(restricted["id"])
    from dataclasses import replace

    x.fake.store._tweets[restricted["id"]] = replace(record, reply_settings="mentionedUsers")
    response = reply(client, restricted["id"], "hi")
    assert response.status_code == 403
    assert response.json()["detail"].startswith("Reply to this conversation is not allowed")


def test_duplicate_content_within_the_window(x: RawX) -> None:
    client = x.client()
    first = x.fake.post_as(x.user(0), "@replybot a")
    second = x.fake.post_as(x.user(1), "@replybot b")
    assert reply(client, first["id"], "Same text").status_code == 201
    duplicate = reply(client, second["id"], "  Same text ")
    assert duplicate.status_code == 403
    assert duplicate.json() == {
        "detail": "You are not allowed to create a Tweet with duplicate content.",
        "type": "about:blank",
        "title": "Forbidden",
        "status": 403,
    }
    x.clock.advance(86401)
    assert reply(client, second["id"], "Same text").status_code == 201


def test_text_length_and_cashtags(x: RawX) -> None:
    client = x.client()
    assert client.post("/2/tweets", json={"text": "a" * 280}).status_code == 201
    too_long = client.post("/2/tweets", json={"text": "b" * 281})
    assert too_long.status_code == 403
    assert too_long.json()["detail"] == "Your Tweet text is too long."
    assert client.post("/2/tweets", json={"text": "日" * 141}).status_code == 403  # CJK weighs 2
    assert client.post("/2/tweets", json={"text": "$AAA and $BBB"}).status_code == 403


@pytest.mark.parametrize(
    "body",
    [
        {"text": "hi", "unknown": 1},
        {"reply": {"in_reply_to_tweet_id": "1"}},
        {"text": "hi", "reply": {"tweet_id": "1"}},
        {"text": "hi", "reply": {"in_reply_to_tweet_id": "abc"}},
        ["text"],
    ],
)
def test_invalid_bodies_are_400(x: RawX, body: object) -> None:
    response = x.client().post("/2/tweets", json=body)
    assert response.status_code == 400
    assert response.json()["type"] == "https://api.twitter.com/2/problems/invalid-request"


def test_delete_own_posts_only(x: RawX) -> None:
    client = x.client()
    mine = client.post("/2/tweets", json={"text": "mine"}).json()["data"]["id"]
    theirs = x.fake.post_as(x.user(0), "theirs")["id"]
    assert client.delete(f"/2/tweets/{mine}").json() == {"data": {"deleted": True}}
    assert client.get(f"/2/tweets/{mine}").json()["errors"][0]["resource_id"] == mine
    assert client.delete(f"/2/tweets/{mine}").status_code == 404
    forbidden = client.delete(f"/2/tweets/{theirs}")
    assert forbidden.json()["detail"] == "You are not authorized to delete this Tweet."
    assert x.fake.posts_of("replybot")[-1]["deleted"] is True


def test_429_at_the_published_count_with_the_real_body(x: RawX) -> None:
    client = x.client()
    limit = PUBLISHED_LIMITS["GET /2/users/me"][0]
    assert limit is not None
    statuses = [client.get("/2/users/me").status_code for _ in range(limit.count)]
    assert statuses == [200] * 75
    blocked = client.get("/2/users/me")
    assert blocked.status_code == 429
    assert blocked.json() == {
        "title": "Too Many Requests",
        "detail": "Too Many Requests",
        "type": "about:blank",
        "status": 429,
    }
    assert blocked.headers["x-rate-limit-remaining"] == "0"
    assert blocked.headers["x-rate-limit-reset"] == str(int(START.timestamp()) + 900)
    x.clock.advance(900)
    assert client.get("/2/users/me").headers["x-rate-limit-remaining"] == "74"


def test_limits_are_per_user_and_endpoint_and_overridable(x: RawX) -> None:
    x.fake.limiter.set_limit("GET /2/tweets/:id", 2)
    client, app = x.client(), x.client(auth="bearer")
    assert [client.get("/2/tweets/1").status_code for _ in range(3)] == [200, 200, 429]
    assert app.get("/2/tweets/1").status_code == 200  # the app's own window
    assert client.get("/2/users/me").status_code == 200  # another endpoint


def test_limit_overrides_through_the_admin_api(x: RawX) -> None:
    admin = x.client(auth=None)
    assert (
        admin.post("/_sim/limits", json={"endpoint": "GET /2/users/me", "limit": 1}).status_code
        == 200
    )
    assert admin.post("/_sim/limits", json={"endpoint": "GET /2/users/me"}).status_code == 400
    client = x.client()
    assert [client.get("/2/users/me").status_code for _ in range(2)] == [200, 429]


def test_credits_are_debited_and_402_when_spent(x: RawX) -> None:
    x.fake.configure(credits=0.03)
    client = x.client()
    mention = x.fake.post_as(x.user(0), "@replybot hi")
    assert reply(client, mention["id"], "summoned reply").status_code == 201  # $0.010
    assert x.fake.ledger.balance == pytest.approx(0.02)
    assert client.get(f"/2/users/{x.bot_id}/tweets").status_code == 200  # 4 owned reads, $0.004
    assert x.fake.ledger.balance == pytest.approx(0.016)
    assert client.post("/2/tweets", json={"text": "plain"}).status_code == 201  # $0.015
    refused = client.post("/2/tweets", json={"text": "see https://example.com"})  # $0.200
    assert refused.status_code == 402
    assert refused.json() == {
        "detail": "credits depleted",
        "status": 402,
        "title": "Payment Required",
        "type": "https://api.x.com/2/problems/credits-depleted",
    }
    x.fake.configure(credits=0)
    assert client.get("/2/users/me").status_code == 402


def test_reads_are_billed_once_per_resource_per_day(x: RawX) -> None:
    x.fake.configure(credits=1.0)
    client = x.client()
    x.fake.post_as(x.user(0), "@replybot one")
    client.get(f"/2/users/{x.bot_id}/mentions")
    client.get(f"/2/users/{x.bot_id}/mentions")
    assert x.fake.ledger.balance == pytest.approx(1.0 - 0.001)


def test_a_monthly_read_cap_is_a_usage_capped_429(x: RawX) -> None:
    x.fake.configure(monthly_post_read_cap=1)
    client = x.client()
    x.fake.post_as(x.user(0), "@replybot one")
    assert client.get(f"/2/users/{x.bot_id}/mentions").status_code == 200
    capped = client.get(f"/2/users/{x.bot_id}/mentions")
    assert capped.status_code == 429
    assert capped.json()["type"] == "https://api.twitter.com/2/problems/usage-capped"


def test_settings_change_through_the_admin_api(x: RawX) -> None:
    admin = x.client(auth=None)
    assert admin.post("/_sim/settings", json={"tier": "enterprise", "credits": 5}).json() == {
        "tier": "enterprise",
        "credits": 5,
    }
    assert admin.post("/_sim/settings", json={"colour": "blue"}).status_code == 400
    assert admin.post("/_sim/revoke", json={"handle": "replybot"}).json() == {"revoked": "replybot"}
    assert x.client().get("/2/users/me").status_code == 401
    assert admin.post("/_sim/revoke", json={"handle": "nobody"}).status_code == 400
