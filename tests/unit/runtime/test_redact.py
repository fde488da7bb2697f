"""The one redaction function, property-tested: no password survives, nothing else changes."""

from __future__ import annotations

from urllib.parse import quote

import pytest
from hypothesis import given
from hypothesis import strategies as st

from xbot.redact import MASK, redact_data, redact_text, redact_url

#: a password may hold anything a sloppy URL can carry, except what ends a URL in free text
PASSWORD_CHARS = st.characters(
    codec="utf-8",
    exclude_categories=("Cc", "Cs", "Zs", "Zl", "Zp"),
    exclude_characters="'\"<>`\u0085",
)
passwords = st.text(PASSWORD_CHARS, min_size=1, max_size=30).map(lambda text: "Zq" + text)
names = st.text("abcdefghijklmnopqrstuvwxyz0123456789_", min_size=1, max_size=12)
hosts = st.from_regex(r"[a-y][a-y0-9.\-]{0,20}(:[0-9]{2,5})?", fullmatch=True)
schemes = st.sampled_from(["postgresql", "postgresql+psycopg", "postgres", "mysql", "https"])
secret_parameters = st.sampled_from(["password", "sslpassword", "passfile", "PASSWORD"])
parameter_values = st.text(
    st.characters(min_codepoint=0x21, max_codepoint=0x7E, exclude_characters="&#;'\"<>`"),
    max_size=20,
).map(lambda text: "Zq" + text)
prose = st.text("abcdefghijklmnopqrstuvwxy ,.()", max_size=40)


@given(scheme=schemes, user=names, password=passwords, host=hosts, database=names)
def test_the_userinfo_password_is_masked_and_the_rest_kept(
    scheme: str, user: str, password: str, host: str, database: str
) -> None:
    if scheme == "https":
        password = quote(password, safe="")  # a web URL's password is always encoded
    url = f"{scheme}://{user}:{password}@{host}/{database}"
    assert redact_url(url) == f"{scheme}://{user}:{MASK}@{host}/{database}"


@given(
    scheme=schemes,
    host=hosts,
    name=secret_parameters,
    value=parameter_values,
    before=st.sampled_from(["", "sslmode=require&"]),
)
def test_password_parameters_are_masked(
    scheme: str, host: str, name: str, value: str, before: str
) -> None:
    url = f"{scheme}://bot@{host}/db?{before}{name}={value}&application_name=xbot"
    shown = redact_url(url)
    assert "Zq" not in shown
    assert shown == f"{scheme}://bot@{host}/db?{before}{name}={MASK}&application_name=xbot"


@given(scheme=schemes, user=names, password=passwords, host=hosts, left=prose, right=prose)
def test_urls_inside_text_lose_their_password(
    *, scheme: str, user: str, password: str, host: str, left: str, right: str
) -> None:
    if scheme == "https":
        password = quote(password, safe="")
    text = f"{left} '{scheme}://{user}:{password}@{host}/db' {right}"
    shown = redact_text(text)
    assert "Zq" not in shown
    assert shown == f"{left} '{scheme}://{user}:{MASK}@{host}/db' {right}"


@given(url=st.one_of(st.text(max_size=60), st.from_regex(r"[a-z]+://[^\s]{0,40}")))
def test_redaction_is_idempotent(url: str) -> None:
    assert redact_url(redact_url(url)) == redact_url(url)
    assert redact_text(redact_text(url)) == redact_text(url)


@given(secret=passwords.filter(lambda text: len(text) >= 6), left=prose, right=prose)
def test_known_secret_values_are_masked_as_written_and_url_encoded(
    secret: str, left: str, right: str
) -> None:
    text = f"{left}{secret}{right} {quote(secret, safe='')}"
    assert "Zq" not in redact_text(text, [secret])


@given(name=secret_parameters, value=parameter_values, left=prose)
def test_connection_string_passwords_are_masked(name: str, value: str, left: str) -> None:
    shown = redact_text(f"{left} host=db {name}={value} user=bot")
    assert shown == f"{left} host=db {name}={MASK} user=bot"


@pytest.mark.parametrize(
    "url",
    [
        "sqlite:///./xbot.db",
        "postgresql://bot@db/xbot",
        "http://127.0.0.1:8080/@bot/123",
        "https://bsky.app/profile/bot.example/post/3k",
        "postgresql:///xbot?host=/var/run/postgresql",
    ],
)
def test_urls_without_secrets_are_unchanged(url: str) -> None:
    assert redact_url(url) == url
    assert redact_text(f"see {url} now") == f"see {url} now"


def test_data_is_redacted_at_every_depth_and_by_key() -> None:
    data = {
        "database": "postgresql://u:Zq1@h/d",
        "nested": [{"password": "Zq2"}, ("passfile=/Zq3",)],
        "count": 3,
    }
    assert "Zq" not in str(redact_data(data, ["never"]))
    assert redact_data(data)["count"] == 3


def test_short_known_values_are_not_searched_for() -> None:
    assert redact_text("a cat sat", ["cat"]) == "a cat sat"
