"""The fake X's authentication: OAuth 1.0a signatures, OAuth 2 tokens, app Bearer; X's 401/403s."""

from __future__ import annotations

import httpx2
import pytest
from oauthlib.oauth1 import Client as OAuth1Client
from x_raw import RawX

UNAUTHORIZED = {
    "title": "Unauthorized",
    "type": "about:blank",
    "status": 401,
    "detail": "Unauthorized",
}


@pytest.fixture
def x() -> RawX:
    return RawX.make()


def test_a_valid_oauth1_signature_is_accepted(x: RawX) -> None:
    response = x.client().get("/2/users/me", params={"user.fields": "created_at,description"})
    assert response.status_code == 200
    assert response.json()["data"]["username"] == "replybot"


def test_signed_query_parameters_are_part_of_the_signature(x: RawX) -> None:
    signer = OAuth1Client(
        x.creds["consumer_key"],
        client_secret=x.creds["consumer_secret"],
        resource_owner_key=x.creds["access_token"],
        resource_owner_secret=x.creds["access_token_secret"],
    )
    _, headers, _ = signer.sign("http://x.sim/2/users/me?user.fields=id")
    tampered = x.client(auth=None).get(
        "/2/users/me", params={"user.fields": "name"}, headers=headers
    )
    assert tampered.status_code == 401
    assert tampered.json() == UNAUTHORIZED


@pytest.mark.parametrize(
    "change",
    ["consumer_secret", "access_token_secret", "access_token", "consumer_key"],
)
def test_a_wrong_key_or_secret_is_401(x: RawX, change: str) -> None:
    credentials = dict(x.creds)
    credentials[change] = credentials[change][:-4] + "AAAA"
    signer = OAuth1Client(
        credentials["consumer_key"],
        client_secret=credentials["consumer_secret"],
        resource_owner_key=credentials["access_token"],
        resource_owner_secret=credentials["access_token_secret"],
    )
    _, headers, _ = signer.sign("http://x.sim/2/users/me")
    response = x.client(auth=None).get("/2/users/me", headers=headers)
    assert response.status_code == 401
    assert response.json() == UNAUTHORIZED


def test_a_replayed_nonce_is_refused(x: RawX) -> None:
    signer = OAuth1Client(
        x.creds["consumer_key"],
        client_secret=x.creds["consumer_secret"],
        resource_owner_key=x.creds["access_token"],
        resource_owner_secret=x.creds["access_token_secret"],
    )
    _, headers, _ = signer.sign("http://x.sim/2/users/me")
    client = x.client(auth=None)
    assert client.get("/2/users/me", headers=headers).status_code == 200
    assert client.get("/2/users/me", headers=headers).status_code == 401


def test_no_credentials_is_401(x: RawX) -> None:
    response = x.client(auth=None).get("/2/users/me")
    assert response.status_code == 401
    assert response.json() == UNAUTHORIZED
    assert "x-rate-limit-limit" not in response.headers


def test_oauth2_user_tokens_expire_on_the_fake_clock(x: RawX) -> None:
    client = x.client(auth="oauth2")
    assert client.get("/2/users/me").status_code == 200
    x.clock.advance(7199)
    assert client.get("/2/users/me").status_code == 200
    x.clock.advance(1)
    assert client.get("/2/users/me").status_code == 401


def test_refresh_rotates_both_tokens_and_kills_the_old_refresh_token(x: RawX) -> None:
    old = x.creds
    form = {
        "grant_type": "refresh_token",
        "refresh_token": old["oauth2_refresh_token"],
        "client_id": old["client_id"],
    }
    client = x.client(auth=None)
    response = client.post("/2/oauth2/token", data=form)
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"token_type", "expires_in", "access_token", "scope", "refresh_token"}
    assert (body["token_type"], body["expires_in"]) == ("bearer", 7200)
    assert "offline.access" in body["scope"]
    assert body["refresh_token"] != old["oauth2_refresh_token"]
    assert x.creds["oauth2_refresh_token"] == body["refresh_token"]
    me = client.get("/2/users/me", headers={"Authorization": "Bearer " + body["access_token"]})
    assert me.status_code == 200
    again = client.post("/2/oauth2/token", data=form)
    assert again.status_code == 400
    assert again.json() == {
        "error": "invalid_request",
        "error_description": "Value passed for the token was invalid.",
    }


def test_refresh_with_a_grace_period_and_a_confidential_client(x: RawX) -> None:
    x.fake.configure(refresh_grace_seconds=60)
    old = x.creds
    form = {"grant_type": "refresh_token", "refresh_token": old["oauth2_refresh_token"]}
    basic = httpx2.BasicAuth(old["client_id"], old["client_secret"])
    client = x.client(auth=None)
    assert client.post("/2/oauth2/token", data=form, auth=basic).status_code == 200
    assert client.post("/2/oauth2/token", data=form, auth=basic).status_code == 200
    x.clock.advance(61)
    assert client.post("/2/oauth2/token", data=form, auth=basic).status_code == 400


def test_the_token_endpoint_checks_client_and_grant(x: RawX) -> None:
    client = x.client(auth=None)
    refresh = x.creds["oauth2_refresh_token"]
    wrong_client = client.post(
        "/2/oauth2/token",
        data={"grant_type": "refresh_token", "refresh_token": refresh, "client_id": "nope"},
    )
    assert wrong_client.status_code == 401
    wrong_grant = client.post("/2/oauth2/token", data={"grant_type": "password"})
    assert wrong_grant.json()["error"] == "unsupported_grant_type"


def test_app_only_bearer_reads_but_cannot_act_as_a_user(x: RawX) -> None:
    client = x.client(auth="bearer")
    mentions = client.get(f"/2/users/{x.bot_id}/mentions")
    assert mentions.status_code == 200
    assert mentions.headers["x-rate-limit-limit"] == "450"  # the per-app limit
    for response in (client.get("/2/users/me"), client.post("/2/tweets", json={"text": "hi"})):
        assert response.status_code == 403
        assert (
            response.json()["type"]
            == "https://api.twitter.com/2/problems/unsupported-authentication"
        )


def test_revoked_tokens_stop_working(x: RawX) -> None:
    oauth1, oauth2 = x.client(), x.client(auth="oauth2")
    x.fake.auth.revoke(x.bot_id)
    assert oauth1.get("/2/users/me").status_code == 401
    assert oauth2.get("/2/users/me").status_code == 401


def test_a_read_only_app_gets_oauth1_permissions(x: RawX) -> None:
    x.fake.configure(app_permission="read")
    response = x.client().post("/2/tweets", json={"text": "hi"})
    assert response.status_code == 403
    assert response.json()["type"] == "https://api.twitter.com/2/problems/oauth1-permissions"
    assert x.client().get("/2/users/me").status_code == 200


def test_credentials_are_deterministic_and_reset(x: RawX) -> None:
    assert RawX.make().creds == x.creds
    before = x.creds
    x.client(auth=None).post(
        "/2/oauth2/token",
        data={
            "grant_type": "refresh_token",
            "refresh_token": before["oauth2_refresh_token"],
            "client_id": before["client_id"],
        },
    )
    assert x.creds != before
    x.fake.reset()
    assert x.creds == before
