"""Build the reply generator an account is configured for."""

from __future__ import annotations

from typing import assert_never

import httpx2
from pydantic import SecretStr

from xbot.config import AccountSettings, LlmSettings
from xbot.domain.lengths import BLUESKY_MAX_GRAPHEMES, MASTODON_DEFAULT_MAX, X_MAX_WEIGHTED
from xbot.domain.policy import GeneratorKind, PlatformName
from xbot.generate.bank import BankGenerator
from xbot.generate.llm import LlmGenerator

#: the share of the platform limit a model is asked to stay under (it counts loosely)
MODEL_LENGTH_SHARE = 0.85


def build_generator(
    account: AccountSettings,
    llm: LlmSettings,
    api_key: SecretStr | None,
    *,
    transport: httpx2.BaseTransport | None = None,
) -> BankGenerator | LlmGenerator:
    """Return the account's generator; a broken bank surfaces on first use as GeneratorFailed."""
    kind = GeneratorKind(account.generator)
    match kind:
        case GeneratorKind.BANK:
            return BankGenerator(
                account.bank_file or None,
                platform=PlatformName(account.platform),
                avoid_similarity=account.duplicate_threshold,
            )
        case GeneratorKind.LLM:
            return LlmGenerator(
                llm,
                api_key=api_key,
                persona=account.persona,
                max_characters=model_length_budget(account),
                transport=transport,
            )
        case _:
            assert_never(kind)


def model_length_budget(account: AccountSettings) -> int:
    """Return the reply length, in characters, to ask a model for on this account's platform."""
    platform = PlatformName(account.platform)
    match platform:
        case PlatformName.X:
            limit = X_MAX_WEIGHTED
        case PlatformName.BLUESKY:
            limit = BLUESKY_MAX_GRAPHEMES
        case PlatformName.MASTODON:
            limit = account.max_reply_characters or MASTODON_DEFAULT_MAX
        case _:
            assert_never(platform)
    return int(limit * MODEL_LENGTH_SHARE)
