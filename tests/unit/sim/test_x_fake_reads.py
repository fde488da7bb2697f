"""The fake X's reads: paging, windows, bounds, visibility delays, lookup, search, snowflakes."""

from __future__ import annotations

from datetime import timedelta

import pytest
from x_raw import START, RawX

from xbot.sim.x.state import snowflake_time


@pytest.fixture
def x() -> RawX:
    return RawX.make()


def mentions(x: RawX, n: int) -> list[str]:
    ids = []
    for index in range(n):
        ids.append(x.fake.post_as(x.user(index % 5), f"@replybot question {index}")["id"])
        x.clock.advance(1)
    return ids


def test_ids_are_increasing_snowflakes_that_encode_the_time(x: RawX) -> None:
    ids = mentions(x, 3)
    assert all(len(i) == 19 and i.isdigit() for i in ids)
    assert [int(i) for i in ids] == sorted(int(i) for i in ids)
    assert snowflake_time(ids[0]) == START.replace(microsecond=0)
    assert snowflake_time("abc") is None


def test_pages_are_newest_first_with_meta_and_stable_tokens(x: RawX) -> None:
    ids = mentions(x, 12)
    client = x.client()
    path = f"/2/users/{x.bot_id}/mentions"
    first = client.get(path, params={"max_results": 5}).json()
    assert [post["id"] for post in first["data"]] == ids[::-1][:5]
    assert first["meta"]["newest_id"] == ids[-1]
    assert first["meta"]["oldest_id"] == ids[-5]
    assert first["meta"]["result_count"] == 5
    token = first["meta"]["next_token"]
    second = client.get(path, params={"max_results": 5, "pagination_token": token}).json()
    assert [post["id"] for post in second["data"]] == ids[::-1][5:10]
    replay = client.get(path, params={"max_results": 5, "pagination_token": token}).json()
    assert replay["data"] == second["data"]
    last = client.get(
        path, params={"max_results": 5, "pagination_token": second["meta"]["next_token"]}
    ).json()
    assert len(last["data"]) == 2
    assert "next_token" not in last["meta"]


def test_since_and_until_ids_are_exclusive(x: RawX) -> None:
    ids = mentions(x, 5)
    path = f"/2/users/{x.bot_id}/mentions"
    newer = x.client().get(path, params={"since_id": ids[1]}).json()
    assert [post["id"] for post in newer["data"]] == ids[:1:-1]
    older = x.client().get(path, params={"until_id": ids[1]}).json()
    assert [post["id"] for post in older["data"]] == [ids[0]]


def test_time_windows(x: RawX) -> None:
    ids = mentions(x, 4)
    start = (START + timedelta(seconds=1)).isoformat().replace("+00:00", "Z")
    end = (START + timedelta(seconds=3)).isoformat().replace("+00:00", "Z")
    found = (
        x.client()
        .get(f"/2/users/{x.bot_id}/mentions", params={"start_time": start, "end_time": end})
        .json()
    )
    assert [post["id"] for post in found["data"]] == [ids[2], ids[1]]


def test_an_empty_page_has_no_data_and_a_zero_count(x: RawX) -> None:
    body = x.client().get(f"/2/users/{x.bot_id}/mentions").json()
    assert body == {"meta": {"result_count": 0}}


@pytest.mark.parametrize(
    ("path", "value", "bounds"),
    [
        ("/2/users/{id}/mentions", "4", "5 and 100"),
        ("/2/users/{id}/mentions", "101", "5 and 100"),
        ("/2/users/{id}/tweets", "abc", "5 and 100"),
        ("/2/tweets/search/recent", "5", "10 and 100"),
    ],
)
def test_max_results_bounds_are_400(x: RawX, path: str, value: str, bounds: str) -> None:
    params = {"max_results": value, "query": "@replybot"}
    if "search" not in path:
        params.pop("query")
    response = x.client().get(path.format(id=x.bot_id), params=params)
    assert response.status_code == 400
    assert response.json() == {
        "errors": [
            {
                "parameters": {"max_results": [value]},
                "message": (
                    f"The `max_results` query parameter value [{value}] is not between {bounds}"
                ),
            }
        ],
        "title": "Invalid Request",
        "detail": "One or more parameters to your request was invalid.",
        "type": "https://api.twitter.com/2/problems/invalid-request",
    }


