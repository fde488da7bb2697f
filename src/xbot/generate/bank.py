"""The `bank` generator: operator-curated replies in a TOML file, chosen by relevance.

    [slots]                                     # optional: phrase lists, used as {name}
    ask = ["What are you building?", "Which version are you on?"]

    [[reply]]
    id = "packaging-start"                      # unique; stored in generator_meta
    text = ["Good question, {author}! ... {ask}",   # one wording, or several
            "Packaging trips many people up, {author}. ... {ask}"]
    keywords = ["package", "pyproject"]        # words or phrases; none = a generic reply
    topics = ["python packaging"]              # optional: topics this reply speaks to

`{author}` is the post's author written as a mention on the account's platform
(`@alice.bsky.social` on Bluesky, never a bare domain), `{topic}` the topic it matched; `{{` and
`}}` write braces. An entry can write one reply per wording and phrase of each slot it uses
(`bank_file.variety`); the built-in bank gives every entry at least a day's budget of them
(`per_day`, 30 by default), each unlike the others, so a day of replies on one topic never trips
the guard's near-duplicate check.

Deterministic and offline: the same candidate always gets the same reply. Entries are ranked by
how many of their keywords (and, at half weight, topics) the post contains; ties are broken by a
hash of the post text and the entry id. Within an entry, wordings come in an order hashed from
the post. A wording too similar to one of `avoid` (the account's replies within the
near-duplicate window) is passed over, so the bank rotates instead of repeating itself.
"""

from __future__ import annotations

import hashlib
import itertools
from collections.abc import Iterator, Sequence
from pathlib import Path

from xbot.domain.drafts import Draft
from xbot.domain.errors import GeneratorFailed
from xbot.domain.guard import similarity
from xbot.domain.links import without_mentions
from xbot.domain.mentions import mention
from xbot.domain.policy import PlatformName
from xbot.domain.text import clean_untrusted, word_stems
from xbot.generate.bank_file import (
    BUILT_IN,
    Bank,
    BankEntry,
    load_bank,
    template_slots,
    variety,
)

__all__ = ["BUILT_IN", "Bank", "BankEntry", "BankGenerator", "choose", "load_bank", "variety"]

#: similarity to a recent reply above which a wording is passed over (the guard's default)
AVOID_SIMILARITY = 0.8
TOPIC_WEIGHT = 0.5
#: wordings compared with `avoid` at most, per reply: each comparison costs about 2 ms, and
#: a bank worn out for the window should fail fast (the guard then refuses the repeat)
MAX_WORDINGS_TRIED = 150
#: an author handle longer than this is no handle on any platform (Bluesky's limit is 253)
MAX_HANDLE_CHARACTERS = 260


class BankGenerator:
    """Writes replies from a bank file; the file is read on first use and kept."""

    name = "bank"

    def __init__(
        self,
        path: str | Path | None = None,
        *,
        platform: PlatformName,
        avoid_similarity: float = AVOID_SIMILARITY,
    ) -> None:
        self._path = path
        self._bank: Bank | None = None
        self.platform = platform
        self.avoid_similarity = avoid_similarity

    def generate(
        self,
        candidate_text: str,
        author_handle: str,
        topics: Sequence[str],
        *,
        avoid: Sequence[str] = (),
    ) -> str:
        """Return reply text, or raise GeneratorFailed (broken bank)."""
        return self.draft(candidate_text, author_handle, topics, avoid=avoid).text

    def draft(
        self,
        candidate_text: str,
        author_handle: str,
        topics: Sequence[str],
        *,
        avoid: Sequence[str] = (),
    ) -> Draft:
        """Return the chosen reply with the entry that made it."""
        if self._bank is None:
            self._bank = load_bank(self._path)
        return choose(
            self._bank, candidate_text, author_handle, topics,
            platform=self.platform, avoid=avoid, threshold=self.avoid_similarity,
        )  # fmt: skip

    def close(self) -> None:
        """Nothing to release."""


