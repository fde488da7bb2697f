"""The fake X's authorization endpoints: OAuth 2.0 with PKCE, and the OAuth 1.0a PIN flow.

- `GET /i/oauth2/authorize` (on x.com for real) shows the consent page; the form posts back,
  and "Authorize app" redirects to the loopback `redirect_uri` with `code` and `state`.
  The code must be exchanged within 30 s [XD oauth-2-0/authorization-code.mdx].
- `POST /2/oauth2/token` `grant_type=authorization_code` checks the client, the redirect URI
  and the PKCE verifier (S256 or plain); a refresh token comes only with `offline.access`.
- `POST /oauth/request_token` (signed by the consumer, `oauth_callback=oob`), `GET|POST
  /oauth/authorize` (shows the PIN), `POST /oauth/access_token` (signed with the request token
  and `oauth_verifier`) -> a new OAuth 1.0a pair with `user_id` and `screen_name`.

Who is "signed in" on the consent page is whoever the form names: the fake has no browser
login, so tests and `--no-browser` runs pick the bot account by handle.
"""

from __future__ import annotations

import base64
import hashlib
import html
import secrets
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING
from urllib.parse import unquote, urlencode, urlsplit

from oauthlib.common import Request as OAuthRequest
from oauthlib.oauth1.rfc5849 import signature
from oauthlib.oauth1.rfc5849.utils import parse_authorization_header
from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from xbot.domain.errors import XbotError
from xbot.sim.x import problems as x_problems
from xbot.sim.x.problems import x_json

if TYPE_CHECKING:
    from xbot.sim.x.backend import XBackend

#: an authorization code is good for 30 seconds
CODE_SECONDS = 30
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})


@dataclass(frozen=True, kw_only=True, slots=True)
class _Grant:
    user_id: str
    client_id: str
    redirect_uri: str
    scope: str
    challenge: str
    method: str
    issued_at: datetime


@dataclass(frozen=True, kw_only=True, slots=True)
class _RequestToken:
    secret: str
    user_id: str | None = None
    verifier: str | None = None


