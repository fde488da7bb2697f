"""The Bluesky session: tokens from createSession, kept in a store the composition root provides.

createSession is limited to 30 per 5 minutes and 300 per day per account, so the session is
persisted (the lead keeps it in `accounts.session_state`) and reused across restarts; it is
refreshed on `ExpiredToken` and replaced by a new login only when the refresh fails. Tokens are
`SecretStr` in memory and never appear in messages.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from pydantic import SecretStr


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

    def as_dict(self) -> dict[str, str]:
        """Return the session as the store keeps it."""
        return {
            "did": self.did,
            "handle": self.handle,
            "access_jwt": self.access_jwt.get_secret_value(),
            "refresh_jwt": self.refresh_jwt.get_secret_value(),
            "service": self.service,
        }

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
        )

    def secrets(self) -> list[str]:
        """Return the token values to keep out of messages."""
        return [self.access_jwt.get_secret_value(), self.refresh_jwt.get_secret_value()]
