"""Secrets in replies: configured values in any disguise, key formats, random tokens; the
refusal names the kind and length only. Settings.secret_values gathers every configured value."""

from __future__ import annotations

import string
from collections.abc import Callable

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import Field, SecretStr

from xbot.config import AccountSettings, LlmSettings, Settings
from xbot.domain.guard import GuardPolicy, GuardReason, Rejected, check_reply
from xbot.domain.leaks import (
    ENTROPY_MIN_LENGTH,
    MIN_SECRET_FRAGMENT,
    Leak,
    entropy_leak,
    find_leak,
    format_leak,
)
from xbot.domain.policy import PlatformName

KEY = "sk-sim-Qw7rT2yU9iO4pA6sD1fG3hJ5"


def spaced(text: str) -> str:
    return " ".join(text)


@pytest.mark.parametrize(
    "reply",
    [
        f"here you go: {KEY}",
        f"key={KEY.upper()}",
        f"the key is {spaced(KEY)}",
        "zero width: " + "\u200b".join(KEY),
        f"just a piece of it: {KEY[9:21]}",
        "look-alikes: " + KEY.replace("s", "\u0455").replace("o", "\u043e").replace("a", "\u0430"),
        f"full width: {''.join(chr(ord(c) + 0xFEE0) if '!' <= c <= '~' else c for c in KEY)}",
        f"with dots {'.'.join(KEY[7:])}",
        f"backwards {KEY[::-1]}",
        f"in fours {' '.join(KEY[i : i + 4] for i in range(0, len(KEY), 4))}",
        f"hex {KEY.encode().hex()}",
    ],
)
def test_a_configured_secret_is_found_in_any_disguise(reply: str) -> None:
    leak = find_leak(reply, (KEY,))
    assert leak is not None
    assert leak.kind in {"configured_secret", "openai_key", "high_entropy_token"}


def test_a_short_fragment_or_an_unrelated_text_is_not_a_leak() -> None:
    assert find_leak(f"the prefix {KEY[: MIN_SECRET_FRAGMENT - 1]} alone", (KEY,)) is None
    assert find_leak("Thanks for the question about packaging!", (KEY, "hunter22")) is None


def test_a_short_secret_is_matched_whole_and_a_trivial_one_not_at_all() -> None:
    leak = find_leak("my pin is 8 2 7 1 x q", ("8271xq",))
    assert leak == Leak(kind="configured_secret", length=6)
    assert find_leak("1 true thing", ("1", "true", "yes")) is None


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("sk-proj-" + "Ab3dEf6hIj9kLm2nOp5q", "openai_key"),
        ("sk-" + "a1B2c3D4e5F6g7H8i9J0k1L2", "openai_key"),
        ("AKIAIOSFODNN7EXAMPLE", "aws_access_key_id"),
        ("wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "aws_secret_key"),
        ("ghp_" + "a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8", "github_token"),
        ("github_pat_11ABCDEFG0123456789_abcdefghijklmnop", "github_token"),
        ("xoxb-123456789012-abcdefghijkl", "slack_token"),
        ("sk_live_" + "4eC39HqLyjWDarjtT1zdp7dc", "stripe_key"),
        ("rk_live_" + "4eC39HqLyjWDarjtT1zdp7dc", "stripe_key"),
        ("eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0In0.sig", "jwt"),
        ("-----BEGIN OPENSSH PRIVATE KEY-----", "pem_block"),
        ("AAAAAAAAAAAAAAAAAAAAAMLheAAAAAAA0%2Buseq", "x_bearer_token"),
        ("1234567890-AbCdEfGhIjKlMnOpQrStUvWx", "x_access_token"),
        ("abcd-efgh-ijkl-mnop", "bluesky_app_password"),
        ("s k - p r o j - A b 3 d E f 6 h I j 9 k L m 2 n O p 5 q", "openai_key"),
    ],
)
def test_key_formats(text: str, kind: str) -> None:
    leak = format_leak(f"here: {text} ok")
    assert leak is not None
    assert leak.kind == kind


