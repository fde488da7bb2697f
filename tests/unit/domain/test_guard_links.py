"""Links in any spelling: the allowed domains pass, every other spelling is refused.

On X a URL also needs the account's `cost.allow_url_posts` (X bills it $0.20).
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from xbot.config import AccountSettings
from xbot.domain.guard import Accepted, GuardPolicy, GuardReason, Rejected, check_reply
from xbot.domain.policy import PlatformName


def reason_of(text: str, policy: GuardPolicy) -> GuardReason | None:
    verdict = check_reply(text, target_author="ann", recent_replies=(), policy=policy)
    assert isinstance(verdict, Accepted | Rejected)
    return verdict.reason if isinstance(verdict, Rejected) else None


def test_allowed_domains_may_be_linked_in_any_spelling() -> None:
    policy = GuardPolicy(platform=PlatformName.X, allowed_domains=("python.org",), url_posts=True)
    assert reason_of("see https://docs.python.org/3/", policy) is None
    assert reason_of("see python dot org", policy) is None
    assert reason_of("see python.org.evil.com", policy) is GuardReason.LINK
    assert reason_of("see notpython.org", policy) is GuardReason.LINK
    assert reason_of("see python.org and evil.com", policy) is GuardReason.LINK


@pytest.mark.parametrize(
    ("text", "url_posts", "allow_links", "reason"),
    [
        ("see https://docs.python.org/3/", False, False, GuardReason.LINK),
        ("see docs.python.org", False, False, GuardReason.LINK),
        ("see https://docs.python.org/3/", False, True, GuardReason.LINK),
        ("see python dot org", False, False, None),  # X links no disguised URL: no URL price
        ("see https://docs.python.org/3/", True, False, None),
        ("see https://evil.example/", True, False, GuardReason.LINK),  # still allowed_domains
        ("see https://evil.example/", True, True, None),
    ],
)
def test_an_x_reply_links_only_when_the_cost_settings_allow_url_posts(
    text: str, url_posts: bool, allow_links: bool, reason: GuardReason | None
) -> None:
    policy = GuardPolicy(
        platform=PlatformName.X, allowed_domains=("python.org",), url_posts=url_posts,
        allow_links=allow_links,
    )  # fmt: skip
    assert reason_of(text, policy) is reason


def test_the_url_price_refusal_names_the_setting_and_spares_other_platforms() -> None:
    refused = check_reply(
        "see https://docs.python.org/3/", target_author="ann", recent_replies=(),
        policy=GuardPolicy(platform=PlatformName.X, allowed_domains=("python.org",)),
    )  # fmt: skip
    assert isinstance(refused, Rejected)
    assert "cost.allow_url_posts" in refused.detail
    for platform in (PlatformName.BLUESKY, PlatformName.MASTODON):
        policy = GuardPolicy(platform=platform, allowed_domains=("python.org",))
        assert reason_of("see https://docs.python.org/3/", policy) is None


def test_the_account_setting_reaches_the_policy() -> None:
    account = AccountSettings(platform="x", handle="bot", cost={"allow_url_posts": True})
    assert GuardPolicy.from_settings(account).url_posts is True
    assert GuardPolicy.from_settings(AccountSettings(platform="x", handle="bot")).url_posts is False


spellings = st.sampled_from(
    [
        "{name}.{tld}",
        "{name} dot {tld}",
        "{name} DOT {tld}",
        "{name} . {tld}",
        "{name}[.]{tld}",
        "{name}(dot){tld}",
        "{name} [dot] {tld}",
        "hxxps://{name}[.]{tld}/x",
        "{name}\u3002{tld}",
        "{name}\u2022{tld}",
        "https://{name}.{tld}",
    ]
)


@settings(max_examples=300, deadline=None)
@given(
    name=st.from_regex(r"[a-z][a-z0-9-]{1,10}[a-z0-9]", fullmatch=True),
    tld=st.sampled_from(["com", "net", "org", "io", "xyz", "ru", "co", "ly", "app", "dev"]),
    spelling=spellings,
    platform=st.sampled_from(list(PlatformName)),
)
def test_a_link_in_any_listed_spelling_is_refused(
    name: str, tld: str, spelling: str, platform: PlatformName
) -> None:
    text = "Thanks! More at " + spelling.format(name=name, tld=tld) + " today"
    assert reason_of(text, GuardPolicy(platform=platform)) is GuardReason.LINK
