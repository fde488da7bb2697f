# ruff: noqa: E501 - the documents' bodies are copied whole, so they can be compared verbatim
"""The fake X's bodies against platform-facts.md §1.3 and §1.6, field for field.

The documents' examples are copied here verbatim; each fake answer must have exactly their
fields, with values of the same JSON types (ids as decimal strings).
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from x_raw import RawX

from xbot.sim.x import problems as x_problems

#: platform-facts.md §1.3
LIST_EXAMPLE = json.loads("""
{"data":[{"id":"1990000000000000002","text":"@replybot what is X?","edit_history_tweet_ids":["1990000000000000002"],
  "author_id":"42","conversation_id":"1990000000000000001","in_reply_to_user_id":"7","reply_settings":"everyone",
  "referenced_tweets":[{"type":"replied_to","id":"1990000000000000001"}],
  "entities":{"mentions":[{"start":0,"end":9,"username":"replybot","id":"1500"}]}}],
 "includes":{"users":[{"id":"42","name":"Ann","username":"ann"}]},
 "meta":{"newest_id":"1990000000000000002","oldest_id":"1990000000000000002","result_count":1,"next_token":"7140dibdnow9c7btw3w29"}}
""")
#: platform-facts.md §1.2
CREATE_EXAMPLE = {"data": {"id": "1445880548472328192", "text": "Hello from the X API!"}}
DELETE_EXAMPLE = {"data": {"deleted": True}}
ME_EXAMPLE = {"data": {"id": "2244994945", "name": "…", "username": "…"}}
#: platform-facts.md §1.1 (token JSON)
TOKEN_KEYS = {"token_type", "expires_in", "access_token", "scope", "refresh_token"}
#: platform-facts.md §1.6, verbatim
ERRORS = {
    "unauthorized": '{"title":"Unauthorized","type":"about:blank","status":401,"detail":"Unauthorized"}',
    "unsupported_authentication": '{"title":"Unsupported Authentication","detail":"Authenticating with OAuth 2.0 Application-Only is forbidden for this endpoint.  Supported authentication types are [OAuth 1.0a User Context, OAuth 2.0 User Context].","type":"https://api.twitter.com/2/problems/unsupported-authentication","status":403}',
    "oauth1_permissions": '{"title":"Forbidden","status":403,"detail":"Your client app is not configured with the appropriate oauth1 app permissions for this endpoint.","type":"https://api.twitter.com/2/problems/oauth1-permissions"}',
    "duplicate": '{"detail":"You are not allowed to create a Tweet with duplicate content.","type":"about:blank","title":"Forbidden","status":403}',
    "not_summoned": '{"detail":"You can only reply to or quote posts where you are mentioned or are the author.","type":"https://api.x.com/2/problems/not-authorized-for-resource","title":"Forbidden","status":403}',
    "delete_not_own": '{"detail":"You are not authorized to delete this Tweet.","type":"about:blank","title":"Forbidden","status":403}',
    "tweet_not_found": '{"value":"21","detail":"Could not find tweet with id: [21].","title":"Not Found Error","resource_type":"tweet","parameter":"id","resource_id":"21","type":"https://api.twitter.com/2/problems/resource-not-found"}',
    "too_many_requests": '{"title":"Too Many Requests","detail":"Too Many Requests","type":"about:blank","status":429}',
    "usage_capped": '{"title":"UsageCapExceeded","detail":"Usage cap exceeded: Monthly product cap","type":"https://api.twitter.com/2/problems/usage-capped","period":"Monthly","scope":"Product"}',
    "credits_depleted": '{"detail":"credits depleted","status":402,"title":"Payment Required","type":"https://api.x.com/2/problems/credits-depleted"}',
}
FAKE_ERRORS = {
    "unauthorized": x_problems.unauthorized(),
    "unsupported_authentication": x_problems.unsupported_authentication(),
    "oauth1_permissions": x_problems.oauth1_permissions(),
    "duplicate": x_problems.forbidden(x_problems.DUPLICATE_CONTENT),
    "not_summoned": x_problems.not_summoned(),
    "delete_not_own": x_problems.forbidden(x_problems.DELETE_NOT_OWN),
    "tweet_not_found": x_problems.tweet_not_found("21"),
    "too_many_requests": x_problems.too_many_requests(),
    "usage_capped": x_problems.usage_capped(),
    "credits_depleted": x_problems.credits_depleted(),
}
REPLY_TEXTS = {
    "author_restricted": "Reply to this conversation is not allowed because you have not been mentioned or otherwise engaged by the author of the post you are replying to.",
    "target_gone": "You attempted to reply to a Tweet that is deleted or not visible to you.",
    "too_long": "Your Tweet text is too long.",
}


def same_shape(actual: Any, expected: Any, where: str = "$") -> None:
    """Same keys in every object, same JSON types, ids as decimal strings."""
    assert type(actual) is type(expected), (
        f"{where}: {type(actual).__name__} != {type(expected).__name__}"
    )
    if isinstance(expected, dict):
        assert set(actual) == set(expected), f"{where}: {sorted(actual)} != {sorted(expected)}"
        for key in expected:
            same_shape(actual[key], expected[key], f"{where}.{key}")
    elif isinstance(expected, list):
        assert actual, f"{where}: empty list"
        for index, item in enumerate(actual):
            same_shape(item, expected[0], f"{where}[{index}]")
    if where.endswith("id") and isinstance(expected, str):
        assert actual.isdigit(), f"{where}: {actual!r} is not a decimal id"


@pytest.fixture
def x() -> RawX:
    return RawX.make()


def test_a_mentions_page_has_the_documented_shape(x: RawX) -> None:
    bot_post = x.fake.posts_of("replybot")[0]["id"]
    for index in range(6):
        x.fake.post_as(x.user(index % 3), f"@replybot what is X? ({index})", in_reply_to=bot_post)
    params = {
        "tweet.fields": "author_id,conversation_id,in_reply_to_user_id,reply_settings,referenced_tweets,entities",
        "expansions": "author_id",
        "max_results": 5,
    }
    body = x.client().get(f"/2/users/{x.bot_id}/mentions", params=params).json()
    same_shape(body, LIST_EXAMPLE)
    first = body["data"][0]
    assert first["referenced_tweets"] == [{"type": "replied_to", "id": bot_post}]
    assert first["conversation_id"] == bot_post
    assert first["in_reply_to_user_id"] == x.bot_id
    assert first["entities"]["mentions"][0] == {
        "start": 0,
        "end": 9,
        "username": "replybot",
        "id": x.bot_id,
    }


def test_write_and_user_bodies_have_the_documented_shape(x: RawX) -> None:
    client = x.client()
    created = client.post("/2/tweets", json={"text": "Hello from the X API!"})
    body = created.json()
    extra = body["data"].pop(
        "edit_history_tweet_ids"
    )  # live X sends it too; clients must not need it
    assert extra == [body["data"]["id"]]
    same_shape(body, CREATE_EXAMPLE)
    same_shape(client.delete(f"/2/tweets/{body['data']['id']}").json(), DELETE_EXAMPLE)
    same_shape(client.get("/2/users/me").json(), ME_EXAMPLE)


def test_the_token_answer_has_the_documented_fields(x: RawX) -> None:
    form = {
        "grant_type": "refresh_token",
        "refresh_token": x.creds["oauth2_refresh_token"],
        "client_id": x.creds["client_id"],
    }
    assert set(x.client(auth=None).post("/2/oauth2/token", data=form).json()) == TOKEN_KEYS


@pytest.mark.parametrize("name", sorted(ERRORS))
def test_error_bodies_are_verbatim(name: str) -> None:
    assert FAKE_ERRORS[name] == json.loads(ERRORS[name])


def test_reply_refusal_texts_are_verbatim() -> None:
    assert REPLY_TEXTS["author_restricted"] == x_problems.REPLY_RESTRICTED
    assert REPLY_TEXTS["target_gone"] == x_problems.REPLY_TARGET_GONE
    assert REPLY_TEXTS["too_long"] == x_problems.TEXT_TOO_LONG


def test_server_errors_have_the_problem_shape(x: RawX) -> None:
    x.fake.inject("GET /2/users/me", "status", status=500)
    body = x.client().get("/2/users/me").json()
    assert body == {
        "title": "Internal Server Error",
        "detail": "Something is broken. Please try again later.",
        "type": "about:blank",
        "status": 500,
    }
    x.fake.inject("GET /2/users/me", "status", status=429)
    limited = x.client().get("/2/users/me")
    assert limited.json() == json.loads(ERRORS["too_many_requests"])
    assert int(limited.headers["x-rate-limit-reset"]) > 0