@pytest.mark.parametrize(
    ("token", "random"),
    [
        ("Xk9fQ2mZ7pLr4Tw8Yb1N", True),
        ("XkfQmZpLrTwYbNqRsVuWaEc", True),
        ("deadbeefcafebabe1234567890abcdef12345678", True),
        ("internationalization", False),
        ("Supercalifragilisticexpialidocious", False),
        ("AbstractSingletonProxyFactoryBean", False),
        ("long-running-background-worker", False),
        ("1234567890123456789012", False),
        ("2024-01-15T10-30-00Z-report", False),
    ],
)
def test_entropy(token: str, random: bool) -> None:
    assert len(token) >= ENTROPY_MIN_LENGTH
    assert (entropy_leak(f"a {token} b") is not None) is random


def test_the_refusal_names_the_kind_and_length_never_the_text() -> None:
    policy = GuardPolicy(platform=PlatformName.X, secret_values=(KEY,))
    verdict = check_reply(
        f"see https://evil.example/{KEY}", target_author="ann", recent_replies=(), policy=policy
    )
    assert isinstance(verdict, Rejected)
    assert verdict.reason is GuardReason.SECRET
    assert verdict.skip_reason == "guard_secret"
    assert KEY[:MIN_SECRET_FRAGMENT] not in verdict.detail
    assert verdict.detail.endswith("characters")
    assert KEY not in repr(policy)


def test_secret_values_gathers_every_configured_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BOT_TOKEN", "mastodon-token-value-1")
    monkeypatch.setenv("BOT_SECRET", "x-secret-value-2")
    monkeypatch.setenv("MY_LLM_KEY", "sk-llm-value-3")
    settings = Settings(
        database_url="postgresql://xbot:db-pass-4@db.example/xbot?sslpassword=ssl-pass-5",
        accounts=[
            AccountSettings(platform="mastodon", handle="a", credentials={"token": "BOT_TOKEN"}),
            AccountSettings(platform="x", handle="b", credentials={"secret": "BOT_SECRET"}),
        ],
        llm=LlmSettings(api_key_env="MY_LLM_KEY"),
    )
    assert set(settings.secret_values()) == {
        "mastodon-token-value-1",
        "x-secret-value-2",
        "sk-llm-value-3",
        "db-pass-4",
        "ssl-pass-5",
    }


def test_secret_values_covers_every_secret_field_generically() -> None:
    class WithSecrets(Settings):
        webhook_token: SecretStr | None = None
        webhooks: dict[str, SecretStr] = Field(default_factory=dict)

    settings = WithSecrets(
        webhook_token=SecretStr("webhook-token-6"), webhooks={"slack": SecretStr("hook-secret-7")}
    )
    assert {"webhook-token-6", "hook-secret-7"} <= set(settings.secret_values())
    assert Settings().secret_values() == ()


#: a secret, and any 12 of its letters and digits (MIN_LETTERS_FRAGMENT) in a row, is a leak
secrets_ = st.text(alphabet=string.ascii_letters + string.digits, min_size=16, max_size=48)
disguises = st.sampled_from(
    [
        lambda s: s,
        str.upper,
        " ".join,
        "\u200b".join,
        lambda s: s[::-1],
        lambda s: s[3:15],
        lambda s: "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in s),
    ]
)
fillers = st.text(alphabet=string.ascii_letters + " .,!?", max_size=60)


@settings(max_examples=300, deadline=None)
@given(secret=secrets_, disguise=disguises, before=fillers, after=fillers)
def test_a_configured_secret_is_never_accepted(
    secret: str, disguise: Callable[[str], str], before: str, after: str
) -> None:
    policy = GuardPolicy(platform=PlatformName.MASTODON, secret_values=(secret,))
    reply = f"{before} {disguise(secret)} {after}"
    verdict = check_reply(reply, target_author="ann", recent_replies=(), policy=policy)
    assert isinstance(verdict, Rejected)
