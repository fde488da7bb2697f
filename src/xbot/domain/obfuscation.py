"""Undoing the disguises hostile text wears: look-alike letters, leetspeak, spaced-out letters.

Detectors read text through these forms, so "Ign0re  prev1ous", "i g n o r e" and a Cyrillic
letter in place of a Latin one read as the words a reader sees. Every form is lossy on purpose:
it is only ever searched, never posted.
"""

from __future__ import annotations

import unicodedata

import regex

from xbot.domain.text import strip_invisible

#: look-alike letters NFKC leaves alone (Cyrillic, Greek, small capitals) -> the Latin letter
_CONFUSABLE_PAIRS = {
    "a": "\u0430\u03b1\u1d00\u0251",
    "b": "\u0432\u0184\u03b2\u0299\u044c",
    "c": "\u0441\u03f2\u1d04\u217d",
    "d": "\u0501\u1d05\u217e",
    "e": "\u0435\u0454\u03b5\u1d07\u0451",
    "g": "\u0261\u0262\u0581",
    "h": "\u04bb\u043d\u029c\u0570",
    "i": "\u0456\u03b9\u026a\u0131\u04cf\u2170\u0457",
    "j": "\u0458\u1d0a\u03f3",
    "k": "\u043a\u03ba\u1d0b",
    "l": "\u04cf\u029f\u2113\u217c",
    "m": "\u043c\u1d0d\u217f",
    "n": "\u0578\u043f\u03b7\u0274",
    "o": "\u043e\u03bf\u1d0f\u0585\u03c3",
    "p": "\u0440\u03c1\u1d18",
    "q": "\u051b\u0566",
    "r": "\u0433\u0280\u1d26",
    "s": "\u0455\ua731",
    "t": "\u0442\u03c4\u1d1b",
    "u": "\u03c5\u1d1c\u057d\u0446",
    "v": "\u03bd\u1d20\u0475\u2174",
    "w": "\u0461\u051d\u1d21\u03c9",
    "x": "\u0445\u03c7\u2179",
    "y": "\u0443\u04af\u028f\u03b3",
    "z": "\u1d22",
}
#: capital look-alikes, for forms that keep case (key formats such as AKIA... depend on it)
_CAPITAL_PAIRS = {
    "A": "\u0410\u0391",
    "B": "\u0412\u0392",
    "C": "\u0421\u03f9",
    "E": "\u0415\u0395",
    "H": "\u041d\u0397",
    "I": "\u0406\u0399\u04c0",
    "J": "\u0408",
    "K": "\u041a\u039a",
    "M": "\u041c\u039c",
    "N": "\u039d",
    "O": "\u041e\u039f",
    "P": "\u0420\u03a1",
    "S": "\u0405",
    "T": "\u0422\u03a4",
    "X": "\u0425\u03a7",
    "Y": "\u04ae\u03a5",
    "Z": "\u0396",
}
CONFUSABLES = str.maketrans(
    {source: latin for latin, sources in _CONFUSABLE_PAIRS.items() for source in sources}
)
CONFUSABLES_CASED = str.maketrans(
    {
        source: latin
        for pairs in (_CONFUSABLE_PAIRS, _CAPITAL_PAIRS)
        for latin, sources in pairs.items()
        for source in sources
    }
)
#: digits and symbols written for letters; applied only where detectors read words
LEETSPEAK = str.maketrans(
    {"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t", "8": "b", "@": "a", "$": "s"}
)
#: "1" and "|" read as "l" as often as "i": "fo11ow", "he|p"
LEETSPEAK_L = str.maketrans({"1": "l", "|": "l"})
_MARKS = regex.compile(r"\p{Mn}+")
#: two or more single characters joined by one separator, between spaces: "i.g.n.o.r.e", "m-e"
_JOINED_BY = regex.compile(
    r"(?<![^\s(\[\"'])(?:[^\s][._*\u00b7/-]){1,}[^\s](?=[.,!?;:'\")\]]*(?:\s|$))"
)
_JOINER = regex.compile(r"(?<=[^\s])[._*\u00b7/-](?=[^\s])")
#: two or more single characters, each followed by one space: "e v i l . c o m", "m y"
_SPACED = regex.compile(r"(?<![^\s(\[\"'])(?:[^\s] ){1,}[^\s](?=[.,!?;:'\")\]]*(?:\s|$))")
#: a whole run of word characters (with @ and $, which leetspeak uses for letters)
_LEET_WORD = regex.compile(r"(?<![\w@$])[\w@$]+")
_LEETY = regex.compile(r"[a-z@$]")
_DIGIT = regex.compile(r"\d")
_NOT_WORD = regex.compile(r"[^\w.,!?;:'\n]+")
_NOT_LETTER = regex.compile(r"[^a-z]+")
_SPACE_RUN = regex.compile(r"[ \t]+")


def unconfused(text: str) -> str:
    """Return NFKC text without invisibles, look-alike letters made Latin, case kept."""
    return unicodedata.normalize("NFKC", strip_invisible(text)).translate(CONFUSABLES_CASED)


def skeleton(text: str) -> str:
    """Return NFKC, casefolded text without invisibles, accents or look-alike letters."""
    folded = unicodedata.normalize("NFKC", strip_invisible(text)).casefold()
    unmarked = _MARKS.sub("", unicodedata.normalize("NFD", folded.translate(CONFUSABLES)))
    return unicodedata.normalize("NFC", unmarked).translate(CONFUSABLES)


def collapse_spaced(text: str) -> str:
    """Join runs of single characters spaced out by one separator ("e v i l" -> "evil")."""
    joined = _JOINED_BY.sub(lambda match: _JOINER.sub("", match.group()), text)
    return str(_SPACED.sub(lambda match: match.group().replace(" ", ""), joined))


def word_forms(text: str) -> tuple[str, ...]:
    """Return the words a reader sees: skeleton, leetspeak undone, spacing collapsed.

    The first form undoes leetspeak in words that hold a letter ("y0ur") and in lone digits
    ("me 4 pm"); when the text has other digits, a second form reads every digit as a letter
    ("70 my" -> "to my"), and a third reads "1" and "|" as "l" instead of "i" ("fo11ow").
    """
    collapsed = collapse_spaced(skeleton(text))
    forms = [_unleet(collapsed)]
    if _DIGIT.search(collapsed):
        forms.append(_tidy(collapsed.translate(LEETSPEAK)))
    if "1" in collapsed or "|" in collapsed:
        forms.append(_unleet(collapsed.translate(LEETSPEAK_L)))
    return tuple(dict.fromkeys(forms))


def _unleet(text: str) -> str:
    return _tidy(_LEET_WORD.sub(_unleet_word, text))


def _unleet_word(match: regex.Match[str]) -> str:
    """Undo leetspeak in a word with a letter ("y0ur") or a lone digit ("me 4 pm", not "3.11")."""
    word, text = match.group(), match.string
    lone_digit = (
        len(word) == 1
        and word.isdigit()
        and text[match.start() - 1 : match.start()] != "."
        and text[match.end() : match.end() + 1] != "."
    )
    return word.translate(LEETSPEAK) if lone_digit or _LEETY.search(word) else word


def _tidy(text: str) -> str:
    return str(_SPACE_RUN.sub(" ", _NOT_WORD.sub(" ", text)).strip())


def joined_form(text: str) -> str:
    """Return only the letters of the word form, with no spaces ("i-g-n-o-r-e" -> "ignore")."""
    return str(_NOT_LETTER.sub("", skeleton(text).translate(LEETSPEAK)))
