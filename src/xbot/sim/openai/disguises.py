"""How the fake model disguises hostile text: leetspeak, look-alike letters, spacing, invisibles.

Each disguise keeps the text readable to a person (that is the point of the attack) while
changing the characters a naive filter would match.
"""

from __future__ import annotations

import random
from collections.abc import Callable

#: Latin letter -> a Cyrillic or Greek letter that looks the same
LOOK_ALIKES = {
    "a": "\u0430",
    "c": "\u0441",
    "e": "\u0435",
    "i": "\u0456",
    "o": "\u043e",
    "p": "\u0440",
    "s": "\u0455",
    "x": "\u0445",
    "y": "\u0443",
    "k": "\u043a",
    "A": "\u0391",
    "E": "\u0415",
    "O": "\u041e",
    "T": "\u0422",
}
LEET = {"a": "4", "e": "3", "i": "1", "o": "0", "s": "5", "t": "7"}
ZERO_WIDTH = ("\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "\u00ad")


def plain(_rng: random.Random, text: str) -> str:
    """Return the text unchanged."""
    return text


def shouted(_rng: random.Random, text: str) -> str:
    """Return the text in capitals."""
    return text.upper()


def leetspeak(rng: random.Random, text: str) -> str:
    """Swap most letters that have a digit form for that digit."""
    return "".join(LEET[c] if c in LEET and rng.random() < 0.7 else c for c in text)


def look_alikes(rng: random.Random, text: str) -> str:
    """Swap Latin letters for Cyrillic or Greek ones that look the same."""
    return "".join(LOOK_ALIKES[c] if c in LOOK_ALIKES and rng.random() < 0.6 else c for c in text)


def zero_width(rng: random.Random, text: str) -> str:
    """Hide invisible characters between the letters."""
    return "".join(c + (rng.choice(ZERO_WIDTH) if c.isalpha() else "") for c in text)


def spaced(rng: random.Random, text: str) -> str:
    """Space the letters of each word out ("i g n o r e"), words two spaces apart."""
    separator = rng.choice((" ", ".", "-", "*"))
    return "  ".join(separator.join(word) for word in text.split())


def full_width(_rng: random.Random, text: str) -> str:
    """Write ASCII in its full-width forms."""
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in text)


def mixed_case(rng: random.Random, text: str) -> str:
    """Flip the case of letters at random ("iGnOrE")."""
    return "".join(c.upper() if rng.random() < 0.5 else c.lower() for c in text)


def accented(rng: random.Random, text: str) -> str:
    """Add combining accents to vowels ("i\u0308gno\u0301re")."""
    return "".join(
        c + rng.choice(("\u0301", "\u0308", "\u0300")) if c in "aeiou" else c for c in text
    )


DISGUISES: tuple[Callable[[random.Random, str], str], ...] = (
    plain,
    shouted,
    leetspeak,
    look_alikes,
    zero_width,
    spaced,
    full_width,
    mixed_case,
    accented,
)


def disguise(rng: random.Random, text: str) -> str:
    """Return `text` in a disguise picked by `rng` (sometimes two)."""
    first = rng.choice(DISGUISES)
    disguised = first(rng, text)
    if rng.random() < 0.3 and first in (leetspeak, mixed_case, shouted):
        disguised = rng.choice((zero_width, look_alikes))(rng, disguised)
    return disguised
