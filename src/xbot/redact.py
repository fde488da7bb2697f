"""The one place that masks secrets in text: URL passwords, password parameters, known values.

Everything shown to a person or written down passes through here: /ready, certify, `config show`,
log lines (xbot.logging), events (store/queries/events.py), job errors (jobs/runner.py) and error
lines (cli_support.fail). The CLI hands every configured secret value to `remember` once, so each
of those also masks the credentials, keys and tokens themselves.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import quote, unquote

#: what a masked secret reads as
MASK = "***"
#: query and connection-string parameters whose value is a secret or names where one is kept
SECRET_PARAMETERS = ("password", "sslpassword", "passfile", "passwd", "pwd")
#: schemes that follow RFC 3986 strictly: userinfo holds no /, ? or # (a database URL's may:
#: its password is taken up to the last @, so a sloppy password is still masked whole)
WEB_SCHEMES = ("http", "https")
#: known secret values shorter than this are not searched for in free text (too many false hits);
#: URL passwords and password parameters are masked whatever their length
MIN_SECRET_LENGTH = 6

_URL = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*://[^\s'\"<>`]+")
_PARAMETER_NAMES = "|".join(SECRET_PARAMETERS)
_QUERY_PARAMETER = re.compile(rf"(?i)([?&;](?:{_PARAMETER_NAMES})=)[^&#;]*")
_QUERY_VALUE = re.compile(rf"(?i)[?&;](?:{_PARAMETER_NAMES})=([^&#;]*)")
_CONNINFO_PARAMETER = re.compile(
    rf"(?i)(?<![\w?&;])((?:{_PARAMETER_NAMES})\s*=\s*)('(?:[^'\\]|\\.)*'|[^\s&;'\"]+)"
)

_MASKED_VALUE = r"\g<1>" + MASK


#: the secret values this process was configured with, longest first (see `remember`)
_remembered: tuple[str, ...] = ()


def remember(secrets: Iterable[str]) -> None:
    """Mask these configured secret values in every later redaction (the CLI calls it once)."""
    global _remembered  # noqa: PLW0603 - one process, one configuration, like logging itself
    _remembered = tuple(sorted(_searchable(secrets), key=len, reverse=True))


def redact_url(url: str) -> str:
    """Mask the password in a URL's userinfo and in its password-like query parameters."""
    scheme, separator, rest = url.partition("://")
    if not separator:
        return url
    rest = _QUERY_PARAMETER.sub(_MASKED_VALUE, rest)  # first: a masked value holds no @
    credentials, at, location = rest.rpartition("@")
    if scheme.lower() in WEB_SCHEMES and any(char in credentials for char in "/?#"):
        at = ""  # an @ in a web URL's path (a Mastodon profile), not userinfo
    user, colon, _password = credentials.partition(":")
    if at and colon:
        rest = f"{user}:{MASK}@{location}"
    return f"{scheme}://{rest}"


def url_passwords(url: str) -> list[str]:
    """Return the secret values a URL carries (its password, password parameters), decoded too."""
    _scheme, _separator, rest = url.partition("://")
    found = [match.group(1) for match in _QUERY_VALUE.finditer(rest)]
    without_query = _QUERY_VALUE.sub("", rest)
    credentials, at, _location = without_query.rpartition("@")
    _user, colon, password = credentials.partition(":")
    if at and colon:
        found.append(password)
    return [value for raw in found if raw for value in {raw, unquote(raw)}]


def redact_text(text: str, secrets: Iterable[str] = ()) -> str:
    """Mask every URL password, every `password=` parameter, `secrets` and remembered secrets."""
    masked = _URL.sub(lambda found: redact_url(found.group(0)), text)
    masked = _CONNINFO_PARAMETER.sub(_MASKED_VALUE, masked)
    for value in sorted(_searchable(secrets), key=len, reverse=True) + list(_remembered):
        masked = masked.replace(value, MASK)
    return masked


def redact_data(data: Any, secrets: Iterable[str] = ()) -> Any:
    """Return JSON-like data with every string in it passed through `redact_text`."""
    known = tuple(secrets)
    if isinstance(data, str):
        return redact_text(data, known)
    if isinstance(data, Mapping):
        return {
            key: MASK if str(key).lower() in SECRET_PARAMETERS else redact_data(value, known)
            for key, value in data.items()
        }
    if isinstance(data, list | tuple):
        return [redact_data(value, known) for value in data]
    return data


def _searchable(secrets: Iterable[str]) -> set[str]:
    """Each secret long enough to search for, as written and as a URL would encode it."""
    found: set[str] = set()
    for secret in secrets:
        if len(secret) >= MIN_SECRET_LENGTH:
            found.update({secret, quote(secret, safe=""), quote(secret)})
    return found
