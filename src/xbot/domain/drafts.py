"""A generator's proposed reply text, with what made it (`reply_decisions.generator_meta`)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, kw_only=True, slots=True)
class Draft:
    """Reply text before the guard has judged it, and the generator's account of it."""

    text: str
    #: `bank` or `llm`
    generator: str
    #: e.g. the bank entry chosen, or the model and its token usage; never a secret
    meta: Mapping[str, Any] = field(default_factory=dict)
