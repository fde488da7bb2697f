"""Links in any spelling: the allowed domains pass, every other spelling is refused."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from xbot.domain.guard import Accepted, GuardPolicy, GuardReason, Rejected, check_reply
from xbot.domain.policy import PlatformName


def reason_of(text: str, policy: GuardPolicy) -> GuardReason | None:
    verdict = check_reply(text, target_author="ann", recent_replies=(), policy=policy)
    assert isinstance(verdict, Accepted | Rejected)
    return verdict.reason if isinstance(verdict, Rejected) else None


def test_allowed_domains_may_be_linked_in_any_spelling() -> None:
    policy = GuardPolicy(platform=PlatformName.X, allowed_domains=("python.org",))
    assert reason_of("see https://docs.python.org/3/", policy) is None
    assert reason_of("see python dot org", policy) is None
    assert reason_of("see python.org.evil.com", policy) is GuardReason.LINK
    assert reason_of("see notpython.org", policy) is GuardReason.LINK
    assert reason_of("see python.org and evil.com", policy) is GuardReason.LINK


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
