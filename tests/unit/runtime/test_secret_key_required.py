"""Which accounts need XBOT_SECRET_KEY before a worker starts (they keep a platform session)."""

from __future__ import annotations

import pytest
from cryptography.fernet import Fernet
from pydantic import SecretStr

from xbot.config import AccountSettings, Settings
from xbot.domain.errors import SecretKeyMissing
from xbot.wiring import require_secret_key

OAUTH1 = {name: name.upper() for name in ("consumer_key", "consumer_secret", "access_token",
                                          "access_token_secret")}  # fmt: skip
OAUTH2 = {"client_id": "CLIENT_ID", "oauth2_access_token": "TOKEN"}


@pytest.mark.parametrize(
    ("platform", "credentials", "needs_key"),
    [
        ("bluesky", {"app_password": "APP_PASSWORD"}, True),
        ("x", OAUTH2, True),
        ("x", OAUTH1, False),
        ("x", {**OAUTH1, **OAUTH2}, False),
        ("mastodon", {"access_token": "TOKEN"}, False),
    ],
)
def test_accounts_that_keep_a_session_need_a_key(
    platform: str, credentials: dict[str, str], needs_key: bool
) -> None:
    account = AccountSettings(platform=platform, handle="bot", credentials=credentials)
    keyless = Settings(accounts=[account])
    if needs_key:
        with pytest.raises(SecretKeyMissing, match=f"{platform}:@bot .*XBOT_SECRET_KEY"):
            require_secret_key(keyless)
    else:
        require_secret_key(keyless)
    keyed = Settings(accounts=[account], secret_key=SecretStr(Fernet.generate_key().decode()))
    require_secret_key(keyed)


def test_a_disabled_account_needs_no_key() -> None:
    account = AccountSettings(platform="bluesky", handle="bot", enabled=False)
    require_secret_key(Settings(accounts=[account]))


@pytest.mark.parametrize(
    "value",
    ["short", "a" * 44, Fernet.generate_key().decode() + ",x"],
    ids=["short", "not-base64-bytes", "good-then-bad"],
)
def test_a_malformed_key_is_refused(value: str) -> None:
    with pytest.raises(ValueError, match="32 url-safe base64-encoded bytes"):
        Settings(secret_key=SecretStr(value))
