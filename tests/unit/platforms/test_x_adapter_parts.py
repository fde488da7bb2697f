"""The X adapter's parts on their own: error mapping, credentials, reading posts, the factory."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import httpx2
import pytest
from pydantic import SecretStr

from xbot.config import AccountSettings
from xbot.domain.errors import (
    Ambiguous,
    AuthFailed,
    BadResponse,
    ConfigError,
    CreditsDepleted,
    DuplicateContent,
    ForbiddenByPolicy,
    InvalidRequest,
    NotFound,
    RateLimited,
    Transient,
    UsageCapExceeded,
)
from xbot.platforms.http import excerpt, scrub, transport_error
from xbot.platforms.x import (
    OAuth1Credentials,
    OAuth2Credentials,
    build_x_platform,
    credentials_from,
    credentials_from_environment,
)
from xbot.platforms.x.errors import rate_limit_reset, status_error
from xbot.platforms.x.posts import Includes, MalformedError, Me, post_from, posts_from

ME = Me(user_id="1500", handle="ReplyBot")


def problem(**fields: object) -> bytes:
    return json.dumps(fields).encode()


@pytest.mark.parametrize(
    ("status", "body", "write", "expected"),
    [
        (401, problem(title="Unauthorized", detail="Unauthorized"), False, AuthFailed),
        (402, problem(detail="credits depleted"), True, CreditsDepleted),
        (  # platform-facts §1.6: the monthly product cap, a 429 no window reset clears
            429,
            problem(
                title="UsageCapExceeded",
                detail="Usage cap exceeded: Monthly product cap",
                type="https://api.twitter.com/2/problems/usage-capped",
                period="Monthly",
                scope="Product",
            ),
            False,
            UsageCapExceeded,
        ),
        (
            403,
            problem(detail="You are not allowed to create a Tweet with duplicate content."),
            True,
            DuplicateContent,
        ),
        (
            403,
            problem(
                detail="You can only reply to or quote posts where you are mentioned",
                type="https://api.x.com/2/problems/not-authorized-for-resource",
            ),
            True,
            ForbiddenByPolicy,
        ),
        (
            403,
            problem(
                detail="x", type="https://api.twitter.com/2/problems/unsupported-authentication"
            ),
            True,
            AuthFailed,
        ),
        (
            403,
            problem(detail="x", type="https://api.twitter.com/2/problems/oauth1-permissions"),
            True,
            AuthFailed,
        ),
        (403, b"<html>forbidden</html>", True, ForbiddenByPolicy),
        (404, problem(title="Not Found Error"), False, NotFound),
        (429, problem(title="Too Many Requests"), True, RateLimited),
        (429, b'{"errors":[{"code":88,"message":"Rate limit exceeded"}]}', False, RateLimited),
        (
            400,
            problem(
                errors=[{"message": "The `max_results` query parameter value [1] is not valid"}]
            ),
            False,
            InvalidRequest,
        ),
        (
            400,
            problem(errors=[{"message": "$.text: is missing but it is required"}]),
            True,
            ForbiddenByPolicy,
        ),
        (
            403,
            problem(
                errors=[
                    {
                        "title": "Unsupported Authentication",
                        "type": "https://api.twitter.com/2/problems/unsupported-authentication",
                    }
                ]
            ),
            False,
            AuthFailed,
        ),
        (
            403,
            b'{"errors":[{"code":453,"message":"You currently have access to a subset"}]}',
            False,
            AuthFailed,
        ),
        (403, b'{"errors":[{"code":89,"message":"Invalid or expired token."}]}', True, AuthFailed),
        (
            403,
            b'{"errors":[{"code":261,"message":"Application cannot perform write actions."}]}',
            True,
            AuthFailed,
        ),
        (
            403,
            problem(
                title="Client Forbidden",
                reason="client-not-enrolled",
                type="https://api.twitter.com/2/problems/client-forbidden",
            ),
            False,
            AuthFailed,
        ),
        (
            403,
            problem(
                errors=[{"detail": "You are not allowed to create a Tweet with duplicate content."}]
            ),
            True,
            DuplicateContent,
        ),
        (
            403,
            b'{"errors":[{"code":187,"message":"Status is a duplicate."}]}',
            True,
            DuplicateContent,
        ),
        (403, b'{"errors":["not an object"]}', True, ForbiddenByPolicy),
        (500, problem(title="Internal Server Error"), True, Ambiguous),
        (503, b"<html>down</html>", True, Ambiguous),
        (502, problem(title="Bad Gateway"), False, Transient),
        (504, b"", False, Transient),
        (418, b"teapot", False, BadResponse),
        (302, b"", True, BadResponse),
    ],
)
def test_every_status_maps_to_one_error(
    status: int, body: bytes, write: bool, expected: type
) -> None:
    error = status_error(status, body, {}, endpoint="POST /2/tweets", write=write, secrets=[])
    assert type(error) is expected
    assert error.status == status


def test_messages_name_the_status_the_endpoint_and_the_detail() -> None:
    body = problem(
        errors=[{"message": "The `max_results` query parameter value [1] is bad"}], detail="generic"
    )
    error = status_error(
        400, body, {}, endpoint="GET /2/users/:id/mentions", write=False, secrets=[]
    )
    assert str(error).startswith("X answered 400 to GET /2/users/:id/mentions: The `max_results`")


def test_a_429_carries_the_reset_time() -> None:
    headers = {"x-rate-limit-reset": "1772442000"}
    error = status_error(429, b"{}", headers, endpoint="GET /2/tweets/:id", write=False, secrets=[])
    assert isinstance(error, RateLimited)
    assert error.reset_at == datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@pytest.mark.parametrize("raw", [None, "", "soon", "99999999999999999999"])
def test_a_bad_reset_header_is_no_reset(raw: str | None) -> None:
    assert rate_limit_reset({} if raw is None else {"x-rate-limit-reset": raw}) is None


@pytest.mark.parametrize(
    ("exc", "write", "expected"),
    [
        (httpx2.ConnectError("refused"), True, Transient),
        (httpx2.ConnectTimeout("slow"), True, Transient),
        (httpx2.PoolTimeout("busy"), True, Transient),
        (httpx2.ReadTimeout("late"), True, Ambiguous),
        (httpx2.ReadError("reset"), True, Ambiguous),
        (httpx2.RemoteProtocolError("gone"), True, Ambiguous),
        (httpx2.WriteError("half"), True, Ambiguous),
        (httpx2.ReadTimeout("late"), False, Transient),
        (httpx2.ReadError("reset"), False, Transient),
    ],
)
def test_transport_failures(exc: httpx2.TransportError, write: bool, expected: type) -> None:
    assert type(transport_error(exc, endpoint="POST /2/tweets", write=write)) is expected


def test_excerpts_are_short_single_line_and_secret_free() -> None:
    body = ("line one\n  line two " + "z" * 500 + " SECRET-TOKEN").encode()
    text = excerpt(body, ["SECRET-TOKEN"])
    assert "\n" not in text
    assert len(text) <= 201
    assert text.startswith("line one line two")
    assert "SECRET" not in excerpt(b"a SECRET-TOKEN b", ["SECRET-TOKEN", ""])
    assert scrub("k=abc&s=def", ["abc", "def"]) == "k=***&s=***"
    assert excerpt(b"\xff\xfe bad utf8", []).endswith("bad utf8")


def test_secret_values_never_reach_a_status_error() -> None:
    body = problem(detail="echo tok-123 sec-456")
    error = status_error(
        500, body, {}, endpoint="GET /2/users/me", write=False, secrets=["tok-123", "sec-456"]
    )
    assert "tok-123" not in f"{error} {error.excerpt}"
    assert "sec-456" not in f"{error} {error.excerpt}"


def secrets(**values: str) -> dict[str, SecretStr | None]:
    return {name: SecretStr(value) for name, value in values.items()}


def test_oauth1_is_chosen_when_complete() -> None:
    chosen = credentials_from(
        secrets(
            consumer_key="a",
            consumer_secret="b",
            access_token="c",
            access_token_secret="d",
            client_id="e",
            oauth2_access_token="f",
        )
    )
    assert isinstance(chosen, OAuth1Credentials)
    assert "b" not in repr(chosen)


def test_oauth2_is_used_otherwise() -> None:
    chosen = credentials_from(
        secrets(client_id="cid", oauth2_access_token="at", oauth2_refresh_token="rt")
    )
    assert isinstance(chosen, OAuth2Credentials)
    assert chosen.client_id == "cid"
    assert chosen.refresh_token is not None
    assert chosen.refresh_token.get_secret_value() == "rt"
    assert "at" not in repr(chosen.access_token)


def test_incomplete_credentials_name_what_is_missing_never_values() -> None:
    with pytest.raises(ConfigError) as raised:
        credentials_from(secrets(consumer_key="very-secret-key"))
    message = str(raised.value)
    assert "consumer_secret" in message
    assert "oauth2_access_token" in message
    assert "very-secret-key" not in message


def test_credentials_come_from_the_named_environment_variables(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    names = {
        "consumer_key": "BOT_CK",
        "consumer_secret": "BOT_CS",
        "access_token": "BOT_AT",
        "access_token_secret": "BOT_AS",
    }
    for variable in names.values():
        monkeypatch.setenv(variable, variable.lower())
    chosen = credentials_from_environment(names)
    assert isinstance(chosen, OAuth1Credentials)
    assert chosen.access_token.get_secret_value() == "bot_at"
    monkeypatch.delenv("BOT_AS")
    with pytest.raises(ConfigError, match="Unset variables: BOT_AS"):
        credentials_from_environment(names)


def tweet(**fields: object) -> dict[str, object]:
    return {
        "id": "20",
        "text": "hi",
        "author_id": "42",
        "created_at": "2026-03-02T09:00:00.000Z",
        **fields,
    }


@pytest.mark.parametrize(
    ("item", "includes", "summoned"),
    [
        (tweet(entities={"mentions": [{"username": "replybot", "id": "1500"}]}), {}, True),
        (tweet(in_reply_to_user_id="1500"), {}, True),
        (
            tweet(referenced_tweets=[{"type": "quoted", "id": "9"}]),
            {"tweets": [{"id": "9", "author_id": "1500"}]},
            True,
        ),
        (
            tweet(referenced_tweets=[{"type": "quoted", "id": "9"}]),
            {"tweets": [{"id": "9", "author_id": "77"}]},
            False,
        ),
        (tweet(referenced_tweets=[{"type": "quoted", "id": "9"}]), {}, False),
        (tweet(entities={"mentions": [{"username": "someone", "id": "5"}]}), {}, False),
        (tweet(), {}, False),
    ],
)
def test_summoned_means_mention_reply_to_us_or_quote_of_us(
    item: dict, includes: dict, summoned: bool
) -> None:
    post = post_from(item, Includes.from_body({"includes": includes}), ME)
    assert post.summoned is summoned


def test_a_post_reads_every_field() -> None:
    replied = [{"type": "replied_to", "id": "10"}]
    body = {
        "data": [tweet(conversation_id="10", lang="es", referenced_tweets=replied,
                       entities={"mentions": [{"username": "Ann", "id": "7"}]})],
        "includes": {"users": [{"id": "42", "username": "ben", "description": "Automated by @corp",
                                "public_metrics": {"followers_count": 12}}]},
    }  # fmt: skip
    (post,) = posts_from(body, ME)
    assert (post.post_id, post.author_handle, post.author_followers) == ("20", "ben", 12)
    assert post.author_is_bot
    assert (post.in_reply_to_post_id, post.conversation_id, post.language) == ("10", "10", "es")
    assert post.mentions == ("ann",)
    assert post.created_at == datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    assert posts_from({"meta": {"result_count": 0}}, ME) == []
    assert posts_from({"data": []}, ME) == []


@pytest.mark.parametrize(
    "body",
    [
        {"data": "nope"},
        {"data": ["nope"]},
        {"data": [{"id": 20, "text": "x"}]},
        {
            "data": [
                {"id": "abc", "text": "x", "author_id": "1", "created_at": "2026-03-02T09:00:00Z"}
            ]
        },
        {"data": [tweet(author_id=None)]},
        {"data": [tweet(created_at="2026-03-02 09:00")]},
        {"data": [tweet(created_at="tomorrow")]},
        {"data": [tweet(referenced_tweets="x")]},
        {"data": [tweet(entities={"mentions": "x"})]},
        {"data": [tweet()], "includes": []},
        {"data": [tweet()], "includes": {"users": ["x"]}},
    ],
)
def test_malformed_posts_are_refused(body: dict) -> None:
    with pytest.raises(MalformedError):
        posts_from(body, ME)


def test_the_factory_refuses_other_platforms_and_honours_the_base_url() -> None:
    credentials = OAuth1Credentials(
        consumer_key=SecretStr("a"),
        consumer_secret=SecretStr("b"),
        access_token=SecretStr("c"),
        access_token_secret=SecretStr("d"),
    )
    with pytest.raises(ConfigError, match="bluesky"):
        build_x_platform(AccountSettings(platform="bluesky", handle="b"), credentials)
    seen: list[str] = []

    def handler(request: httpx2.Request) -> httpx2.Response:
        seen.append(str(request.url))
        assert request.headers["authorization"].startswith("OAuth ")
        return httpx2.Response(200, json={"data": {"id": "1", "username": "bot", "name": "Bot"}})

    platform = build_x_platform(
        AccountSettings(platform="x", handle="bot", base_url="https://x.example"),
        credentials,
        transport=httpx2.MockTransport(handler),
    )
    assert platform.whoami() == ("1", "bot")
    default = build_x_platform(
        AccountSettings(platform="x", handle="bot"),
        credentials,
        transport=httpx2.MockTransport(handler),
    )
    default.whoami()
    assert seen == ["https://x.example/2/users/me", "https://api.x.com/2/users/me"]
    platform.close()
    default.close()
