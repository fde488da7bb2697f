"""The console: a Starlette app over the read model and actions it is handed (`ports.Console`).

HTML pages live under /console, their JSON twins under /api/v1; `pages.PAGES` and
`pages.ACTIONS` list them. Reads need a session (or the bearer token) unless `public_read`;
actions always do, and a session's POST must carry its CSRF token.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import quote

from jinja2 import Environment, PackageLoader, select_autoescape
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.templating import Jinja2Templates

from xbot.domain.errors import ConfigError, ReviewError, XbotError
from xbot.web.auth import (
    LOGIN_COOKIE,
    SESSION_COOKIE,
    SESSION_SECONDS,
    Sessions,
    Visitor,
    csrf_matches,
)
from xbot.web.pages import ACTIONS, PAGES, BadRequest, ConsoleAction, ConsolePage, NotFound
from xbot.web.ports import Console

#: every answer: never cached, never framed, scripts and styles only from the console itself
SECURITY_HEADERS = {
    "Cache-Control": "no-store",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "frame-ancestors 'none'; form-action 'self'"
    ),
}
#: the largest form the console reads
MAX_FORM_FIELDS = 20


class ConsoleApp:
    """Builds the routes; one instance per serving process."""

    def __init__(self, console: Console, sessions: Sessions, *, public_read: bool) -> None:
        self.console = console
        self.sessions = sessions
        self.public_read = public_read
        environment = Environment(
            loader=PackageLoader("xbot.web", "templates"), autoescape=select_autoescape()
        )
        environment.filters["platform_link"] = platform_link
        self.templates = Jinja2Templates(env=environment)

    def routes(self) -> list[Route | Mount]:
        """Return every console and API route."""
        routes: list[Route | Mount] = [
            Route("/console", self._page_endpoint(PAGES[0])),
            Route("/console/login", self.login_form, methods=["GET"]),
            Route("/console/login", self.login, methods=["POST"]),
            Route("/console/logout", self.logout, methods=["POST"]),
            Mount("/console/static", StaticFiles(packages=[("xbot.web", "static")])),
            Route("/console/trace/{identifier:path}", self._trace_redirect),
        ]
        for page in PAGES:
            routes.append(Route(f"/console/{page.name}", self._page_endpoint(page)))
            routes.append(Route(f"/api/v1/{page.name}", self._api_endpoint(page)))
        routes.append(Route("/api/v1/trace/{identifier:path}", self._api_trace))
        for action in ACTIONS:
            routes.append(
                Route(
                    f"/console/actions/{action.name}",
                    self._action_endpoint(action, html=True),
                    methods=["POST"],
                )
            )
            api = self._action_endpoint(action, html=False)
            routes.append(Route(f"/api/v1/actions/{action.name}", api, methods=["POST"]))
        return routes

    def visitor(self, request: Request) -> Visitor | None:
        """Return what the request may do; None for a wrong bearer token."""
        return self.sessions.visitor(
            request.headers.get("authorization"), request.cookies.get(SESSION_COOKIE)
        )

    def _page_endpoint(self, page: ConsolePage) -> Callable[[Request], Any]:
        async def endpoint(request: Request) -> Response:
            visitor = self.visitor(request)
            if visitor is None:
                return _json({"error": "wrong admin token"}, 401)
            if not (visitor.authenticated or self.public_read):
                target = quote(
                    request.url.path + ("?" + request.url.query if request.url.query else "")
                )
                return RedirectResponse(f"/console/login?next={target}", status_code=303)
            query = dict(request.query_params)
            try:
                data = await run_in_threadpool(page.read, self.console, query)
            except (BadRequest, ConfigError, NotFound, XbotError) as exc:
                return self._render(request, visitor, page, {"error": str(exc)}, _status(exc))
            return self._render(request, visitor, page, data, 200)

        return endpoint

    def _api_endpoint(self, page: ConsolePage) -> Callable[[Request], Any]:
        async def endpoint(request: Request) -> Response:
            return await self._api_read(request, page, dict(request.query_params))

        return endpoint

    async def _api_trace(self, request: Request) -> Response:
        trace = next(page for page in PAGES if page.name == "trace")
        return await self._api_read(request, trace, {"id": request.path_params["identifier"]})

    async def _trace_redirect(self, request: Request) -> Response:
        identifier = quote(request.path_params["identifier"], safe="")
        return RedirectResponse(f"/console/trace?id={identifier}", status_code=303)

    async def _api_read(
        self, request: Request, page: ConsolePage, query: dict[str, str]
    ) -> Response:
        visitor = self.visitor(request)
        if visitor is None or not (visitor.authenticated or self.public_read):
            return _json({"error": "log in or send Authorization: Bearer <XBOT_ADMIN_TOKEN>"}, 401)
        try:
            data = await run_in_threadpool(page.read, self.console, query)
        except (BadRequest, ConfigError, NotFound, XbotError) as exc:
            return _json({"error": str(exc)}, _status(exc))
        return _json(data, 200)

    def _action_endpoint(self, action: ConsoleAction, *, html: bool) -> Callable[[Request], Any]:
        async def endpoint(request: Request) -> Response:
            visitor = self.visitor(request)
            if visitor is None or not visitor.authenticated:
                return _json(
                    {"error": "log in or send Authorization: Bearer <XBOT_ADMIN_TOKEN>"}, 401
                )
            form = await _form(request)
            presented = form.get("csrf") or request.headers.get("x-csrf-token")
            if not csrf_matches(visitor, presented):
                return _json(
                    {"error": "missing or wrong CSRF token: reload the page and retry"}, 403
                )
            try:
                done = await run_in_threadpool(action.run, self.console, form)
            except (BadRequest, ConfigError, NotFound, XbotError) as exc:
                if html:
                    return _back(action.back, f"error={quote(str(exc))}")
                return _json({"error": str(exc)}, _status(exc))
            if html:
                return _back(action.back, f"done={quote(action.name)}")
            return _json({"done": action.name, **done}, 200)

        return endpoint

    async def login_form(self, request: Request) -> Response:
        """Show the login form with a fresh CSRF token (double-submitted as a cookie)."""
        value, nonce = self.sessions.issue()
        del value
        next_page = _safe_next(request.query_params.get("next"))
        context = {"nonce": nonce, "next": next_page, "error": None}
        response = self.templates.TemplateResponse(request, "login.html", context)
        _set_cookie(response, request, LOGIN_COOKIE, nonce, 600)
        return _secured(response)

    async def login(self, request: Request) -> Response:
        """Trade the admin token for a session cookie."""
        form = await _form(request)
        nonce = request.cookies.get(LOGIN_COOKIE)
        if not nonce or not csrf_matches(Visitor(csrf=nonce), form.get("csrf")):
            return _json({"error": "missing or wrong CSRF token: reload the login page"}, 403)
        next_page = _safe_next(form.get("next"))
        if not self.sessions.token_matches(form.get("token", "")):
            context = {"nonce": nonce, "next": next_page, "error": "wrong admin token"}
            refused = self.templates.TemplateResponse(request, "login.html", context, 401)
            return _secured(refused)
        cookie, _csrf = self.sessions.issue()
        response = RedirectResponse(next_page, status_code=303)
        _set_cookie(response, request, SESSION_COOKIE, cookie, SESSION_SECONDS)
        response.delete_cookie(LOGIN_COOKIE, path="/console")
        return _secured(response)

    async def logout(self, request: Request) -> Response:
        """End the session (CSRF-checked like every POST)."""
        visitor = self.visitor(request) or Visitor()
        form = await _form(request)
        if not csrf_matches(visitor, form.get("csrf")):
            return _json({"error": "missing or wrong CSRF token"}, 403)
        response = RedirectResponse("/console/login", status_code=303)
        response.delete_cookie(SESSION_COOKIE, path="/")
        return _secured(response)

    def _render(
        self,
        request: Request,
        visitor: Visitor,
        page: ConsolePage,
        data: dict[str, Any],
        status: int,
    ) -> Response:
        context = {
            "page": page,
            "pages": [item for item in PAGES if item.in_menu],
            "data": data,
            "csrf": visitor.csrf,
            "signed_in": visitor.authenticated,
            "open_console": self.sessions.open,
            "query": dict(request.query_params),
        }
        response = self.templates.TemplateResponse(request, page.template, context, status)
        if visitor.new_cookie:
            _set_cookie(response, request, SESSION_COOKIE, visitor.new_cookie, SESSION_SECONDS)
        return _secured(response)


def create_app(console: Console, sessions: Sessions, *, public_read: bool = False) -> Starlette:
    """Return the console's ASGI app."""
    return Starlette(routes=ConsoleApp(console, sessions, public_read=public_read).routes())


