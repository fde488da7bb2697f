"""The fake Mastodon's apps and OAuth endpoints, in front of whatever serves the REST API.

Our own router (it does not depend on mastodon-mock, so it stays if the REST fake changes):

- `POST /api/v1/apps` (form or JSON) -> an Application with client_id/client_secret;
- `GET /oauth/authorize` shows the consent page; its form posts back and redirects to the
  app's `redirect_uri` with `code` and `state`;
- `POST /oauth/token` `grant_type=authorization_code` -> `{access_token, token_type: "Bearer",
  scope, created_at}` (tokens do not expire) [MD methods/oauth.md];
- `GET /api/v1/apps/verify_credentials` -> the token's Application with its `scopes` (4.3+).

A token issued here acts as its user with the scopes granted: a request outside them answers
403 `{"error": "This action is outside the authorized scopes"}`, and an allowed one reaches the
REST fake with the user's own seeded token in its place.
"""

from __future__ import annotations

import html
import json
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.types import ASGIApp, Receive, Scope, Send

from xbot.sim.core.world import UnknownUserError, World

#: the scopes a seeded token has (the world's users signed up before xbot)
FULL_SCOPES = ("read", "write", "follow", "push")
KNOWN_SCOPES = frozenset((
    *FULL_SCOPES, "profile", "read:accounts", "read:notifications", "read:statuses",
    "read:search", "write:statuses", "write:accounts", "write:media",
))  # fmt: skip
#: (method, path prefix, path suffix) -> any of these scopes allows the call
REQUIRED_SCOPES: tuple[tuple[str, str, str, frozenset[str]], ...] = (
    (
        "GET",
        "/api/v1/accounts/verify_credentials",
        "",
        frozenset({"read", "read:accounts", "profile"}),
    ),
    ("GET", "/api/v1/accounts/", "/statuses", frozenset({"read", "read:statuses"})),
    ("GET", "/api/v1/notifications", "", frozenset({"read", "read:notifications"})),
    ("GET", "/api/v1/statuses", "", frozenset({"read", "read:statuses"})),
    ("GET", "/api/v2/search", "", frozenset({"read", "read:search"})),
    ("POST", "/api/v1/statuses", "", frozenset({"write", "write:statuses"})),
    ("DELETE", "/api/v1/statuses", "", frozenset({"write", "write:statuses"})),
    ("PATCH", "/api/v1/accounts/update_credentials", "", frozenset({"write", "write:accounts"})),
)
OUTSIDE_SCOPES = {"error": "This action is outside the authorized scopes"}
INVALID_GRANT = {
    "error": "invalid_grant",
    "error_description": "The provided authorization grant is invalid, expired, revoked, does "
    "not match the redirection URI used in the authorization request, or was issued to "
    "another client.",
}
INVALID_CLIENT = {
    "error": "invalid_client",
    "error_description": "Client authentication failed due to unknown client, no client "
    "authentication included, or unsupported authentication method.",
}


@dataclass(frozen=True, kw_only=True, slots=True)
class _App:
    client_id: str
    client_secret: str
    name: str
    website: str | None
    redirect_uris: tuple[str, ...]
    scopes: tuple[str, ...]


@dataclass(frozen=True, kw_only=True, slots=True)
class _Grant:
    handle: str
    client_id: str
    redirect_uri: str
    scopes: tuple[str, ...]


