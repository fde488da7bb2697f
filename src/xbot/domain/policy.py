"""Platform policy checked before a permit is issued (DESIGN §9, platform-facts §1.9, §2.7, §3.5).

- X self-serve tiers may reply only to summoned posts (the author mentioned or quoted us, or
  replied to us); Enterprise is exempt.
- Bluesky and Mastodon have no such API rule, but their etiquette is opt-in interaction only,
  so summoning is required there too unless the operator turns it off.
- LLM-written replies on X need X's prior approval, attested by `x.ai_replies_approved`.
- At most one reply per interaction, everywhere (enforced by `budgets.may_post` and the unique
  `reply_decisions (account_id, target_post_id)`).
"""

from __future__ import annotations

from enum import StrEnum
from typing import assert_never


class PlatformName(StrEnum):
    """The platforms xbot posts to (`accounts.platform`)."""

    X = "x"  #: X API v2
    BLUESKY = "bluesky"  #: AT Protocol
    MASTODON = "mastodon"  #: Mastodon API


class XTier(StrEnum):
    """The X API access tier the operator pays for."""

    SELF_SERVE = "self_serve"  #: replies only to summoned posts
    ENTERPRISE = "enterprise"  #: may reply to any post


class GeneratorKind(StrEnum):
    """Which reply generator an account uses."""

    BANK = "bank"  #: operator-curated replies, offline and deterministic
    LLM = "llm"  #: an OpenAI-compatible chat endpoint


class PolicyBlock(StrEnum):
    """Why policy forbids an account to post at all."""

    LLM_NOT_APPROVED_ON_X = "llm_not_approved_on_x"  #: X requires prior approval of AI replies
    #: a live X account needs X's "Automated" label, which only the operator can attest
    LABEL_NOT_ATTESTED = "label_not_attested"


def summoned_required(
    platform: PlatformName, *, x_tier: XTier = XTier.SELF_SERVE, opt_in_only: bool = True
) -> bool:
    """Return True when only summoned candidates may be answered on this platform."""
    match platform:
        case PlatformName.X:
            return x_tier is XTier.SELF_SERVE or opt_in_only
        case PlatformName.BLUESKY | PlatformName.MASTODON:
            return opt_in_only
        case _:
            assert_never(platform)


def generator_block(
    platform: PlatformName, generator: GeneratorKind, *, ai_replies_approved: bool
) -> PolicyBlock | None:
    """Return why this generator may not be used on this platform, or None."""
    match generator:
        case GeneratorKind.BANK:
            return None
        case GeneratorKind.LLM:
            if platform is PlatformName.X and not ai_replies_approved:
                return PolicyBlock.LLM_NOT_APPROVED_ON_X
            return None
        case _:
            assert_never(generator)


def account_block(
    platform: PlatformName,
    generator: GeneratorKind,
    *,
    ai_replies_approved: bool,
    label_attested: bool,
    live: bool,
) -> PolicyBlock | None:
    """Return why policy forbids the account to post at all, or None.

    Beyond the generator's approval: X requires automated accounts to carry the "Automated"
    label (developer guidelines, platform-facts §1.9, §5.2); the API cannot show it, so a live
    X account needs `x.automated_label_attested` (accounts on a local fake are not live).
    """
    if platform is PlatformName.X and live and not label_attested:
        return PolicyBlock.LABEL_NOT_ATTESTED
    return generator_block(platform, generator, ai_replies_approved=ai_replies_approved)


def policy_summary(
    platform: PlatformName,
    generator: GeneratorKind,
    *,
    x_tier: XTier = XTier.SELF_SERVE,
    opt_in_only: bool = True,
    ai_replies_approved: bool = False,
) -> dict[str, object]:
    """Return the policy in force for one account, as data for /ready and certification."""
    block = generator_block(platform, generator, ai_replies_approved=ai_replies_approved)
    return {
        "platform": platform.value,
        "generator": generator.value,
        "summoned_only": summoned_required(platform, x_tier=x_tier, opt_in_only=opt_in_only),
        "one_reply_per_interaction": True,
        "posting_allowed": block is None,
        "blocked_by": block.value if block else None,
    }
