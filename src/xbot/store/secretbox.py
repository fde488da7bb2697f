"""Encryption of `accounts.session_state` at rest: Fernet, keys from XBOT_SECRET_KEY.

The column holds `{"fernet": "<token>"}`, the token sealing the whole JSON state. A row written
before encryption (plain JSON, no key set when 0005 ran) is read as it is and sealed on its next
write; `xbot secrets rotate` seals every row with the newest key.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from pydantic import SecretStr

from xbot.config import secret_keys
from xbot.domain.errors import SecretKeyMissing, SecretKeyWrong

#: the one key of an encrypted `session_state` value
SEALED = "fernet"


def generate_key() -> str:
    """Return a new random Fernet key."""
    return Fernet.generate_key().decode("ascii")


def is_sealed(stored: Any) -> bool:
    """Whether a stored `session_state` value is encrypted."""
    return isinstance(stored, Mapping) and set(stored) == {SEALED}


class SessionCipher:
    """Seals and opens session state with XBOT_SECRET_KEY's keys (the first one seals)."""

    def __init__(self, secret_key: SecretStr | None) -> None:
        keys = secret_keys(secret_key)
        self._fernet = MultiFernet([Fernet(key) for key in keys]) if keys else None

    @property
    def has_key(self) -> bool:
        """Whether a key is configured."""
        return self._fernet is not None

    def seal(self, state: Mapping[str, Any]) -> dict[str, str]:
        """Return the stored form of `state`, or raise SecretKeyMissing."""
        token = self._require().encrypt(json.dumps(dict(state), sort_keys=True).encode())
        return {SEALED: token.decode("ascii")}

    def open(self, stored: Any) -> dict[str, Any]:
        """Return the state from its stored form; legacy plain JSON is returned as it is."""
        if not stored:
            return {}
        if not is_sealed(stored):
            return dict(stored)
        try:
            plain = self._require().decrypt(str(stored[SEALED]).encode("ascii"))
        except InvalidToken:
            raise SecretKeyWrong from None
        value = json.loads(plain)
        return dict(value) if isinstance(value, dict) else {}

    def reseal(self, stored: Any) -> dict[str, str] | None:
        """Return `stored` sealed with the newest key (None for an empty state)."""
        state = self.open(stored)
        return self.seal(state) if state else None

    def _require(self) -> MultiFernet:
        if self._fernet is None:
            raise SecretKeyMissing
        return self._fernet