class MastodonOAuth:
    """ASGI app: answers the apps/OAuth routes, checks issued tokens' scopes, passes the rest."""

    def __init__(self, inner: ASGIApp, world: World, token_of: Callable[[str], str]) -> None:
        self.inner = inner
        self.world = world
        self.token_of = token_of
        self._lock = threading.Lock()
        self._apps: dict[str, _App] = {}
        self._codes: dict[str, _Grant] = {}
        self._tokens: dict[str, tuple[_Grant, _App]] = {}

    def reset(self) -> None:
        """Forget every app, code and issued token."""
        with self._lock:
            self._apps.clear()
            self._codes.clear()
            self._tokens.clear()

    def handle_of(self, token: str) -> str | None:
        """Return the user an issued token acts for, if it may read (the streaming API)."""
        with self._lock:
            issued = self._tokens.get(token)
        if issued is None or not {"read", "read:notifications", "read:statuses"} & set(
            issued[0].scopes
        ):
            return None
        return issued[0].handle

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Route one request."""
        if scope["type"] != "http":
            await self.inner(scope, receive, send)
            return
        handler = self._handler(scope["method"], scope["path"])
        if handler is not None:
            response = await handler(Request(scope, receive))
            await response(scope, receive, send)
            return
        refusal = self._swap_token(scope)
        if refusal is not None:
            await refusal(scope, receive, send)
            return
        await self.inner(scope, receive, send)

    def _handler(self, method: str, path: str) -> Callable[[Request], Any] | None:
        routes = {
            ("POST", "/api/v1/apps"): self.register,
            ("GET", "/oauth/authorize"): self.page,
            ("POST", "/oauth/authorize"): self.decide,
            ("POST", "/oauth/token"): self.token,
            ("GET", "/api/v1/apps/verify_credentials"): self.app_credentials,
        }
        return routes.get((method, path))

    async def register(self, request: Request) -> Response:
        """`POST /api/v1/apps`."""
        body = await _fields(request)
        name = str(body.get("client_name", "")).strip()
        uris = body.get("redirect_uris", "")
        listed = tuple(uris if isinstance(uris, list) else str(uris).split())
        scopes = tuple(str(body.get("scopes") or "read").split())
        if not name:
            return _error("Validation failed: Application name can't be blank", 422)
        if not listed or not all(_absolute(uri) for uri in listed):
            return _error("Validation failed: Redirect URI must be an absolute URI.", 422)
        if set(scopes) - KNOWN_SCOPES:
            return _error("Validation failed: Scopes are invalid", 422)
        app = _App(
            client_id=secrets.token_urlsafe(32), client_secret=secrets.token_urlsafe(32),
            name=name, website=str(body["website"]) if body.get("website") else None,
            redirect_uris=listed, scopes=scopes,
        )  # fmt: skip
        with self._lock:
            self._apps[app.client_id] = app
        return JSONResponse({
            "id": str(len(self._apps)), "name": app.name, "website": app.website,
            "scopes": list(app.scopes), "redirect_uri": "\n".join(app.redirect_uris),
            "redirect_uris": list(app.redirect_uris), "client_id": app.client_id,
            "client_secret": app.client_secret, "vapid_key": "",
        })  # fmt: skip

    async def page(self, request: Request) -> Response:
        """`GET /oauth/authorize`: the consent page."""
        params = dict(request.query_params)
        problem = self._authorize_problem(params)
        if problem:
            return _page("An error has occurred", problem, 400)
        fields = "".join(
            f'<input type="hidden" name="{html.escape(k)}" value="{html.escape(v)}">'
            for k, v in params.items()
        )
        form = (
            f'<form method="post">{fields}<label>Signed in as <input name="username"></label>'
            '<button name="decision" value="allow">Authorize</button>'
            '<button name="decision" value="deny">Deny</button></form>'
        )
        return _page("Authorization required", form, 200)

    async def decide(self, request: Request) -> Response:
        """Answer the consent form: a redirect with a code, or `access_denied`."""
        form = {key: str(value) for key, value in (await request.form()).items()}
        problem = self._authorize_problem(form)
        if problem:
            return _page("An error has occurred", problem, 400)
        state = {"state": form["state"]} if form.get("state") else {}
        if form.get("decision") != "allow":
            return _redirect(form["redirect_uri"], {"error": "access_denied", **state})
        try:
            handle = self.world.user(form.get("username", "")).handle
        except UnknownUserError:
            return _page("An error has occurred", "Invalid username or password.", 400)
        code = secrets.token_urlsafe(32)
        scopes = tuple((form.get("scope") or "read").split())
        with self._lock:
            self._codes[code] = _Grant(
                handle=handle, client_id=form["client_id"],
                redirect_uri=form["redirect_uri"], scopes=scopes,
            )  # fmt: skip
        return _redirect(form["redirect_uri"], {"code": code, **state})

    async def token(self, request: Request) -> Response:
        """`POST /oauth/token` with an authorization code."""
        form = {key: str(value) for key, value in (await _fields(request)).items()}
        with self._lock:
            app = self._apps.get(form.get("client_id", ""))
            grant = self._codes.pop(form.get("code", ""), None)
        if app is None or not secrets.compare_digest(
            app.client_secret, form.get("client_secret", "")
        ):
            return JSONResponse(INVALID_CLIENT, status_code=401)
        if form.get("grant_type") != "authorization_code":
            return JSONResponse({"error": "unsupported_grant_type"}, status_code=400)
        if (
            grant is None
            or grant.client_id != app.client_id
            or grant.redirect_uri != form.get("redirect_uri")
        ):
            return JSONResponse(INVALID_GRANT, status_code=400)
        token = secrets.token_urlsafe(32)
        with self._lock:
            self._tokens[token] = (grant, app)
        return JSONResponse({
            "access_token": token, "token_type": "Bearer",
            "scope": " ".join(grant.scopes), "created_at": int(time.time()),
        })  # fmt: skip

    async def app_credentials(self, request: Request) -> Response:
        """`GET /api/v1/apps/verify_credentials`: the token's app and scopes."""
        token = _bearer(request.headers.get("authorization", ""))
        with self._lock:
            issued = self._tokens.get(token)
        if issued is not None:
            grant, app = issued
            return JSONResponse(
                {"name": app.name, "website": app.website, "scopes": list(grant.scopes)}
            )
        if token and any(token == self.token_of(user.handle) for user in self.world.everyone):
            return JSONResponse({"name": "seeded", "website": None, "scopes": list(FULL_SCOPES)})
        return _error("The access token is invalid", 401)

    def _authorize_problem(self, params: dict[str, str]) -> str:
        with self._lock:
            app = self._apps.get(params.get("client_id", ""))
        if app is None:
            return "Client authentication failed due to unknown client."
        if params.get("response_type") != "code":
            return "The authorization server does not support this response type."
        if params.get("redirect_uri") not in app.redirect_uris:
            return "The requested redirect uri is malformed or doesn't match client redirect URI."
        if set((params.get("scope") or "read").split()) - set(_expanded(app.scopes)):
            return "The requested scope is invalid, unknown, or malformed."
        return ""

    def _swap_token(self, scope: Scope) -> Response | None:
        """Put the user's seeded token in place of an issued one, or refuse outside its scopes."""
        headers: list[tuple[bytes, bytes]] = list(scope.get("headers", []))
        found = [value for name, value in headers if name == b"authorization"]
        token = _bearer(found[0].decode("latin-1")) if found else ""
        with self._lock:
            issued = self._tokens.get(token)
        if issued is None:
            return None
        grant, _ = issued
        allowed = _allowed(scope["method"], scope["path"])
        if allowed is not None and not allowed & set(grant.scopes):
            return JSONResponse(OUTSIDE_SCOPES, status_code=403)
        seeded = f"Bearer {self.token_of(grant.handle)}".encode("latin-1")
        scope["headers"] = [
            (name, seeded if name == b"authorization" else value) for name, value in headers
        ]
        return None


