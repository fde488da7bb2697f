"""Text hygiene: invisible and control characters, whitespace, words and graphemes.

Candidate text is untrusted: it may hide instructions in zero-width or tag characters, flip its
display order with bidi overrides, or be 10 kB of noise. Every check in xbot reads text through
these functions, so what is scored, prompted, guarded and stored is what a reader would see.
"""

from __future__ import annotations

import unicodedata

import regex

#: bidi embeddings, overrides and isolates: they reorder what a reader sees (Trojan Source)
BIDI_CONTROLS = frozenset(
    "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069",
)
#: characters that render as nothing; they can hide words, links or a smuggled message
_INVISIBLE_CLASS = (
    r"[\u00AD\u061C\u115F\u1160\u180E\u200B-\u200F\u2060-\u2065"
    r"\u206A-\u206F\u3164\uFE00-\uFE0D\uFEFF\uFFA0\uFFF9-\uFFFB"
    r"\U0001D173-\U0001D17A\U000E0000-\U000E007F\U000E0100-\U000E01EF]"
)
#: the two invisible sequences that are legitimate: emoji ZWJ sequences and subdivision flags
_KEEP = (
    r"(?P<keep>\U0001F3F4[\U000E0030-\U000E0039\U000E0061-\U000E007A]{2,6}\U000E007F"
    r"|(?<=[\p{Extended_Pictographic}\uFE0F\U0001F3FB-\U0001F3FF])\u200D"
    r"(?=\p{Extended_Pictographic}))"
)
_INVISIBLE = regex.compile(f"{_KEEP}|{_INVISIBLE_CLASS}+")
_FLAG = regex.compile(r"\U0001F3F4[\U000E0030-\U000E0039\U000E0061-\U000E007A]{2,6}\U000E007F")
_TAG = regex.compile(r"[\U000E0000-\U000E007F]")
_LINE_BREAKS = regex.compile(r"\r\n|[\r\u2028\u2029\u0085]")
_SPACES = regex.compile(r"[\t\p{Zs}]+")
_BLANK_LINES = regex.compile(r"\n{3,}")
_WORD = regex.compile(r"\w+")
_GRAPHEME = regex.compile(r"\X")
_LETTER_OR_DIGIT = regex.compile(r"[\p{L}\p{N}]")
_KEPT_CONTROLS = frozenset("\n\t\r")


def strip_invisible(text: str) -> str:
    """Remove zero-width, tag and other invisible characters, keeping emoji sequences intact."""
    return _INVISIBLE.sub(lambda match: match.group("keep") or "", text)


def normalize_whitespace(text: str) -> str:
    """Use plain spaces and newlines, collapse runs, allow one blank line, trim the ends."""
    text = _LINE_BREAKS.sub("\n", text)
    lines = (_SPACES.sub(" ", line).strip() for line in text.split("\n"))
    return _BLANK_LINES.sub("\n\n", "\n".join(lines)).strip()


def forbidden_character(text: str) -> str | None:
    """Return a description of the first control, bidi, tag or surrogate character, if any.

    Tag characters are allowed only inside a subdivision flag (England, Scotland, Wales):
    anywhere else they smuggle invisible ASCII.
    """
    for character in text:
        if character in BIDI_CONTROLS:
            return f"bidi control U+{ord(character):04X}"
        category = unicodedata.category(character)
        if category in {"Cc", "Cs", "Co"} and character not in _KEPT_CONTROLS:
            return f"control character U+{ord(character):04X}"
    tag = _TAG.search(_FLAG.sub("", text))
    return f"tag character U+{ord(tag.group()):05X}" if tag else None


def normalize_text(text: str) -> str:
    """Return the NFC form without invisible characters and with tidy whitespace (idempotent)."""
    # strip before composing: "e", ZWSP, U+0301 must become "é" in one pass, not two
    return normalize_whitespace(unicodedata.normalize("NFC", strip_invisible(text)))


def clean_untrusted(text: str, *, max_characters: int = 2000) -> str:
    """Make untrusted text safe to score, prompt and store: no controls, bidi or invisibles."""
    text = "".join(_safe_character(character) for character in text[: max_characters * 4])
    text = normalize_text(text)
    if len(text) <= max_characters:
        return text
    cut = 0
    for grapheme in _GRAPHEME.finditer(text):
        if grapheme.end() > max_characters - 1:
            break
        cut = grapheme.end()
    return text[:cut].rstrip() + "\u2026"


def _safe_character(character: str) -> str:
    if character in BIDI_CONTROLS:
        return ""
    category = unicodedata.category(character)
    if category in {"Cs", "Co"}:
        return ""
    if category == "Cc" and character not in _KEPT_CONTROLS:
        return " "
    return character


def words(text: str) -> list[str]:
    """Return the casefolded words of `text`, in order."""
    return [word.casefold() for word in _WORD.findall(text)]


def stem(word: str) -> str:
    """Return a crude singular form, so "bots" matches "bot" (not "class" and "clas")."""
    if len(word) > 3 and word.endswith("s") and not word.endswith("ss"):
        return word[:-1]
    return word


def word_stems(text: str) -> list[str]:
    """Return the stems of the casefolded words of `text`, in order."""
    return [stem(word) for word in words(text)]


def grapheme_count(text: str) -> int:
    """Return the number of user-perceived characters (extended grapheme clusters)."""
    return len(_GRAPHEME.findall(text))


def has_words(text: str) -> bool:
    """Return True when `text` contains a letter or a digit (not only emoji or punctuation)."""
    return _LETTER_OR_DIGIT.search(text) is not None
