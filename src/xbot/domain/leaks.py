"""Secrets in a reply: configured values, known key formats and random-looking tokens.

A hostile model may echo the key it was called with, or invent one that looks real; either is
refused. What a finding reports is the kind and the length of what matched, never the text.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache

import regex

from xbot.domain.obfuscation import collapse_spaced, skeleton, unconfused

#: a configured secret leaks when a run of this many of its (normalised) characters appears
#: that holds a digit, or any run of MIN_LETTERS_FRAGMENT; shorter secrets must appear whole
MIN_SECRET_FRAGMENT = 8
MIN_LETTERS_FRAGMENT = 12
#: tokens shorter than this are never judged by their entropy; "/" ends a token, so URL paths
#: are judged segment by segment (base64 keys with "/" are AWS-shaped, found by format)
ENTROPY_MIN_LENGTH = 20
#: Shannon entropy, in bits per character, at or above which a token is random-looking. English
#: words and identifiers of 20+ characters score 2.8-3.4; 20+ random base64/hex characters
#: score 3.6-4.4 (log2 of the distinct characters they hold), so 3.5 separates the two.
ENTROPY_BITS_PER_CHARACTER = 3.5
#: hexadecimal has 16 symbols (at most 4 bits per character): 20+ random hex digits score 3.2-4
HEX_BITS_PER_CHARACTER = 3.0
#: a letters-only token looks random when this share of its letters are capitals
UPPER_SHARE = (0.25, 0.75)

#: known credential shapes, read on the NFKC form (case kept: several formats depend on it)
KEY_FORMATS: dict[str, regex.Pattern[str]] = {
    "openai_key": regex.compile(
        r"(?<![a-z0-9])sk-(?:proj-|svcacct-|admin-|ant-)?[\w-]{16,}", regex.I
    ),
    "aws_access_key_id": regex.compile(
        r"(?<![A-Z0-9])(?:AKIA|ASIA|ABIA|ACCA|A3T[A-Z0-9])[A-Z0-9]{16}(?![A-Z0-9])"
    ),
    "aws_secret_key": regex.compile(
        r"(?<![A-Za-z0-9/+=])(?=[A-Za-z0-9/+=]*[0-9/+])(?=[A-Za-z0-9/+=]*[A-Z])"
        r"(?=[A-Za-z0-9/+=]*[a-z])[A-Za-z0-9/+=]{40}(?![A-Za-z0-9/+=])"
    ),
    "github_token": regex.compile(
        r"(?<![a-z0-9])(?:gh[pousr]_[A-Za-z0-9]{20,}|github_pat_\w{20,})", regex.I
    ),
    "slack_token": regex.compile(r"(?<![a-z0-9])xox[abposre]-[A-Za-z0-9-]{10,}", regex.I),
    "stripe_key": regex.compile(r"(?<![a-z0-9])(?:sk|rk)_(?:live|test)_[A-Za-z0-9]{10,}", regex.I),
    "google_api_key": regex.compile(r"AIza[\w-]{30,}"),
    "jwt": regex.compile(r"eyJ[\w-]{5,}\.eyJ[\w-]{5,}\.?[\w-]*"),
    "pem_block": regex.compile(
        r"-{3,}\s*BEGIN[A-Z ]*(?:KEY|CERTIFICATE|PRIVATE)[A-Z ]*-{3,}"
        r"|BEGIN (?:[A-Z]+ )*PRIVATE KEY",
        regex.I,
    ),
    "x_bearer_token": regex.compile(r"A{10,}[A-Za-z0-9%]{20,}"),
    "x_access_token": regex.compile(r"(?<!\d)\d{5,20}-[A-Za-z0-9]{20,}"),
    "bluesky_app_password": regex.compile(
        r"(?<![a-z0-9])(?:[a-z2-7]{4}-){3}[a-z2-7]{4}(?![a-z0-9])"
    ),
    "mastodon_token": regex.compile(r"(?<![\w-])(?=[\w-]*\d)(?=[\w-]*[A-Z])[\w-]{43}(?![\w-])"),
    "private_key_hex": regex.compile(r"(?<![0-9a-f])(?:0x)?[0-9a-f]{64}(?![0-9a-f])", regex.I),
}
#: formats also searched with every space and separator removed ("s k - p r o j ...")
_COMPACT_FORMATS = ("openai_key", "aws_access_key_id", "github_token", "slack_token", "jwt")
_TOKEN = regex.compile(rf"[A-Za-z0-9+=_\-]{{{ENTROPY_MIN_LENGTH},}}")
_HEX = regex.compile(r"[0-9a-f]+|[0-9A-F]+")
_DIGIT, _LETTER = regex.compile(r"[0-9]"), regex.compile(r"[A-Za-z]")
_NOT_ALNUM = regex.compile(r"[^a-z0-9]+")
_SPACES = regex.compile(r"\s+")


@dataclass(frozen=True, kw_only=True, slots=True)
class Leak:
    """A secret found in a reply: what kind, and how long the match was (never its text)."""

    kind: str
    length: int

    def describe(self) -> str:
        """Return a detail safe to store: e.g. `openai_key, 51 characters`."""
        return f"{self.kind}, {self.length} characters"


def find_leak(text: str, secret_values: Iterable[str] = ()) -> Leak | None:
    """Return the first secret in `text`: a configured value, a key format or a random token."""
    return configured_leak(text, tuple(secret_values)) or format_leak(text) or entropy_leak(text)


def configured_leak(text: str, secret_values: tuple[str, ...]) -> Leak | None:
    """Return a Leak when a configured secret, or MIN_SECRET_FRAGMENT of it, is in `text`."""
    reply = comparable(text)
    for fragments in _fragments(secret_values):
        for fragment in fragments:
            if fragment in reply:
                return Leak(kind="configured_secret", length=len(fragment))
    return None


def comparable(text: str) -> str:
    """Return the form secrets are compared in: look-alikes folded, only letters and digits."""
    return str(_NOT_ALNUM.sub("", skeleton(text)))


@cache
def _fragments(secret_values: tuple[str, ...]) -> tuple[tuple[str, ...], ...]:
    return tuple(_secret_fragments(comparable(value)) for value in secret_values)


def _secret_fragments(secret: str) -> tuple[str, ...]:
    """Return the runs of a normalised secret that count as leaking it.

    Runs of MIN_SECRET_FRAGMENT that hold a digit, and every run of MIN_LETTERS_FRAGMENT:
    a weak secret such as "db-password-9" must not forbid the word "password".
    """
    if len(secret) < MIN_SECRET_FRAGMENT:
        return (secret,) if secret else ()
    short = (secret[i : i + MIN_SECRET_FRAGMENT] for i in range(len(secret)))
    found = {run for run in short if len(run) == MIN_SECRET_FRAGMENT and _DIGIT.search(run)}
    size = min(MIN_LETTERS_FRAGMENT, len(secret))
    found.update(secret[i : i + size] for i in range(len(secret) - size + 1))
    return tuple(sorted(found, key=lambda run: (-len(run), run)))  # longest first


def format_leak(text: str) -> Leak | None:
    """Return a Leak when `text` holds a known credential format, spaced out or not."""
    folded = unconfused(text)
    for kind, pattern in KEY_FORMATS.items():
        match = pattern.search(folded)
        if match:
            return Leak(kind=kind, length=len(match.group()))
    compact = _SPACES.sub("", folded)
    for kind in _COMPACT_FORMATS:
        match = KEY_FORMATS[kind].search(compact)
        if match:
            return Leak(kind=kind, length=len(match.group()))
    return None


def entropy_leak(text: str) -> Leak | None:
    """Return a Leak for a long token that mixes character classes and looks random.

    Tokens are read as written and with spaced-out characters joined ("s-k-9-j-Z-w...").
    """
    folded = unconfused(text)
    for token in _TOKEN.findall(f"{folded} {collapse_spaced(folded)}"):
        core = token.strip("-_=+")
        threshold = HEX_BITS_PER_CHARACTER if _HEX.fullmatch(core) else ENTROPY_BITS_PER_CHARACTER
        if len(core) >= ENTROPY_MIN_LENGTH and _mixed(core) and shannon_entropy(core) >= threshold:
            return Leak(kind="high_entropy_token", length=len(core))
    return None


def shannon_entropy(token: str) -> float:
    """Return the Shannon entropy of the token's characters, in bits per character."""
    counts = Counter(token)
    total = len(token)
    return -sum(count / total * math.log2(count / total) for count in counts.values())


def _mixed(token: str) -> bool:
    """Return True for letters mixed with digits, or cases mixed the way random text mixes them.

    CamelCase words ("AbstractSingletonProxyFactoryBean") have a capital every 5-8 letters;
    random letters are about half capitals, hence the UPPER_SHARE bounds.
    """
    if _DIGIT.search(token) and _LETTER.search(token):
        return True
    letters = _LETTER.findall(token)
    share = sum(1 for letter in letters if letter.isupper()) / max(len(letters), 1)
    return UPPER_SHARE[0] <= share <= UPPER_SHARE[1]