@pytest.mark.parametrize(
    "params",
    [
        {"colour": "blue"},
        {"tweet.fields": "author_id,favourite_colour"},
        {"expansions": "author"},
        {"since_id": "12a"},
        {"pagination_token": "not-a-token"},
        {"start_time": "yesterday"},
    ],
)
def test_invalid_parameters_are_400(x: RawX, params: dict[str, str]) -> None:
    response = x.client().get(f"/2/users/{x.bot_id}/mentions", params=params)
    assert response.status_code == 400
    assert response.json()["title"] == "Invalid Request"
    assert response.headers["x-rate-limit-limit"] == "300"


def test_only_default_fields_unless_asked(x: RawX) -> None:
    mentions(x, 1)
    client = x.client()
    plain = client.get(f"/2/users/{x.bot_id}/mentions").json()["data"][0]
    assert set(plain) == {"id", "text", "edit_history_tweet_ids"}
    rich = client.get(
        f"/2/users/{x.bot_id}/mentions",
        params={
            "post.fields": "author_id,created_at,lang,public_metrics",
            "expansions": "author_id",
            "user.fields": "public_metrics,description",
        },
    ).json()
    assert {"author_id", "created_at", "lang", "public_metrics"} <= set(rich["data"][0])
    assert set(rich["includes"]["users"][0]) == {
        "id",
        "name",
        "username",
        "public_metrics",
        "description",
    }


def test_the_timeline_includes_replies_unless_excluded(x: RawX) -> None:
    mention = x.fake.post_as(x.user(0), "@replybot hi")
    client = x.client()
    reply = client.post(
        "/2/tweets", json={"text": "hello", "reply": {"in_reply_to_tweet_id": mention["id"]}}
    ).json()
    path = f"/2/users/{x.bot_id}/tweets"
    everything = [post["id"] for post in client.get(path).json()["data"]]
    assert everything[0] == reply["data"]["id"]
    assert len(everything) == 4
    no_replies = [
        post["id"] for post in client.get(path, params={"exclude": "replies"}).json()["data"]
    ]
    assert reply["data"]["id"] not in no_replies


def test_only_the_newest_800_mentions_are_reachable(x: RawX) -> None:
    for index in range(805):
        x.fake.post_as(x.user(index % 5), f"@replybot {index}")
    client = x.client()
    path = f"/2/users/{x.bot_id}/mentions"
    seen, token = 0, None
    while True:
        params = {"max_results": 100, **({"pagination_token": token} if token else {})}
        body = client.get(path, params=params).json()
        seen += body["meta"]["result_count"]
        token = body["meta"].get("next_token")
        if token is None:
            break
    assert seen == 800


def test_visibility_delays_per_view(x: RawX) -> None:
    x.fake.configure(mentions_delay_seconds=5, search_delay_seconds=30)
    post = x.fake.post_as(x.user(0), "@replybot hi")
    client = x.client()
    mention_path = f"/2/users/{x.bot_id}/mentions"
    search = {"query": "@replybot"}
    assert "data" not in client.get(mention_path).json()
    assert (
        client.get(f"/2/tweets/{post['id']}").json()["data"]["id"] == post["id"]
    )  # lookup: at once
    x.clock.advance(5)
    assert client.get(mention_path).json()["data"][0]["id"] == post["id"]
    assert "data" not in client.get("/2/tweets/search/recent", params=search).json()
    x.clock.advance(25)
    assert (
        client.get("/2/tweets/search/recent", params=search).json()["data"][0]["id"] == post["id"]
    )


def test_a_missing_post_is_200_with_errors_or_404(x: RawX) -> None:
    client = x.client()
    body = client.get("/2/tweets/21").json()
    assert body == {"errors": [{
        "value": "21", "detail": "Could not find tweet with id: [21].", "title": "Not Found Error",
        "resource_type": "tweet", "parameter": "id", "resource_id": "21",
        "type": "https://api.twitter.com/2/problems/resource-not-found",
    }]}  # fmt: skip
    x.fake.configure(missing_post_status=404)
    assert client.get("/2/tweets/21").status_code == 404


