"""The Bluesky session: tokens from createSession, kept in a store the composition root provides.

createSession is limited to 30 per 5 minutes and 300 per day per account, so the session is
persisted (the lead keeps it in `accounts.session_state`) and reused across restarts; it is
refreshed on `ExpiredToken` and replaced by a new login only when the refresh fails. Tokens are
`SecretStr` in memory and never appear in messages.

The session also names the account's PDS: the `#atproto_pds` service of the DID document that
createSession and refreshSession answer with (`didDoc`). The login goes to the configured base
URL (e.g. the bsky.social entryway); every other call goes to that PDS, so accounts hosted on
another PDS (self-hosted, or a bsky.network mushroom) work. A PDS over plain http is refused
after a login over https (the tokens would travel in clear text): the calls stay at the base URL.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any, Protocol
from urllib.parse import unquote, urlsplit

from pydantic import SecretStr

#: the DID document service entry of an account's PDS
PDS_SERVICE_ID = "#atproto_pds"
PDS_SERVICE_TYPE = "AtprotoPersonalDataServer"
#: where did:plc documents are published
DEFAULT_PLC_DIRECTORY = "https://plc.directory"
PLC_DID = re.compile(r"did:plc:[a-z2-7]{24}")
#: the host of a did:web atproto accepts (a hostname, a port only percent-encoded; no path)
WEB_HOST = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?(?::[0-9]{1,5})?")


class SessionStore(Protocol):
    """Where the adapter keeps its session between runs (e.g. `accounts.session_state`)."""

    def load(self) -> Mapping[str, Any] | None:
        """Return the saved session, or None."""
        ...

    def save(self, session: Mapping[str, Any]) -> None:
        """Replace the saved session (called after every login and refresh)."""
        ...


class MemorySessionStore:
    """A SessionStore in memory, for tests, the demo and one-off commands."""

    def __init__(self, initial: Mapping[str, Any] | None = None) -> None:
        self.saved: dict[str, Any] | None = dict(initial) if initial else None
        self.saves = 0

    def load(self) -> Mapping[str, Any] | None:
        """Return the saved session, or None."""
        return self.saved

    def save(self, session: Mapping[str, Any]) -> None:
        """Keep the session."""
        self.saved = dict(session)
        self.saves += 1


@dataclass(frozen=True, kw_only=True, slots=True)
class Session:
    """One logged-in session of the account on one service."""

    did: str
    handle: str
    access_jwt: SecretStr
    refresh_jwt: SecretStr
    #: the base URL the session belongs to; a session of another service is not reused
    service: str
    #: the account's PDS from its DID document (no trailing slash); None: use `service`
    pds: str | None = None

    @property
    def endpoint(self) -> str:
        """Return where the account's calls go: its PDS, else the service it logged in at."""
        return self.pds or self.service

    def as_dict(self) -> dict[str, str]:
        """Return the session as the store keeps it."""
        saved = {
            "did": self.did,
            "handle": self.handle,
            "access_jwt": self.access_jwt.get_secret_value(),
            "refresh_jwt": self.refresh_jwt.get_secret_value(),
            "service": self.service,
        }
        return saved | ({"pds": self.pds} if self.pds else {})

    @classmethod
    def from_dict(cls, data: Mapping[str, Any] | None, *, service: str) -> Session | None:
        """Read a stored session; None when absent, malformed or for another service."""
        if not data or data.get("service") != service:
            return None
        values = [data.get(name) for name in ("did", "handle", "access_jwt", "refresh_jwt")]
        if not all(isinstance(value, str) and value for value in values):
            return None
        return cls(
            did=str(data["did"]),
            handle=str(data["handle"]),
            access_jwt=SecretStr(str(data["access_jwt"])),
            refresh_jwt=SecretStr(str(data["refresh_jwt"])),
            service=service,
            pds=_same_or_safer(web_origin(data.get("pds")), service),
        )

    @classmethod
    def from_answer(cls, body: Mapping[str, Any], *, service: str) -> Session | None:
        """Read a createSession / refreshSession answer; None when it lacks a field."""
        names = ("did", "handle", "accessJwt", "refreshJwt")
        if not all(isinstance(body.get(name), str) and body.get(name) for name in names):
            return None
        return cls(
            did=str(body["did"]),
            handle=str(body["handle"]),
            access_jwt=SecretStr(str(body["accessJwt"])),
            refresh_jwt=SecretStr(str(body["refreshJwt"])),
            service=service,
            pds=_same_or_safer(pds_endpoint(body.get("didDoc")), service),
        )

    def with_did_document(self, did_doc: object) -> Session:
        """Return this session with the PDS a resolved DID document names (if it names one)."""
        return replace(self, pds=_same_or_safer(pds_endpoint(did_doc), self.service) or self.pds)

    def secrets(self) -> list[str]:
        """Return the token values to keep out of messages."""
        return [self.access_jwt.get_secret_value(), self.refresh_jwt.get_secret_value()]


def pds_endpoint(did_doc: object) -> str | None:
    """Return the `#atproto_pds` service endpoint of a DID document, or None."""
    services = did_doc.get("service") if isinstance(did_doc, Mapping) else None
    for service in services if isinstance(services, list) else []:
        if not isinstance(service, Mapping):
            continue
        named = str(service.get("id", "")).endswith(PDS_SERVICE_ID)
        if named and service.get("type") == PDS_SERVICE_TYPE:
            return web_origin(service.get("serviceEndpoint"))
    return None


def did_document_url(did: str, plc_directory: str = DEFAULT_PLC_DIRECTORY) -> str | None:
    """Return where a DID's document is published: the PLC directory, or did:web's well-known."""
    if PLC_DID.fullmatch(did):
        return f"{plc_directory.rstrip('/')}/{did}"
    host = unquote(did.removeprefix("did:web:")) if did.startswith("did:web:") else ""
    return f"https://{host}/.well-known/did.json" if WEB_HOST.fullmatch(host) else None


def web_origin(value: object) -> str | None:
    """Return an http(s) base URL without a trailing slash, or None for anything else."""
    if not isinstance(value, str):
        return None
    parts = urlsplit(value.strip())
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        return None
    return value.strip().rstrip("/")


def _same_or_safer(pds: str | None, service: str) -> str | None:
    """Refuse a PDS over plain http when the login was over https: tokens never downgrade."""
    if pds and pds.startswith("http://") and service.startswith("https://"):
        return None
    return pds
