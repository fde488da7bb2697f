"""The fakes' authorization endpoints refuse what the real ones refuse (in process, no sockets)."""

from __future__ import annotations

import base64
import hashlib
from urllib.parse import parse_qs, urlsplit

import httpx2
import pytest
from pydantic import SecretStr

from xbot.domain.errors import AuthFailed
from xbot.platforms.mastodon import onboard as mastodon_oauth
from xbot.platforms.x import onboard as x_oauth
from xbot.platforms.x.credentials import OAuth1Credentials
from xbot.sim.core.clock import SimClock
from xbot.sim.core.world import build_world
from xbot.sim.mastodon.fake import FakeMastodon
from xbot.sim.x.fake import FakeX

REDIRECT = "http://127.0.0.1:8976/callback"


def x_code(fake: FakeX, http: httpx2.Client, pkce: x_oauth.Pkce, scopes: tuple[str, ...]) -> str:
    """Approve on the consent page as the bot; return the code of the redirect."""
    url = x_oauth.authorization_url(
        "/i/oauth2/authorize", fake.auth.client_id, REDIRECT, pkce, scopes
    )
    assert http.get(url).status_code == 200
    form = {key: values[0] for key, values in parse_qs(urlsplit(url).query).items()}
    answer = http.post(
        "/i/oauth2/authorize", data={**form, "username": "replybot", "decision": "allow"}
    )
    assert answer.status_code == 302
    query = parse_qs(urlsplit(answer.headers["location"]).query)
    assert query["state"] == [pkce.state]
    return query["code"][0]


@pytest.fixture
def x_fake() -> tuple[FakeX, httpx2.Client]:
    fake = FakeX(build_world(3), clock=SimClock(speed=0))
    return fake, httpx2.Client(transport=fake.transport(), base_url="http://x.sim")


def exchange(http: httpx2.Client, fake: FakeX, code: str, verifier: str) -> x_oauth.OAuth2Grant:
    return x_oauth.exchange_code(
        http,
        client_id=fake.auth.client_id,
        client_secret=None,
        code=code,
        redirect_uri=REDIRECT,
        verifier=verifier,
    )


def test_x_pkce_code_works_once_and_the_token_is_the_users(
    x_fake: tuple[FakeX, httpx2.Client],
) -> None:
    fake, http = x_fake
    pkce = x_oauth.new_pkce(fake.auth.client_id)
    digest = hashlib.sha256(pkce.verifier.encode()).digest()
    assert pkce.challenge == base64.urlsafe_b64encode(digest).decode().rstrip("=")
    code = x_code(fake, http, pkce, x_oauth.SCOPES)
    grant = exchange(http, fake, code, pkce.verifier)
    assert grant.refresh_token is not None
    me = http.get("/2/users/me", headers={"Authorization": f"Bearer {grant.access_token}"})
    assert me.json()["data"]["username"] == "replybot"
    with pytest.raises(AuthFailed, match="refused the authorization code"):
        exchange(http, fake, code, pkce.verifier)  # a code is good once


def test_x_refuses_a_wrong_verifier_and_a_late_code(x_fake: tuple[FakeX, httpx2.Client]) -> None:
    fake, http = x_fake
    pkce = x_oauth.new_pkce(fake.auth.client_id)
    with pytest.raises(AuthFailed, match="refused the authorization code"):
        exchange(http, fake, x_code(fake, http, pkce, x_oauth.SCOPES), "not-the-verifier")
    late = x_code(fake, http, pkce, x_oauth.SCOPES)
    fake.clock.advance(31)  # the code must be exchanged within 30 s
    with pytest.raises(AuthFailed, match="refused the authorization code"):
        exchange(http, fake, late, pkce.verifier)


def test_x_token_without_tweet_write_cannot_post(x_fake: tuple[FakeX, httpx2.Client]) -> None:
    fake, http = x_fake
    pkce = x_oauth.new_pkce(fake.auth.client_id)
    scopes = ("tweet.read", "users.read")
    grant = exchange(http, fake, x_code(fake, http, pkce, scopes), pkce.verifier)
    bearer = {"Authorization": f"Bearer {grant.access_token}"}
    assert http.get("/2/users/me", headers=bearer).status_code == 200
    assert http.post("/2/tweets", json={"text": "hello"}, headers=bearer).status_code == 403


