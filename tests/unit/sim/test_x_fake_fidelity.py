"""The fake X answers bad requests the way X does: ids, empty text, search windows, body types."""

from __future__ import annotations

import pytest
from x_raw import RawX

INVALID_REQUEST = "https://api.twitter.com/2/problems/invalid-request"


@pytest.fixture
def x() -> RawX:
    return RawX.make()


@pytest.mark.parametrize("post_id", ["abc", "12345678901234567890", "1.5", "-1"])
def test_a_post_id_that_is_no_snowflake_is_400_invalid_request(x: RawX, post_id: str) -> None:
    response = x.client().get(f"/2/tweets/{post_id}")
    assert response.status_code == 400
    assert response.json() == {
        "errors": [
            {
                "parameters": {"id": [post_id]},
                "message": f"The `id` query parameter value [{post_id}] does not match "
                "^[0-9]{1,19}$",
            }
        ],
        "title": "Invalid Request",
        "detail": "One or more parameters to your request was invalid.",
        "type": INVALID_REQUEST,
    }


@pytest.mark.parametrize("path", ["/2/users/abc/mentions", "/2/users/12345678901234567890/tweets"])
def test_a_user_id_that_is_no_id_is_400_too(x: RawX, path: str) -> None:
    response = x.client().get(path)
    assert response.status_code == 400
    assert response.json()["errors"][0]["message"].startswith("The `id` query parameter value [")


def test_deleting_by_an_invalid_id_is_400_too(x: RawX) -> None:
    response = x.client().delete("/2/tweets/abc")
    assert response.status_code == 400
    assert response.json()["errors"][0]["parameters"] == {"id": ["abc"]}


def test_a_19_digit_id_is_still_a_lookup(x: RawX) -> None:
    response = x.client().get("/2/tweets/1234567890123456789")
    assert response.status_code == 200
    assert response.json()["errors"][0]["title"] == "Not Found Error"


def test_an_empty_text_is_400_invalid_request(x: RawX) -> None:
    before = len(x.fake.posts_of("replybot"))
    response = x.client().post("/2/tweets", json={"text": ""})
    assert response.status_code == 400
    body = response.json()
    assert body["type"] == INVALID_REQUEST
    assert body["errors"][0]["parameters"] == {"text": [""]}
    assert "required" in body["errors"][0]["message"]
    assert len(x.fake.posts_of("replybot")) == before


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (
            {"text": "hi", "reply": {"in_reply_to_tweet_id": 1234}},
            "$.reply.in_reply_to_tweet_id: integer found, string expected",
        ),
        (
            {"text": "hi", "reply": {"in_reply_to_tweet_id": None}},
            "$.reply.in_reply_to_tweet_id: null found, string expected",
        ),
        ({"text": 5}, "$.text: integer found, string expected"),
        ({"text": "hi", "quote_tweet_id": 12}, "$.quote_tweet_id: integer found, string expected"),
        ({"text": "hi", "reply": "1234"}, "$.reply: string found, object expected"),
        ({"reply": {"in_reply_to_tweet_id": "1"}}, "$.text: is missing but it is required"),
    ],
)
def test_a_field_of_the_wrong_type_is_named_with_its_type(
    x: RawX, body: dict[str, object], message: str
) -> None:
    response = x.client().post("/2/tweets", json=body)
    assert response.status_code == 400
    assert response.json()["errors"] == [{"message": message}]
    assert response.json()["type"] == INVALID_REQUEST


def test_a_start_time_older_than_seven_days_is_400_like_since_id(x: RawX) -> None:
    x.clock.advance(3600)
    client = x.client()
    params = {"query": "@replybot", "start_time": "2026-02-22T09:00:00Z"}
    response = client.get("/2/tweets/search/recent", params=params)
    assert response.status_code == 400
    assert response.json()["errors"] == [
        {
            "parameters": {"start_time": ["2026-02-22T09:00:00Z"]},
            "message": "Invalid 'start_time':'2026-02-22T09:00:00Z'. 'start_time' must be on or "
            "after 2026-02-23T10:00Z",
        }
    ]
    inside = {"query": "@replybot", "start_time": "2026-02-23T10:00:00Z"}
    assert client.get("/2/tweets/search/recent", params=inside).status_code == 200


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("GET", "/2/nothing/here", 404),
        ("GET", "/1.1/statuses/update.json", 404),
        ("PUT", "/2/tweets", 405),
        ("GET", "/_sim/nothing", 404),
    ],
)
def test_unknown_routes_answer_json_problems(x: RawX, method: str, path: str, status: int) -> None:
    response = x.client().request(method, path)
    assert response.status_code == status
    assert response.headers["content-type"].startswith("application/json")
    problem = response.json()
    assert problem["status"] == status
    assert problem["type"] == "about:blank"
    assert problem["title"] in {"Not Found", "Method Not Allowed"}
