"""Reading and checking a reply bank file (the format is described in `xbot.generate.bank`)."""

from __future__ import annotations

import math
import string
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from xbot.domain.errors import GeneratorFailed

#: the slots every template may use; a bank's [slots] table adds its own
BUILT_IN_SLOTS = frozenset({"author", "topic"})
ENTRY_KEYS = frozenset({"id", "text", "keywords", "topics"})
BUILT_IN = "built-in bank"


@dataclass(frozen=True, kw_only=True, slots=True)
class BankEntry:
    """One curated reply, in one or more wordings."""

    entry_id: str
    #: alternative wordings; each may use {author}, {topic} and the bank's own slots
    templates: tuple[str, ...]
    keywords: tuple[str, ...] = ()
    topics: tuple[str, ...] = ()


@dataclass(frozen=True, kw_only=True, slots=True)
class Bank:
    """The entries of one bank file, its phrase lists, and where they came from."""

    entries: tuple[BankEntry, ...]
    source: str
    #: named lists of phrases a template uses as `{name}`: one wording per phrase
    slots: Mapping[str, tuple[str, ...]] = field(default_factory=dict)


def template_slots(template: str) -> list[str]:
    """Return the slot names a (checked) template uses, in order, without repeats."""
    names = [name for _, name, _, _ in string.Formatter().parse(template) if name]
    return list(dict.fromkeys(names))


def variety(bank: Bank, entry: BankEntry) -> int:
    """Return how many replies an entry can write: its wordings times the phrases in their slots."""
    return sum(
        math.prod(len(bank.slots[name]) for name in template_slots(template) if name in bank.slots)
        for template in entry.templates
    )


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
    slots = _slots(data.get("slots", {}), source)
    return Bank(entries=_entries(data, source, slots), source=source, slots=slots)


def _describe(exc: Exception) -> str:
    return exc.strerror if isinstance(exc, OSError) and exc.strerror else type(exc).__name__


def _slots(raw: object, source: str) -> dict[str, tuple[str, ...]]:
    where = f"the reply bank {source}: [slots]"
    if not isinstance(raw, dict):
        raise GeneratorFailed(f"{where} must be a table of phrase lists")
    slots: dict[str, tuple[str, ...]] = {}
    for name, phrases in raw.items():
        if not name.isidentifier() or name in BUILT_IN_SLOTS:
            raise GeneratorFailed(
                f"{where} cannot define {name!r} (a plain name, not author/topic)"
            )
        values = _strings(phrases, f"{where}.{name}")
        if not values or any("{" in value or "}" in value for value in values):
            raise GeneratorFailed(f"{where}.{name} needs phrases, without braces")
        slots[name] = values
    return slots


def _entries(
    data: Mapping[str, Any], source: str, slots: Mapping[str, tuple[str, ...]]
) -> tuple[BankEntry, ...]:
    rows = data.get("reply")
    if not isinstance(rows, list) or not rows:
        raise GeneratorFailed(f"the reply bank {source} has no [[reply]] entries")
    entries = tuple(_entry(row, number, source, slots) for number, row in enumerate(rows, start=1))
    ids = [entry.entry_id for entry in entries]
    duplicated = sorted({entry_id for entry_id in ids if ids.count(entry_id) > 1})
    if duplicated:
        raise GeneratorFailed(f"the reply bank {source} repeats the id {duplicated[0]!r}")
    return entries


def _entry(
    row: object, number: int, source: str, slots: Mapping[str, tuple[str, ...]]
) -> BankEntry:
    where = f"the reply bank {source}, entry {number}"
    if not isinstance(row, dict):
        raise GeneratorFailed(f"{where} is not a table")
    unknown = sorted(set(row) - ENTRY_KEYS)
    if unknown:
        raise GeneratorFailed(
            f"{where} has unknown key {unknown[0]!r} (allowed: id, text, keywords, topics)"
        )
    templates = _templates(row.get("text"), where)
    for template in templates:
        _check_template(template, where, BUILT_IN_SLOTS | set(slots))
    return BankEntry(
        entry_id=str(row.get("id") or f"entry-{number}"),
        templates=templates,
        keywords=_strings(row.get("keywords", []), f"{where}: keywords"),
        topics=_strings(row.get("topics", []), f"{where}: topics"),
    )


def _templates(text: object, where: str) -> tuple[str, ...]:
    """Return the wordings; `@{author}` from older banks reads as `{author}` (a mention now)."""
    wordings = [text] if isinstance(text, str) else text
    if not isinstance(wordings, list) or not wordings:
        raise GeneratorFailed(f"{where} needs a non-empty text")
    if not all(isinstance(wording, str) and wording.strip() for wording in wordings):
        raise GeneratorFailed(f"{where} needs a non-empty text")
    return tuple(str(wording).replace("@{author}", "{author}") for wording in wordings)


def _check_template(text: str, where: str, allowed: frozenset[str] | set[str]) -> None:
    try:
        fields = [parsed for parsed in string.Formatter().parse(text) if parsed[1] is not None]
    except ValueError as exc:
        raise GeneratorFailed(
            f"{where} has a broken template: {exc} (write {{{{ for a brace)"
        ) from None
    for _literal, name, spec, conversion in fields:
        if name not in allowed or spec or conversion:
            names = ", ".join(f"{{{slot}}}" for slot in sorted(allowed))
            raise GeneratorFailed(f"{where} uses the slot {{{name}}}; only {names} exist")


def _strings(value: object, where: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise GeneratorFailed(f"{where} must be a list of strings")
    return tuple(item for item in value if item.strip())
