"""Sessions of the fake Bluesky: app passwords, JWTs on the fake clock, refresh rotation.

Access and refresh tokens are real JWTs (HS256 over the world's secret), so clients that read
`exp` (the atproto SDK does) see the fake clock's expiry. An expired access token answers
400 `ExpiredToken`; a used refresh token stops working after a grace period (rotation); an
admin revocation invalidates every token issued before it (platform-facts §2.1, §4).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
from dataclasses import dataclass
from typing import Any

from xbot.sim.core.clock import SimClock
from xbot.sim.core.world import World

ACCESS_SCOPE = "com.atproto.appPass"
REFRESH_SCOPE = "com.atproto.refresh"
SERVICE_DID = "did:web:bsky.sim"
#: refresh tokens live 90 days on the reference PDS
REFRESH_SECONDS = 90 * 86400


class AuthProblemError(Exception):
    """A request's credentials are refused; carries Bluesky's status and error name."""

    def __init__(self, status: int, error: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.error = error
        self.message = message


def missing_auth() -> AuthProblemError:
    """401: no credentials at all."""
    return AuthProblemError(401, "AuthenticationRequired", "Authentication Required")


@dataclass(frozen=True, kw_only=True, slots=True)
class Claims:
    """What a verified token says."""

    did: str
    scope: str
    jti: str
    iat: int
    exp: int


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class BlueskyAuth:
    """App passwords, token issue and verification for every account of one fake."""

    def __init__(
        self,
        world: World,
        clock: SimClock,
        *,
        access_seconds: float,
        refresh_grace_seconds: float,
    ) -> None:
        self.world = world
        self.clock = clock
        self.access_seconds = access_seconds
        self.refresh_grace_seconds = refresh_grace_seconds
        self._key = world.secret("bluesky-jwt-signing-key", 48).encode()
        self._lock = threading.Lock()
        self._counter = 0
        self._used_refresh: dict[str, float] = {}
        self._issued: dict[str, set[str]] = {}
        self._revoked: set[str] = set()

    def reset(self) -> None:
        """Forget rotations and revocations."""
        with self._lock:
            self._used_refresh.clear()
            self._issued.clear()
            self._revoked.clear()

    def app_password(self, handle: str) -> str:
        """Return the app password of a world user: `xxxx-xxxx-xxxx-xxxx`."""
        raw = self.world.secret(f"bluesky-app-password:{handle.lower()}", 16).lower()
        return "-".join(raw[index : index + 4] for index in range(0, 16, 4))

    def password_matches(self, handle: str, password: str) -> bool:
        """Whether `password` is the user's app password."""
        return hmac.compare_digest(self.app_password(handle), password)

    def issue(self, did: str) -> dict[str, str]:
        """Return a fresh `accessJwt` / `refreshJwt` pair."""
        now = int(self.clock.timestamp())
        access = self._sign(
            "at+jwt", did, ACCESS_SCOPE, now, now + max(int(self.access_seconds), 1)
        )
        refresh = self._sign("refresh+jwt", did, REFRESH_SCOPE, now, now + REFRESH_SECONDS)
        return {"accessJwt": access, "refreshJwt": refresh}

    def check_access(self, token: str) -> Claims:
        """Verify an access token; raise AuthProblemError as Bluesky would answer."""
        claims = self._verify(token)
        if claims.scope != ACCESS_SCOPE:
            raise AuthProblemError(400, "InvalidToken", "Bad token scope")
        return claims

    def rotate(self, token: str) -> Claims:
        """Verify a refresh token and use it up (after the grace period it stops working)."""
        claims = self._verify(token)
        if claims.scope != REFRESH_SCOPE:
            raise AuthProblemError(400, "InvalidToken", "Invalid token type")
        now = self.clock.timestamp()
        with self._lock:
            used_at = self._used_refresh.get(claims.jti)
            grace = self.refresh_grace_seconds
            if used_at is not None and (grace <= 0 or now > used_at + grace):
                raise AuthProblemError(400, "ExpiredToken", "Token has been revoked")
            self._used_refresh.setdefault(claims.jti, now)
        return claims

    def revoke(self, did: str) -> None:
        """Invalidate every token of `did` issued up to now."""
        with self._lock:
            self._revoked |= self._issued.pop(did, set())

    def _sign(self, typ: str, did: str, scope: str, iat: int, exp: int) -> str:
        with self._lock:
            self._counter += 1
            counter = self._counter
        jti = hashlib.sha256(self._key + f":{counter}:{did}".encode()).hexdigest()[:24]
        with self._lock:
            self._issued.setdefault(did, set()).add(jti)
        header = {"typ": typ, "alg": "HS256"}
        payload: dict[str, Any] = {
            "scope": scope, "sub": did, "aud": SERVICE_DID, "jti": jti, "iat": iat, "exp": exp,
        }  # fmt: skip
        signing_input = ".".join(
            _b64(json.dumps(part, separators=(",", ":")).encode()) for part in (header, payload)
        )
        signature = hmac.new(self._key, signing_input.encode(), hashlib.sha256).digest()
        return f"{signing_input}.{_b64(signature)}"

    def _verify(self, token: str) -> Claims:
        try:
            signing_input, signature = token.rsplit(".", 1)
            payload = json.loads(_unb64(signing_input.split(".", 1)[1]))
            expected = hmac.new(self._key, signing_input.encode(), hashlib.sha256).digest()
            valid = hmac.compare_digest(expected, _unb64(signature))
            claims = Claims(
                did=str(payload["sub"]), scope=str(payload["scope"]), jti=str(payload["jti"]),
                iat=int(payload["iat"]), exp=int(payload["exp"]),
            )  # fmt: skip
        except (ValueError, KeyError, IndexError, TypeError):
            raise AuthProblemError(400, "InvalidToken", "Token could not be verified") from None
        if not valid:
            raise AuthProblemError(400, "InvalidToken", "Token could not be verified")
        if claims.exp <= self.clock.timestamp():
            raise AuthProblemError(400, "ExpiredToken", "Token has expired")
        with self._lock:
            revoked = claims.jti in self._revoked
        if revoked:
            raise AuthProblemError(400, "InvalidToken", "Token has been revoked")
        return claims