def test_x_refresh_token_only_with_offline_access(x_fake: tuple[FakeX, httpx2.Client]) -> None:
    fake, http = x_fake
    pkce = x_oauth.new_pkce(fake.auth.client_id)
    scopes = ("tweet.read", "tweet.write", "users.read")
    grant = exchange(http, fake, x_code(fake, http, pkce, scopes), pkce.verifier)
    assert grant.refresh_token is None
    assert grant.scope == "tweet.read tweet.write users.read"


def test_x_consent_page_refuses_an_unknown_client_and_a_remote_callback(
    x_fake: tuple[FakeX, httpx2.Client],
) -> None:
    fake, http = x_fake
    pkce = x_oauth.new_pkce("someone-else")
    wrong = x_oauth.authorization_url(
        "/i/oauth2/authorize", "someone-else", REDIRECT, pkce, x_oauth.SCOPES
    )
    assert http.get(wrong).status_code == 400
    remote = x_oauth.authorization_url(
        "/i/oauth2/authorize", fake.auth.client_id, "http://evil.example/cb", pkce, x_oauth.SCOPES
    )
    assert http.get(remote).status_code == 400


def test_x_pin_flow_refuses_a_wrong_pin_and_reports_the_access_level(
    x_fake: tuple[FakeX, httpx2.Client],
) -> None:
    fake, http = x_fake
    key, secret = fake.auth.consumer_key, fake.auth.consumer_secret
    with pytest.raises(AuthFailed, match="consumer key or secret"):
        x_oauth.request_token(http, key, "wrong-secret")
    token, token_secret = x_oauth.request_token(http, key, secret)
    page = http.post(
        "/oauth/authorize", data={"oauth_token": token, "username": "replybot", "decision": "allow"}
    )
    pin = page.text.split("id='oauth_pin'>")[1].split("<")[0]
    with pytest.raises(AuthFailed, match="the PIN"):
        x_oauth.access_token(
            http,
            consumer_key=key,
            consumer_secret=secret,
            token=token,
            token_secret=token_secret,
            pin="0000000",
        )
    grant = x_oauth.access_token(
        http,
        consumer_key=key,
        consumer_secret=secret,
        token=token,
        token_secret=token_secret,
        pin=pin,
    )
    assert grant.screen_name == "replybot"
    credentials = OAuth1Credentials(
        consumer_key=SecretStr(key),
        consumer_secret=SecretStr(secret),
        access_token=SecretStr(grant.access_token),
        access_token_secret=SecretStr(grant.access_token_secret),
    )
    assert x_oauth.access_level(http, credentials) == "read-write"
    fake.configure(app_permission="read")
    assert x_oauth.access_level(http, credentials) == "read"


def test_mastodon_token_keeps_to_its_scopes() -> None:
    fake = FakeMastodon(build_world(3))
    http = httpx2.Client(transport=fake.transport(), base_url="http://mastodon.sim")
    try:
        scopes = ("read:accounts", "read:statuses")
        app = mastodon_oauth.register_app(http, REDIRECT, scopes)
        url = mastodon_oauth.authorization_url("", app, REDIRECT, scopes, "s1")
        form = {key: values[0] for key, values in parse_qs(urlsplit(url).query).items()}
        answer = http.post(
            "/oauth/authorize", data={**form, "username": "replybot", "decision": "allow"}
        )
        code = parse_qs(urlsplit(answer.headers["location"]).query)["code"][0]
        with pytest.raises(AuthFailed, match="refused the authorization code"):
            mastodon_oauth.exchange_code(http, app, code, "http://127.0.0.1:1/other", scopes)
        answer = http.post(
            "/oauth/authorize", data={**form, "username": "replybot", "decision": "allow"}
        )
        code = parse_qs(urlsplit(answer.headers["location"]).query)["code"][0]
        grant = mastodon_oauth.exchange_code(http, app, code, REDIRECT, scopes)
        assert mastodon_oauth.token_scopes(http, grant.access_token) == list(scopes)
        bearer = {"Authorization": f"Bearer {grant.access_token}"}
        me = http.get("/api/v1/accounts/verify_credentials", headers=bearer)
        assert me.json()["username"] == "replybot"
        post = http.post("/api/v1/statuses", json={"status": "hi"}, headers=bearer)
        assert post.status_code == 403
        assert post.json() == {"error": "This action is outside the authorized scopes"}
        bad = http.post("/api/v1/apps", data={"client_name": "", "redirect_uris": REDIRECT})
        assert bad.status_code == 422
    finally:
        http.close()
        fake.close()
