"""Settings of the compliance rules: opt-outs (stop words) and the bot labels (issue 15).

The defaults come from the platforms' rules as `platform-facts.md` §5 ("2026 policy and
pricing", 2026-12-01) states them; operators may override every one in xbot.toml.
"""

from __future__ import annotations

from typing import Annotated, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from xbot.config_types import Term
from xbot.domain.confirmation_rules import CONFIRMATION_RULES

#: a language tag such as "en" or "pt-BR", or "*" for every language
StopWordLanguage = Annotated[
    str, StringConstraints(max_length=35, pattern=r"^(\*|[A-Za-z]{2,3}([-_][A-Za-z0-9]{1,8})*)$")
]
StopWords = Annotated[list[Term], Field(max_length=100)]
#: the fixed reply to a stop message: one short line, no link (the content guard checks it too)
ConfirmationText = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200, pattern=r"^[^\n]*$")
]
ConfirmationPlatform = Literal["x", "bluesky", "mastodon"]

#: the stop words an author writes to opt out, per language (X developer guidelines: "stop at
#: once when a user says stop", platform-facts §1.9 and §5.2); "*" applies to every account
DEFAULT_STOP_WORDS: dict[str, list[str]] = {
    "*": ["stop", "unsubscribe", "opt out", "opt-out", "optout", "leave me alone"],
    "de": ["stopp", "abmelden", "lass mich in ruhe", "hör auf"],
    "es": ["basta", "darme de baja", "déjame en paz", "detente"],
    "fr": ["arrête", "arrêtez", "désabonner", "laisse-moi tranquille", "laissez-moi tranquille"],
    "pt": ["pare", "parar", "cancelar", "me deixe em paz"],
    "ja": ["停止", "やめて", "配信停止"],
}


def _allowed_platforms() -> list[ConfirmationPlatform]:
    allowed = {name for name, rule in CONFIRMATION_RULES.items() if rule.allowed}
    return [name for name in get_args(ConfirmationPlatform) if name in allowed]


class OptOutSettings(BaseModel):
    """Who has said "stop", and what the bot answers (nothing, by default)."""

    model_config = ConfigDict(extra="forbid")

    #: stop words by language tag ("*" for every account); an account uses "*" and its languages
    stop_words: dict[StopWordLanguage, StopWords] = Field(
        default_factory=lambda: {key: list(words) for key, words in DEFAULT_STOP_WORDS.items()},
        max_length=64,
        description='language tag (or "*") -> up to 100 words of 1 to 200 characters',
    )
    #: a stop message counts only when it is this short (words besides mentions): a long post
    #: that happens to contain "stop" is a question, not an opt-out
    max_words: int = Field(5, ge=1, le=50, description="words, 1 to 50")
    #: answer the stop message that newly opts its author out, once, with `confirmation_text`
    #: (through the guard and the permit, never the generator); off by default
    confirmation: bool = False
    #: the confirmation's whole text; the content guard checks it like any reply
    confirmation_text: ConfirmationText = Field(
        "OK, I won't reply to you again.", description="one line of 1 to 200 characters"
    )
    #: the platforms the confirmation is sent on: those whose rules allow that one reply
    #: (xbot.domain.confirmations.CONFIRMATION_RULES); an operator may narrow the list
    confirmation_platforms: list[ConfirmationPlatform] = Field(
        default_factory=_allowed_platforms,
        max_length=3,
        description="a list of x, bluesky, mastodon",
    )


class LabelSettings(BaseModel):
    """The automated-account labels: read at boot and by `xbot accounts check`."""

    model_config = ConfigDict(extra="forbid")

    #: write a missing label (Bluesky `bot` self-label, Mastodon `bot` flag); else only report it
    apply: bool = False
