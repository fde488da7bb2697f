"""Who may see and steer the console: the admin token, signed session cookies and CSRF tokens.

The login form trades XBOT_ADMIN_TOKEN for a session cookie (HMAC-signed with a key derived from
the token, HttpOnly, SameSite=Strict) that carries the session's CSRF token; every POST made
with the cookie must send that CSRF token back (form field `csrf` or header `X-CSRF-Token`).
API clients send `Authorization: Bearer <token>` instead: a header a browser never adds by
itself, so those requests need no CSRF token.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass

SESSION_COOKIE = "xbot_session"
#: the login form's own CSRF token (double-submit: cookie and form field must match)
LOGIN_COOKIE = "xbot_login"
SESSION_SECONDS = 12 * 3600


@dataclass(frozen=True, kw_only=True, slots=True)
class Visitor:
    """What one request may do."""

    #: it may read every page and, with a matching CSRF token, act
    authenticated: bool = False
    #: it authenticated with the bearer token (no CSRF token needed)
    bearer: bool = False
    #: the CSRF token of its session, when it has one
    csrf: str | None = None
    #: a session cookie to set on the answer (the tokenless local console hands one out)
    new_cookie: str | None = None


class Sessions:
    """Issues and checks signed session cookies; tokenless, every visitor is admitted."""

    def __init__(self, token: str | None) -> None:
        self.token = token
        material = token.encode() if token else secrets.token_bytes(32)
        self._key = hashlib.sha256(b"xbot-console-session\0" + material).digest()

    @property
    def open(self) -> bool:
        """Return True for the tokenless local console: no login, CSRF still checked."""
        return self.token is None

    def token_matches(self, presented: str) -> bool:
        """Return True when `presented` is the admin token (constant time)."""
        if self.token is None:
            return False
        return hmac.compare_digest(presented.strip().encode(), self.token.encode())

    def issue(self, now: float | None = None) -> tuple[str, str]:
        """Return a new session cookie value and its CSRF token."""
        csrf = secrets.token_urlsafe(24)
        expires = int((now or time.time()) + SESSION_SECONDS)
        payload = f"{expires}.{csrf}"
        return f"{payload}.{self._sign(payload)}", csrf

    def read(self, cookie: str | None, now: float | None = None) -> str | None:
        """Return the CSRF token of a valid, unexpired cookie, else None."""
        if not cookie or cookie.count(".") != 2:
            return None
        expires, csrf, signature = cookie.split(".")
        if not hmac.compare_digest(signature, self._sign(f"{expires}.{csrf}")):
            return None
        if not expires.isdigit() or int(expires) < (now or time.time()):
            return None
        return csrf

    def visitor(self, authorization: str | None, cookie: str | None) -> Visitor | None:
        """Return what the request may do; None for a wrong bearer token (answer 401)."""
        scheme, _, presented = (authorization or "").strip().partition(" ")
        if scheme.casefold() == "bearer" and not self.open:
            return (
                Visitor(authenticated=True, bearer=True) if self.token_matches(presented) else None
            )
        csrf = self.read(cookie)
        if csrf is not None:
            return Visitor(authenticated=True, csrf=csrf)
        if self.open:
            value, csrf = self.issue()
            return Visitor(authenticated=True, csrf=csrf, new_cookie=value)
        return Visitor()

    def _sign(self, payload: str) -> str:
        digest = hmac.new(self._key, payload.encode(), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def csrf_matches(visitor: Visitor, presented: str | None) -> bool:
    """Return True when a POST may proceed: bearer, or the session's CSRF token sent back."""
    if visitor.bearer:
        return True
    if visitor.csrf is None or not presented:
        return False
    return hmac.compare_digest(presented.encode(), visitor.csrf.encode())