def test_an_unknown_user_timeline_is_errors_only(x: RawX) -> None:
    body = x.client().get("/2/users/42/tweets").json()
    assert body["errors"][0]["resource_type"] == "user"


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("@replybot", {"mention", "reply", "link"}),
        ("@replybot -is:reply", {"mention", "link"}),
        ("python", {"mention"}),
        ('"what is python"', {"mention"}),
        ("from:{u1}", {"quote"}),
        ("to:replybot", {"reply"}),
        ('url:"x.com/replybot/status" is:quote', {"quote"}),
        ("@replybot has:links", {"link"}),
        ("(python OR jazz) -from:{u0}", {"chatter"}),
        ("is:quote OR @replybot lang:en", {"quote", "mention", "reply", "link"}),
        ("conversation_id:{bot}", {"reply"}),
    ],
)
def test_search_understands_the_query_language(x: RawX, query: str, expected: set[str]) -> None:
    bot_post = x.fake.posts_of("replybot")[0]["id"]
    made = {
        "mention": x.fake.post_as(x.user(0), "@replybot what is python?"),
        "quote": x.fake.post_as(x.user(1), "so true", quote_of=bot_post),
        "reply": x.fake.post_as(x.user(2), "@replybot agreed", in_reply_to=bot_post),
        "link": x.fake.post_as(x.user(3), "@replybot read https://example.com/a"),
        "chatter": x.fake.post_as(x.user(4), "jazz tonight"),
    }
    by_id = {post["id"]: name for name, post in made.items()}
    text = query.format(u0=x.user(0), u1=x.user(1), bot=bot_post)
    body = (
        x.client()
        .get("/2/tweets/search/recent", params={"query": text, "tweet.fields": "lang"})
        .json()
    )
    found = {by_id[post["id"]] for post in body.get("data", []) if post["id"] in by_id}
    if "lang:en" in query:  # the world's users are not all English speakers
        expected = {
            name
            for name in expected
            if name == "quote" or x.fake.store.user_by_handle(made[name]["author"]).language == "en"
        }
    assert found == expected


@pytest.mark.parametrize(
    "query", ["", "is:quote", "foo:bar", "(python", "python)", "-", "x" * 513, "is:lovely python"]
)
def test_bad_queries_are_400(x: RawX, query: str) -> None:
    response = x.client().get("/2/tweets/search/recent", params={"query": query})
    assert response.status_code == 400
    assert response.json()["type"] == "https://api.twitter.com/2/problems/invalid-request"


def test_search_reaches_back_seven_days_only(x: RawX) -> None:
    old = x.fake.post_as(x.user(0), "@replybot old")
    x.clock.advance(7 * 86400 + 1)
    client = x.client()
    assert "data" not in client.get("/2/tweets/search/recent", params={"query": "@replybot"}).json()
    too_old = client.get(
        "/2/tweets/search/recent", params={"query": "@replybot", "since_id": old["id"]}
    )
    assert too_old.status_code == 400
    assert "since_id" in too_old.json()["errors"][0]["message"]


def test_traffic_appears_as_the_clock_moves(x: RawX) -> None:
    x.fake.configure(traffic_per_minute=2.0)
    x.fake.reset()
    client = x.client()
    before = client.get(f"/2/users/{x.bot_id}/mentions").json()["meta"]["result_count"]
    x.clock.advance(3600)
    after = client.get(f"/2/users/{x.bot_id}/mentions", params={"max_results": 100}).json()
    assert after["meta"]["result_count"] > before
    authors = {u.user_id for u in x.fake.world.users}
    assert {post["id"] for post in after["data"]} <= {
        p.id for p in x.fake.store.select(lambda t: t.author_id in authors)
    }


def test_the_admin_api_lists_posts_with_replies_and_ghosts(x: RawX) -> None:
    admin = x.client(auth=None)
    mention = admin.post("/_sim/posts", json={"author": x.user(0), "text": "@replybot hi"}).json()[
        "post"
    ]
    ghost = admin.post(
        "/_sim/posts", json={"author": "replybot", "text": "by hand", "in_reply_to": mention["id"]}
    ).json()["post"]
    posts = admin.get("/_sim/posts", params={"author": "replybot"}).json()["posts"]
    assert posts[-1] == {
        "id": ghost["id"], "author": "replybot", "in_reply_to": mention["id"], "quote_of": None,
        "text": "by hand", "created_at": "2026-03-02T09:00:00.000Z", "deleted": False,
    }  # fmt: skip
    assert len(posts) == 4
    world = admin.get("/_sim/world").json()
    assert world["bot_accounts"][0]["credentials"]["consumer_key"] == x.creds["consumer_key"]
    assert admin.post("/_sim/posts", json={"author": "nobody", "text": "x"}).status_code == 400
