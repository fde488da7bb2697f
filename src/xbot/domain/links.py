"""Links, mentions and cashtags as a reader (or a platform's linkifier) would see them.

The link finder is deliberately wider than twitter-text's: anything twitter-text would turn into a
link is found here too (same top-level domains, any scheme), plus obfuscated dots such as
`evil[.]com` and full-width forms. It is linear in the text length; twitter-text's own URL regex
backtracks for seconds on a few hundred characters like `a.a.a.a`.
"""

from __future__ import annotations

import importlib.util
import re
import unicodedata
from collections.abc import Iterable
from functools import cache
from pathlib import Path

import regex

from xbot.domain.obfuscation import collapse_spaced, skeleton

_SCHEME = regex.compile(r"\b[a-z][a-z0-9+.-]{1,20}://\S*|\bwww\.\S+|\bhxxps?\S*")
_DOTTED = regex.compile(r"(?<![\w-])[\w-]+(?:\.[\w-]+)+")
_IPV4 = regex.compile(r"\d{1,3}(?:\.\d{1,3}){3}")
_OBFUSCATED_DOT = regex.compile(r"\s?[\[\(\{]\s*(?:\.|dot)\s*[\]\)\}]\s?")
_DOT_VARIANTS = str.maketrans({"\u3002": ".", "\uff61": ".", "\u2024": ".", "\uff0e": "."})
_MENTION = regex.compile(r"(?<![\w@!#$%&*])@(\w(?:[\w.-]*\w)?)(?:@(\w(?:[\w.-]*\w)?))?")
_DOMAIN_CONTINUES = frozenset("0123456789abcdefghijklmnopqrstuvwxyz@+-")
_LONGEST_TLD = 30
#: spelled-out or spaced dots before a domain-like word: "evil dot com", "evil . com"
_SPOKEN_DOT = regex.compile(
    r"(?<=\w)(?:\s*[\[\(\{<]\s*(?:\.|dot|d0t)\s*[\]\)\}>]\s*|\s+(?:dot|d0t)\s+|\s+\.\s*)"
    r"(?=[a-z]{2,}(?![\w-])|\d{1,3}(?![\w-]))"
)
#: dot-like symbols written between two words with no space: "evil\u2022com", "evil\u00b7com"
_SYMBOL_DOT = regex.compile(r"(?<=\w)[\u00b7\u2022\u2219\u22c5\u30fb\u2027\u2981](?=\w)")
#: "evil. com": after a full stop and a space, only the domains spammers use (a sentence may
#: start with a word that is also a top-level domain: "Thanks. So ...")
_SPACED_DOT = regex.compile(
    r"(?<=\w)\.\s+(?=(?:com|net|org|io|xyz|ru|info|biz|ly|gg|cc|tk|top|site|online|click|link"
    r"|shop|cn|su|pw|ws|to)(?![\w-]))"
)
_DEFANGED_SCHEME = regex.compile(r"\bh(?:xx|\*\*|tt)p(s?)\s*(?:\[:\]|:)\s*/\s*/")
_HOST_OF_URL = regex.compile(r"^(?:[a-z][a-z0-9+.-]*://|www\.)?(?:[^@/\s]*@)?([^/:?#\s]+)")
_CASHTAG = regex.compile(r"(?<![\w$])\$[a-z][a-z0-9_]{0,5}(?:[._][a-z]{1,2})?(?!\w)")


@cache
def top_level_domains() -> frozenset[str]:
    """Return every top-level domain twitter-text links, lower case."""
    names: set[str] = set()
    for compiled in (_twitter_text_pattern("valid_gtld"), _twitter_text_pattern("valid_cctld")):
        alternatives = compiled.pattern.split("(?:(?:", 1)[1].split(")(?=", 1)[0]
        names.update(name.casefold() for name in alternatives.split("|") if name)
    return frozenset(names)


def _twitter_text_pattern(name: str) -> re.Pattern[str]:
    """Load one of twitter-text's TLD modules without importing its package.

    The package's `__init__` compiles every twitter-text regex (~0.5 s); the TLD lists need none
    of that, and `xbot certify` reads them to check replies' links.
    """
    package = importlib.util.find_spec("twitter_text")
    if package is None or not package.submodule_search_locations:  # pragma: no cover - a dependency
        raise ModuleNotFoundError("twitter_text")
    path = Path(next(iter(package.submodule_search_locations))) / "regexp" / f"{name}.py"
    spec = importlib.util.spec_from_file_location(f"_xbot_tld_{name}", path)
    if spec is None or spec.loader is None:  # pragma: no cover - the file ships with the wheel
        raise ModuleNotFoundError(name)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    pattern: re.Pattern[str] = getattr(module, name)
    return pattern