def _allowed(method: str, path: str) -> frozenset[str] | None:
    for verb, prefix, suffix, scopes in REQUIRED_SCOPES:
        if method == verb and path.startswith(prefix) and path.endswith(suffix):
            return scopes
    return None


def _expanded(scopes: tuple[str, ...]) -> set[str]:
    """Return the scopes an app may ask for: a parent (`read`) allows its children."""
    return {*scopes, *(s for s in KNOWN_SCOPES if s.split(":")[0] in scopes)}


async def _fields(request: Request) -> dict[str, Any]:
    if request.headers.get("content-type", "").startswith("application/json"):
        try:
            body = json.loads(await request.body() or b"{}")
        except ValueError:
            return {}
        return body if isinstance(body, dict) else {}
    raw = (await request.body()).decode("utf-8", "replace")
    return dict(parse_qsl(raw))


def _bearer(header: str) -> str:
    return header.removeprefix("Bearer ").strip() if header.startswith("Bearer ") else ""


def _absolute(uri: str) -> bool:
    parts = urlsplit(uri)
    return uri == "urn:ietf:wg:oauth:2.0:oob" or bool(parts.scheme and parts.netloc)


def _redirect(uri: str, params: dict[str, str]) -> Response:
    joiner = "&" if "?" in uri else "?"
    return RedirectResponse(uri + joiner + urlencode(params), status_code=302)


def _error(message: str, status: int) -> Response:
    return JSONResponse({"error": message}, status_code=status)


def _page(title: str, body: str, status: int) -> Response:
    text = f"<!doctype html><title>{html.escape(title)}</title><h1>{html.escape(title)}</h1>{body}"
    return HTMLResponse(text, status_code=status)