def platform_link(reply: Mapping[str, Any]) -> str | None:
    """Return the public URL of a published reply, when its platform has a fixed one."""
    platform, _, handle = str(reply.get("account") or "").partition(":")
    post_id = str(reply.get("actual_tweet_id") or "")
    if platform == "x" and post_id.isdigit():
        return f"https://x.com/{quote(handle)}/status/{post_id}"
    if platform == "bluesky" and post_id.startswith("at://"):
        return f"https://bsky.app/profile/{quote(handle)}/post/{quote(post_id.rsplit('/', 1)[-1])}"
    return None


def _status(error: Exception) -> int:
    if isinstance(error, NotFound):
        return 404
    if isinstance(error, BadRequest | ConfigError):
        return 400
    if isinstance(error, ReviewError):  # the permit is not (or no longer) awaiting review
        return 409
    return 503


def _json(data: Mapping[str, Any], status: int) -> Response:
    return _secured(JSONResponse(dict(data), status_code=status))


def _secured(response: Response) -> Response:
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    return response


def _back(page: str, outcome: str) -> Response:
    return _secured(RedirectResponse(f"/console/{page}?{outcome}", status_code=303))


async def _form(request: Request) -> dict[str, str]:
    if request.headers.get("content-type", "").startswith("application/json"):
        try:
            body = await request.json()
        except ValueError:
            return {}
        return (
            {str(key): str(value) for key, value in body.items()} if isinstance(body, dict) else {}
        )
    form = await request.form(max_files=0, max_fields=MAX_FORM_FIELDS)
    return {key: value for key, value in form.items() if isinstance(value, str)}


def _safe_next(target: str | None) -> str:
    """Return a console path to go to after login; anything else goes to the Overview."""
    if target and target.startswith("/console") and "//" not in target and "\\" not in target:
        return target
    return "/console"


def _set_cookie(response: Response, request: Request, name: str, value: str, seconds: int) -> None:
    secure = request.url.scheme == "https" or request.headers.get("x-forwarded-proto") == "https"
    path = "/console" if name == LOGIN_COOKIE else "/"
    response.set_cookie(name, value, max_age=seconds, path=path, secure=secure, httponly=True,
                        samesite="strict")  # fmt: skip
