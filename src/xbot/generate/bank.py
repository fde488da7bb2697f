"""The `bank` generator: operator-curated replies in a TOML file, chosen by relevance.

    [[reply]]
    id = "packaging-start"                      # unique; stored in generator_meta
    text = "Good question, @{author}! ..."      # slots: {author}, {topic}; {{ and }} for braces
    keywords = ["package", "pyproject"]        # words or phrases; none = a generic reply
    topics = ["python packaging"]              # optional: topics this reply speaks to

Deterministic and offline: the same candidate always gets the same reply. Entries are ranked by
how many of their keywords (and, at half weight, topics) the post contains; ties are broken by a
hash of the post text and the entry id. Entries whose reply would repeat a recent reply are passed
over, so a small bank rotates instead of tripping the guard's duplicate check.
"""

from __future__ import annotations

import hashlib
import string
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from xbot.domain.drafts import Draft
from xbot.domain.errors import GeneratorFailed
from xbot.domain.guard import similarity
from xbot.domain.links import without_mentions
from xbot.domain.text import clean_untrusted, word_stems

SLOTS = frozenset({"author", "topic"})
ENTRY_KEYS = frozenset({"id", "text", "keywords", "topics"})
BUILT_IN = "built-in bank"
#: similarity to a recent reply above which an entry is passed over (the guard's default)
AVOID_SIMILARITY = 0.8
TOPIC_WEIGHT = 0.5


@dataclass(frozen=True, kw_only=True, slots=True)
class BankEntry:
    """One curated reply."""

    entry_id: str
    text: str
    keywords: tuple[str, ...] = ()
    topics: tuple[str, ...] = ()


@dataclass(frozen=True, kw_only=True, slots=True)
class Bank:
    """The entries of one bank file, and where they came from."""

    entries: tuple[BankEntry, ...]
    source: str


def load_bank(path: str | Path | None = None) -> Bank:
    """Read and check a bank file (None or "" = the built-in bank), or raise GeneratorFailed."""
    source = str(path) if path else BUILT_IN
    try:
        if path:
            raw = Path(path).read_text(encoding="utf-8")
        else:
            raw = resources.files("xbot.generate").joinpath("default_bank.toml").read_text("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise GeneratorFailed(f"cannot read the reply bank {source}: {_describe(exc)}") from None
    try:
        data = tomllib.loads(raw)
    except tomllib.TOMLDecodeError as exc:
        raise GeneratorFailed(f"the reply bank {source} is not valid TOML: {exc}") from None
    return Bank(entries=_entries(data, source), source=source)


def _describe(exc: Exception) -> str:
    return exc.strerror if isinstance(exc, OSError) and exc.strerror else type(exc).__name__


def _entries(data: Mapping[str, Any], source: str) -> tuple[BankEntry, ...]:
    rows = data.get("reply")
    if not isinstance(rows, list) or not rows:
        raise GeneratorFailed(f"the reply bank {source} has no [[reply]] entries")
    entries = tuple(_entry(row, number, source) for number, row in enumerate(rows, start=1))
    ids = [entry.entry_id for entry in entries]
    duplicated = sorted({entry_id for entry_id in ids if ids.count(entry_id) > 1})
    if duplicated:
        raise GeneratorFailed(f"the reply bank {source} repeats the id {duplicated[0]!r}")
    return entries


def _entry(row: object, number: int, source: str) -> BankEntry:
    where = f"the reply bank {source}, entry {number}"
    if not isinstance(row, dict):
        raise GeneratorFailed(f"{where} is not a table")
    unknown = sorted(set(row) - ENTRY_KEYS)
    if unknown:
        raise GeneratorFailed(
            f"{where} has unknown key {unknown[0]!r} (allowed: id, text, keywords, topics)"
        )
    text = row.get("text")
    if not isinstance(text, str) or not text.strip():
        raise GeneratorFailed(f"{where} needs a non-empty text")
    _check_template(text, where)
    return BankEntry(
        entry_id=str(row.get("id") or f"entry-{number}"),
        text=text,
        keywords=_strings(row.get("keywords", []), f"{where}: keywords"),
        topics=_strings(row.get("topics", []), f"{where}: topics"),
    )


def _check_template(text: str, where: str) -> None:
    try:
        fields = [parsed for parsed in string.Formatter().parse(text) if parsed[1] is not None]
    except ValueError as exc:
        raise GeneratorFailed(
            f"{where} has a broken template: {exc} (write {{{{ for a brace)"
        ) from None
    for _literal, name, spec, conversion in fields:
        if name not in SLOTS or spec or conversion:
            raise GeneratorFailed(
                f"{where} uses the slot {{{name}}}; only {{author}} and {{topic}} exist"
            )


def _strings(value: object, where: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise GeneratorFailed(f"{where} must be a list of strings")
    return tuple(item for item in value if item.strip())


class BankGenerator:
    """Writes replies from a bank file; the file is read on first use and kept."""

    name = "bank"

    def __init__(self, path: str | Path | None = None) -> None:
        self._path = path
        self._bank: Bank | None = None

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
        return choose(self._bank, candidate_text, author_handle, topics, avoid=avoid)

    def close(self) -> None:
        """Nothing to release."""


def choose(
    bank: Bank,
    candidate_text: str,
    author_handle: str,
    topics: Sequence[str],
    *,
    avoid: Sequence[str] = (),
) -> Draft:
    """Return the most relevant entry's reply that does not repeat one in `avoid`."""
    present = set(word_stems(without_mentions(candidate_text)))
    ranked = _ranked(bank.entries, present, candidate_text)
    author = clean_untrusted(author_handle, max_characters=100).lstrip("@")
    renders = [(entry, score, _topic(entry, topics, present)) for entry, score in ranked]
    for entry, score, topic in renders:
        text = entry.text.format(author=author, topic=topic)
        if not any(similarity(text, previous) >= AVOID_SIMILARITY for previous in avoid):
            return _draft(bank, entry, score, topic, text)
    entry, score, topic = renders[0]
    return _draft(bank, entry, score, topic, entry.text.format(author=author, topic=topic))


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