class XAuthorization:
    """Pending authorization codes and request tokens of one fake X."""

    def __init__(self, fake: XBackend) -> None:
        self.fake = fake
        self._lock = threading.Lock()
        self._codes: dict[str, _Grant] = {}
        self._request_tokens: dict[str, _RequestToken] = {}

    def routes(self) -> list[BaseRoute]:
        """Return the authorize pages and the 1.0a token endpoints."""
        return [
            Route("/i/oauth2/authorize", self.oauth2_page, methods=["GET"]),
            Route("/i/oauth2/authorize", self.oauth2_decide, methods=["POST"]),
            Route("/oauth/request_token", self.request_token, methods=["POST"]),
            Route("/oauth/authorize", self.oauth1_page, methods=["GET"]),
            Route("/oauth/authorize", self.oauth1_decide, methods=["POST"]),
            Route("/oauth/access_token", self.access_token, methods=["POST"]),
        ]

    # --- OAuth 2.0 with PKCE ---

    async def oauth2_page(self, request: Request) -> Response:
        """Show the consent page; refuse an unknown client or a redirect not registered."""
        params = dict(request.query_params)
        problem = self._oauth2_problem(params)
        if problem:
            return _page("Something went wrong", f"<p>{html.escape(problem)}</p>", 400)
        app_name = "xbot onboarding"
        return _consent_page(f"Authorize {app_name} to access your account?", params)

    async def oauth2_decide(self, request: Request) -> Response:
        """Answer the consent form: redirect to the client with a code, or an error."""
        form = {key: str(value) for key, value in (await request.form()).items()}
        problem = self._oauth2_problem(form)
        if problem:
            return _page("Something went wrong", f"<p>{html.escape(problem)}</p>", 400)
        state = {"state": form["state"]} if form.get("state") else {}
        if form.get("decision") != "allow":
            return _redirect(form["redirect_uri"], {"error": "access_denied", **state})
        try:
            user = self.fake.store.user_by_handle(form.get("username", ""))
        except XbotError:
            return _page("Something went wrong", "<p>No such account.</p>", 400)
        code = secrets.token_urlsafe(48)
        with self._lock:
            self._codes[code] = _Grant(
                user_id=user.user_id, client_id=form["client_id"],
                redirect_uri=form["redirect_uri"], scope=form.get("scope", ""),
                challenge=form["code_challenge"],
                method=form.get("code_challenge_method", "plain"),
                issued_at=self.fake.clock.now(),
            )  # fmt: skip
        return _redirect(form["redirect_uri"], {**state, "code": code})

    def exchange_code(self, form: dict[str, str], authorization: str | None) -> Response:
        """`grant_type=authorization_code`: the code, once, within 30 s, with its verifier."""
        with self._lock:
            grant = self._codes.pop(form.get("code", ""), None)
        client_id = form.get("client_id") or _basic_user(authorization)
        invalid = x_json(x_problems.oauth_error("Value passed for the token was invalid."), 400)
        if grant is None or client_id != grant.client_id:
            return invalid
        if self.fake.clock.now() > grant.issued_at + timedelta(seconds=CODE_SECONDS):
            return invalid
        if form.get("redirect_uri") != grant.redirect_uri:
            return invalid
        if not _pkce_matches(form.get("code_verifier", ""), grant.challenge, grant.method):
            return invalid
        access, refresh = self.fake.auth.grant(grant.user_id, grant.scope)
        body: dict[str, object] = {
            "token_type": "bearer",
            "expires_in": int(self.fake.settings.access_token_seconds),
            "access_token": access,
            "scope": grant.scope,
        }
        if refresh:
            body["refresh_token"] = refresh
        return x_json(body)

    def _oauth2_problem(self, params: dict[str, str]) -> str:
        if params.get("response_type") != "code":
            return "response_type must be code"
        if params.get("client_id") != self.fake.auth.client_id:
            return "This app is not known: check the client id"
        if not _loopback(params.get("redirect_uri", "")):
            return "The redirect_uri is not a registered callback URL of this app"
        if not params.get("code_challenge"):
            return "code_challenge is required"
        if params.get("code_challenge_method", "plain") not in {"S256", "plain"}:
            return "code_challenge_method must be S256 or plain"
        return ""

    # --- OAuth 1.0a PIN flow ---

    async def request_token(self, request: Request) -> Response:
        """Signed by the consumer alone; only `oob` (PIN) callbacks are accepted here."""
        oauth = await self._signed(request, token_secret="")
        if oauth is None or oauth.get("oauth_callback") != "oob":
            return _oauth1_refused()
        token = secrets.token_urlsafe(24)
        with self._lock:
            self._request_tokens[token] = _RequestToken(secret=secrets.token_urlsafe(30))
            secret = self._request_tokens[token].secret
        body = {"oauth_token": token, "oauth_token_secret": secret}
        return PlainTextResponse(urlencode({**body, "oauth_callback_confirmed": "true"}))

    async def oauth1_page(self, request: Request) -> Response:
        """Show the consent page for a request token."""
        token = request.query_params.get("oauth_token", "")
        with self._lock:
            known = token in self._request_tokens
        if not known:
            return _page("Something went wrong", "<p>This page is no longer valid.</p>", 400)
        return _consent_page(
            "Authorize xbot onboarding to use your account?", {"oauth_token": token}
        )

    async def oauth1_decide(self, request: Request) -> Response:
        """Show the PIN to type into the application."""
        form = {key: str(value) for key, value in (await request.form()).items()}
        token = form.get("oauth_token", "")
        try:
            user = self.fake.store.user_by_handle(form.get("username", ""))
        except XbotError:
            return _page("Something went wrong", "<p>No such account.</p>", 400)
        pin = f"{secrets.randbelow(10**7):07d}"
        with self._lock:
            pending = self._request_tokens.get(token)
            if pending is None or form.get("decision") != "allow":
                return _page("Authorization denied", "<p>Return to the application.</p>", 200)
            self._request_tokens[token] = _RequestToken(
                secret=pending.secret, user_id=user.user_id, verifier=pin
            )
        body = (
            "<p>Next, return to the application and enter this PIN:</p>"
            f"<code id='oauth_pin'>{pin}</code>"
        )
        return _page("You've granted access", body, 200)

    async def access_token(self, request: Request) -> Response:
        """Trade the authorized request token and its PIN for an access token pair."""
        header = request.headers.get("authorization", "")
        params = _oauth_params(header)
        with self._lock:
            pending = self._request_tokens.get(params.get("oauth_token", ""))
        if pending is None or pending.user_id is None:
            return _oauth1_refused()
        oauth = await self._signed(request, token_secret=pending.secret)
        if oauth is None or oauth.get("oauth_verifier") != pending.verifier:
            return _oauth1_refused()
        with self._lock:
            self._request_tokens.pop(params["oauth_token"], None)
        token, secret = self.fake.auth.grant_oauth1(pending.user_id)
        user = self.fake.store.user(pending.user_id)
        body = {
            "oauth_token": token, "oauth_token_secret": secret,
            "user_id": pending.user_id, "screen_name": user.handle if user else "",
        }  # fmt: skip
        return PlainTextResponse(urlencode(body))

    async def _signed(self, request: Request, *, token_secret: str) -> dict[str, str] | None:
        """Return the OAuth parameters of a request signed with the consumer (and token) secret."""
        header = request.headers.get("authorization", "")
        if not header.startswith("OAuth "):
            return None
        oauth = _oauth_params(header)
        body = (await request.body()).decode("latin-1")
        form = "application/x-www-form-urlencoded" in request.headers.get("content-type", "")
        checked = OAuthRequest(str(request.url), request.method, body if form else "", {})
        checked.params = signature.collect_parameters(
            uri_query=request.url.query, body=body if form else None,
            headers={"Authorization": header},
        )  # fmt: skip
        checked.signature = oauth.get("oauth_signature", "")
        auth = self.fake.auth
        if oauth.get("oauth_consumer_key") != auth.consumer_key:
            return None
        if not auth.use_nonce(auth.consumer_key, oauth.get("oauth_timestamp", ""),
                              oauth.get("oauth_nonce", ""), 600):  # fmt: skip
            return None
        if not signature.verify_hmac_sha1(checked, auth.consumer_secret, token_secret):
            return None
        return oauth


