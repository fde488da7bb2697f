"""A generator's proposed reply text, with what made it (`reply_decisions.generator_meta`)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

#: the near-duplicate check compares a reply with the same account's replies decided within
#: this window before it (never other accounts', never older ones): a day, the period of the
#: `per_day` budget, so a generator needs `per_day` replies unlike each other per topic
NEAR_DUPLICATE_WINDOW = timedelta(days=1)


@dataclass(frozen=True, kw_only=True, slots=True)
class Draft:
    """Reply text before the guard has judged it, and the generator's account of it."""

    text: str
    #: `bank` or `llm`
    generator: str
    #: e.g. the bank entry chosen, or the model and its token usage; never a secret
    meta: Mapping[str, Any] = field(default_factory=dict)