def scan_form(text: str) -> str:
    """Return the NFKC-folded, casefolded text that detectors read (full-width @ and dots too)."""
    folded = unicodedata.normalize("NFKC", text).translate(_DOT_VARIANTS).casefold()
    return _OBFUSCATED_DOT.sub(".", folded)


def find_links(text: str, *, skip_mentions: bool = True) -> list[str]:
    """Return everything in `text` that is or would be shown as a link.

    A Bluesky handle (`@ann.bsky.social`) is a mention, not a link, and the guard's mention
    check judges it; `skip_mentions=False` reports it too (X would link `ann.bsky.social`).
    """
    folded = scan_form(text)
    found = _SCHEME.findall(folded)
    rest = _SCHEME.sub(" ", folded)
    if skip_mentions:
        rest = _MENTION.sub(" ", rest)
    found.extend(run for run in _DOTTED.findall(rest) if _is_host(run))
    return found


def find_disguised_links(text: str, *, allowed_domains: Iterable[str] = ()) -> list[str]:
    """Return the links in `text` in any spelling, except those on `allowed_domains`.

    Besides what find_links sees: "evil dot com", "evil . com", "hxxp[:]//", letters spaced out
    ("e v i l . c o m"). A real mention (`@ann.bsky.social`) is never read as a link, but
    mentions are removed before undisguising, so "@ann dot evil dot com" still is one.
    """
    allowed = tuple(domain.casefold().strip(".") for domain in allowed_domains if domain.strip())
    plain = find_links(text)
    folded = _MENTION.sub(" ", skeleton(text).translate(_DOT_VARIANTS))
    undisguised = _undisguised(folded)
    forms = (undisguised, collapse_spaced(undisguised), _undisguised(collapse_spaced(folded)))
    found = [*plain, *(link for form in forms for link in find_links(form, skip_mentions=False))]
    return [link for link in dict.fromkeys(found) if not _allowed(link_host(link), allowed)]


def _undisguised(text: str) -> str:
    undotted = _SPACED_DOT.sub(".", _SPOKEN_DOT.sub(".", _SYMBOL_DOT.sub(".", text)))
    return str(_DEFANGED_SCHEME.sub(r"http\1://", undotted))


def link_host(link: str) -> str:
    """Return the host name of a found link (`https://a.example/x` -> `a.example`)."""
    match = _HOST_OF_URL.match(link.casefold().replace("hxxp", "http", 1))
    return match.group(1).strip(".") if match else link


def _allowed(host: str, allowed: tuple[str, ...]) -> bool:
    return any(host == domain or host.endswith("." + domain) for domain in allowed)


def _is_host(run: str) -> bool:
    if _IPV4.fullmatch(run):
        return True
    return any(_has_tld(label) for label in run.split(".")[1:])


def _has_tld(label: str) -> bool:
    """Return True when the label starts with a top-level domain that twitter-text would end.

    twitter-text ends a domain at any character outside [0-9a-zA-Z@+-], so `comé` links `com`.
    """
    if label.startswith("xn--"):
        return True
    tlds = top_level_domains()
    for end in range(1, min(len(label), _LONGEST_TLD) + 1):
        if label[:end] in tlds and (end == len(label) or label[end] not in _DOMAIN_CONTINUES):
            return True
    return False


def find_mentions(text: str) -> list[str]:
    """Return the mentioned handles, casefolded, without "@" (`user` or `user@instance`)."""
    return [
        "@".join(part for part in match.groups() if part)
        for match in _MENTION.finditer(scan_form(text))
    ]


def without_mentions(text: str) -> str:
    """Return `text` with every @mention replaced by a space (our own handle is not a topic)."""
    return str(_MENTION.sub(" ", scan_form(text)))


def find_cashtags(text: str) -> list[str]:
    """Return the cashtags ($TSLA) in `text`, casefolded."""
    return _CASHTAG.findall(scan_form(text))


def same_handle(mention: str, handle: str) -> bool:
    """Return True when a mention names `handle` (a Mastodon mention may omit the instance)."""
    mention = mention.casefold().lstrip("@")
    handle = handle.casefold().lstrip("@")
    if mention == handle:
        return True
    mention_user, _, mention_instance = mention.partition("@")
    handle_user, _, _ = handle.partition("@")
    return not mention_instance and mention_user == handle_user