def _oauth_params(header: str) -> dict[str, str]:
    """Return the Authorization header's OAuth parameters, percent-decoded."""
    if not header.startswith("OAuth "):
        return {}
    return {key: unquote(value) for key, value in parse_authorization_header(header)}


def _basic_user(header: str | None) -> str | None:
    if not header or not header.startswith("Basic "):
        return None
    try:
        return base64.b64decode(header.removeprefix("Basic ")).decode().partition(":")[0]
    except ValueError:
        return None


def _pkce_matches(verifier: str, challenge: str, method: str) -> bool:
    if method == "S256":
        digest = hashlib.sha256(verifier.encode("ascii", "replace")).digest()
        return base64.urlsafe_b64encode(digest).decode().rstrip("=") == challenge
    return bool(verifier) and secrets.compare_digest(verifier, challenge)


def _loopback(uri: str) -> bool:
    parts = urlsplit(uri)
    return parts.scheme == "http" and (parts.hostname or "") in LOOPBACK_HOSTS


def _redirect(uri: str, params: dict[str, str]) -> Response:
    joiner = "&" if "?" in uri else "?"
    return RedirectResponse(uri + joiner + urlencode(params), status_code=302)


def _oauth1_refused() -> Response:
    body = {"errors": [{"code": 32, "message": "Could not authenticate you."}]}
    return x_json(body, 401)


def _consent_page(title: str, hidden: dict[str, str]) -> Response:
    fields = "".join(
        f'<input type="hidden" name="{html.escape(name)}" value="{html.escape(value)}">'
        for name, value in hidden.items()
    )
    form = (
        f'<form method="post">{fields}'
        '<label>Signed in as <input name="username"></label>'
        '<button name="decision" value="allow">Authorize app</button>'
        '<button name="decision" value="deny">Cancel</button></form>'
    )
    return _page(title, form, 200)


def _page(title: str, body: str, status: int) -> Response:
    text = f"<!doctype html><title>{html.escape(title)}</title><h1>{html.escape(title)}</h1>{body}"
    return HTMLResponse(text, status_code=status)
