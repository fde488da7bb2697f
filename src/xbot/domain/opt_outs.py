"""Opt-outs: an author who says "stop" to the bot is never answered again on that platform.

X's developer guidelines say an automated account must stop at once when a user says stop
(platform-facts §1.9, §5.2); Bluesky's and Mastodon's etiquette is opt-in interaction only
(§2.7, §3.5). A stop message is short (a long post that contains "stop" is a question, not an
opt-out) and is matched on whole words after mentions and links are removed, case folded.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum

import regex

from xbot.domain.text import clean_untrusted

_MENTION_OR_LINK = regex.compile(r"@\S+|https?://\S+|\bwww\.\S+")
_WORD = regex.compile(r"[\p{L}\p{N}]+")
#: scripts written without spaces: a stop word there is found inside a longer run of letters
_UNSPACED = regex.compile(r"[\p{Han}\p{Hiragana}\p{Katakana}\p{Thai}]")
#: the key of the stop words every account uses, whatever its languages
ALL_LANGUAGES = "*"


class OptOutHow(StrEnum):
    """How an author opted out (`opt_outs.how`)."""

    STOP_WORD = "stop_word"  #: wrote a stop word to one of our accounts
    BLOCK = "block"  #: the platform told us the author blocks the account
    MUTE = "mute"  #: the account mutes or blocks the author (the operator, on Mastodon)
    OPERATOR = "operator"  #: an operator added it (`xbot optouts add`)


@dataclass(frozen=True, kw_only=True, slots=True)
class StopWords:
    """The stop words one account listens for, each as its words joined by one space."""

    phrases: tuple[str, ...]
    #: a message with more words than this is not a stop message
    max_words: int = 5

    @classmethod
    def for_languages(
        cls, table: Mapping[str, Sequence[str]], languages: Iterable[str], *, max_words: int
    ) -> StopWords:
        """Return the "*" words and those of the account's languages (all when it has none)."""
        wanted = {_primary(tag) for tag in languages}
        keys = [
            key for key in table if key == ALL_LANGUAGES or not wanted or _primary(key) in wanted
        ]
        phrases = {_words(word) for key in keys for word in table[key]}
        return cls(
            phrases=tuple(sorted(phrase for phrase in phrases if phrase)), max_words=max_words
        )


def stop_word_in(text: str, stop_words: StopWords) -> str | None:
    """Return the stop word a short message says, or None when it is not a stop message."""
    said = _words(_MENTION_OR_LINK.sub(" ", clean_untrusted(text)))
    if not said or len(said.split(" ")) > stop_words.max_words:
        return None
    padded = f" {said} "
    for phrase in stop_words.phrases:
        if f" {phrase} " in padded or (_UNSPACED.search(phrase) and phrase in said):
            return phrase
    return None


def _words(text: str) -> str:
    folded = unicodedata.normalize("NFKC", text).casefold()
    return " ".join(_WORD.findall(folded))


def _primary(tag: str) -> str:
    return tag.strip().replace("_", "-").split("-", 1)[0].casefold()


@dataclass(frozen=True, kw_only=True, slots=True)
class NewOptOut:
    """One author's opt-out, as it is recorded."""

    platform: str
    author_id: str
    author_handle: str | None
    how: str
    detail: str | None = None
    account_id: int | None = None
    created_by: str | None = None
    #: the post that carried the stop word or showed the block
    post_id: str | None = None