def choose(  # noqa: PLR0913 - the candidate, the account's platform and its recent replies
    bank: Bank,
    candidate_text: str,
    author_handle: str,
    topics: Sequence[str],
    *,
    platform: PlatformName,
    avoid: Sequence[str] = (),
    threshold: float = AVOID_SIMILARITY,
) -> Draft:
    """Return the most relevant reply unlike every one in `avoid` (else the most relevant)."""
    present = set(word_stems(without_mentions(candidate_text)))
    author = author_mention(platform, author_handle)
    drafts = _drafts(bank, candidate_text, present, author=author, topics=topics)
    best: Draft | None = None
    for draft in itertools.islice(drafts, MAX_WORDINGS_TRIED):
        best = best or draft
        if not any(alike(draft.text, previous, threshold) for previous in avoid):
            return draft
    if best is None:
        raise GeneratorFailed(f"the reply bank {bank.source} has no entries")
    return best


def _drafts(
    bank: Bank, candidate_text: str, present: set[str], *, author: str, topics: Sequence[str]
) -> Iterator[Draft]:
    """Yield every reply the bank can write for this post, the most relevant first."""
    for entry, score in _ranked(bank.entries, present, candidate_text):
        topic = _topic(entry, topics, present)
        for text in _wordings(bank, entry, candidate_text, author=author, topic=topic):
            yield _draft(bank, entry, score, topic, text)


def alike(text: str, previous: str, threshold: float) -> bool:
    """Return True when two replies are near-duplicates read either way.

    The guard's similarity is not symmetric (difflib's ratio depends on the order), so a
    reply the guard accepts after `previous` could still count as a duplicate the other way.
    """
    return similarity(text, previous) >= threshold or similarity(previous, text) >= threshold


def author_mention(platform: PlatformName, author_handle: str) -> str:
    """Return the author as a mention on `platform`, or raise GeneratorFailed."""
    handle = clean_untrusted(author_handle, max_characters=MAX_HANDLE_CHARACTERS)
    written = mention(platform, handle)
    if written is None:
        raise GeneratorFailed(
            f"the author {handle[:40]!r} is not a valid {platform.value} handle; "
            "no reply can mention them"
        )
    return written


def _wordings(
    bank: Bank, entry: BankEntry, candidate_text: str, *, author: str, topic: str
) -> Iterator[str]:
    """Yield every reply the entry can write, in an order hashed from the post."""
    texts = []
    for template in entry.templates:
        names = [name for name in template_slots(template) if name in bank.slots]
        for phrases in itertools.product(*(bank.slots[name] for name in names)):
            values = {"author": author, "topic": topic, **dict(zip(names, phrases, strict=True))}
            texts.append(template.format_map(values))
    yield from sorted(texts, key=lambda text: _tie_breaker(candidate_text, text))


def _draft(bank: Bank, entry: BankEntry, score: float, topic: str, text: str) -> Draft:
    meta = {"bank": bank.source, "entry": entry.entry_id, "relevance": score, "topic": topic}
    return Draft(text=text, generator="bank", meta=meta)


def _ranked(
    entries: Sequence[BankEntry], present: set[str], text: str
) -> list[tuple[BankEntry, float]]:
    """Relevant entries first, best first; then the generic ones. Off-topic entries never."""
    scored = [(entry, _relevance(entry, present)) for entry in entries]
    relevant = [(entry, score) for entry, score in scored if score > 0]
    generic = [(entry, score) for entry, score in scored if score == 0 and not entry.keywords]
    ranked = sorted(relevant, key=lambda pair: (-pair[1], _tie_breaker(text, pair[0].entry_id)))
    ranked += sorted(generic, key=lambda pair: _tie_breaker(text, pair[0].entry_id))
    return ranked or sorted(scored, key=lambda pair: _tie_breaker(text, pair[0].entry_id))


def _relevance(entry: BankEntry, present: set[str]) -> float:
    keywords = sum(1 for phrase in entry.keywords if _mentions(phrase, present))
    topics = sum(1 for phrase in entry.topics if _mentions(phrase, present))
    return keywords + TOPIC_WEIGHT * topics


def _mentions(phrase: str, present: set[str]) -> bool:
    stems = word_stems(phrase)
    return bool(stems) and present.issuperset(stems)


def _topic(entry: BankEntry, topics: Sequence[str], present: set[str]) -> str:
    for phrase in (*topics, *entry.topics):
        if _mentions(phrase, present):
            return clean_untrusted(phrase, max_characters=60)
    fallback = (*entry.topics, *topics, "this")
    return clean_untrusted(fallback[0], max_characters=60) or "this"


def _tie_breaker(text: str, entry_id: str) -> str:
    return hashlib.sha256(f"{text}\x00{entry_id}".encode("utf-8", "replace")).hexdigest()
