"""Every adapter's HTTP client verifies with one TLS context: memory does not grow per account."""

from __future__ import annotations

from typing import Any

from pydantic import SecretStr

from xbot.config import AccountSettings
from xbot.platforms.http import shared_tls
from xbot.platforms.mastodon.factory import build_mastodon_platform
from xbot.platforms.x.credentials import OAuth1Credentials
from xbot.platforms.x.factory import build_x_platform

CREDENTIALS = OAuth1Credentials(
    consumer_key=SecretStr("a"),
    consumer_secret=SecretStr("b"),
    access_token=SecretStr("c"),
    access_token_secret=SecretStr("d"),
)


def tls_of(client: Any) -> Any:
    return client._transport._pool._ssl_context


def test_two_x_accounts_and_a_mastodon_account_share_one_tls_context() -> None:
    first = build_x_platform(AccountSettings(platform="x", handle="one"), CREDENTIALS)
    second = build_x_platform(AccountSettings(platform="x", handle="two"), CREDENTIALS)
    toot = build_mastodon_platform(
        AccountSettings(platform="mastodon", handle="three", base_url="https://masto.example"),
        SecretStr("token-value"),
    )
    contexts = {id(tls_of(platform._wire.http)) for platform in (first, second, toot)}
    assert contexts == {id(shared_tls())}
    assert shared_tls().verify_mode.name == "CERT_REQUIRED"
    assert shared_tls().check_hostname
