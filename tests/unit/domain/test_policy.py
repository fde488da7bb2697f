"""Platform policy: summoned-only replies, LLM replies on X only with approval (DESIGN §9)."""

from __future__ import annotations

import pytest

from xbot.domain.policy import (
    GeneratorKind,
    PlatformName,
    PolicyBlock,
    XTier,
    generator_block,
    policy_summary,
    summoned_required,
)


@pytest.mark.parametrize(
    ("platform", "tier", "opt_in_only", "required"),
    [
        (PlatformName.X, XTier.SELF_SERVE, True, True),
        (PlatformName.X, XTier.SELF_SERVE, False, True),  # the API refuses anything else
        (PlatformName.X, XTier.ENTERPRISE, True, True),
        (PlatformName.X, XTier.ENTERPRISE, False, False),
        (PlatformName.BLUESKY, XTier.SELF_SERVE, True, True),
        (PlatformName.BLUESKY, XTier.SELF_SERVE, False, False),
        (PlatformName.MASTODON, XTier.ENTERPRISE, True, True),
        (PlatformName.MASTODON, XTier.ENTERPRISE, False, False),
    ],
)
def test_summoned_required(
    platform: PlatformName, tier: XTier, opt_in_only: bool, required: bool
) -> None:
    assert summoned_required(platform, x_tier=tier, opt_in_only=opt_in_only) is required


@pytest.mark.parametrize(
    ("platform", "generator", "approved", "block"),
    [
        (PlatformName.X, GeneratorKind.LLM, False, PolicyBlock.LLM_NOT_APPROVED_ON_X),
        (PlatformName.X, GeneratorKind.LLM, True, None),
        (PlatformName.X, GeneratorKind.BANK, False, None),
        (PlatformName.BLUESKY, GeneratorKind.LLM, False, None),
        (PlatformName.MASTODON, GeneratorKind.LLM, False, None),
    ],
)
def test_generator_block(
    platform: PlatformName, generator: GeneratorKind, approved: bool, block: PolicyBlock | None
) -> None:
    assert generator_block(platform, generator, ai_replies_approved=approved) is block


def test_policy_summary_for_ready_and_certify() -> None:
    assert policy_summary(PlatformName.X, GeneratorKind.LLM) == {
        "platform": "x",
        "generator": "llm",
        "summoned_only": True,
        "one_reply_per_interaction": True,
        "posting_allowed": False,
        "blocked_by": "llm_not_approved_on_x",
    }
    assert (
        policy_summary(PlatformName.BLUESKY, GeneratorKind.BANK, opt_in_only=False)["summoned_only"]
        is False
    )
