"""The health listener: bound first, before anything heavy is imported (DESIGN §2).

Standard library only, so `xbot worker` answers `/health` within milliseconds of starting.

`/metrics` (Prometheus text) is served to the same bearer token, or not at all without one: the
body is handed in by the composition root (`set_metrics`), this module only answers with it.

`/health` and `/ready` are public: anyone who can reach the port sees only the keys in
PUBLIC_KEYS. Every other key (database, hosts, worker ids, handles, per-account states and
policy, the reason a process died; and any key added later) is a detail, served only to a
request carrying `Authorization: Bearer <XBOT_ADMIN_TOKEN>`. Without a configured token no
detail is served over HTTP at all; `xbot config show` and the CLI still show them.
"""

from __future__ import annotations

import hmac
import json
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler
from typing import Any, ClassVar, Protocol

from xbot.web.listener import BoundedListener, ListenerLimits

LIVENESS_PATHS = frozenset({"/", "/health", "/healthz"})
#: the keys anyone may read; everything else needs the admin token
PUBLIC_KEYS = frozenset({"ready", "status", "role", "git_sha", "posting_allowed", "reasons"})
#: no route takes a body; a larger one is refused with 413 before it is read
MAX_BODY_BYTES = 1024
METRICS_PATH = "/metrics"
#: a metrics provider returns the body and its Content-Type
MetricsBody = Callable[[], tuple[bytes, str]]
#: the paths the console (and X's webhooks, /webhooks/x) answer once mounted (web.bridge);
#: everything else stays here
CONSOLE_PATHS = ("/console/", "/api/v1/", "/webhooks/")


@dataclass(frozen=True, kw_only=True, slots=True)
class Answer:
    """One HTTP answer: status, JSON body and extra headers."""

    status: int
    body: dict[str, Any]
    headers: tuple[tuple[str, str], ...] = ()


class HealthState:
    """What the listener reports; the boot sequence and the runner update it."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.alive = True
        self.ready = False
        self.readiness: dict[str, Any] = {"reasons": ["booting"]}
        self.death_reason = ""
        self._admin_token: bytes | None = None
        #: False until the settings are loaded: the listener binds before them (entry.py)
        self._token_known = False
        self._metrics: MetricsBody | None = None

    def set_metrics(self, provider: MetricsBody | None) -> None:
        """Serve /metrics from this provider (None: answer 404)."""
        with self._lock:
            self._metrics = provider

    def metrics(self) -> MetricsBody | None:
        """Return the /metrics provider, if one is set."""
        with self._lock:
            return self._metrics

    def set_ready(self, *, ready: bool, readiness: dict[str, Any]) -> None:
        """Publish readiness and its details."""
        with self._lock:
            self.ready = ready
            self.readiness = dict(readiness)

    def set_dead(self, reason: str) -> None:
        """Turn /health to 503: the process is about to exit."""
        with self._lock:
            self.alive = False
            self.ready = False
            self.death_reason = reason

    def set_admin_token(self, token: str | None) -> None:
        """Serve details to requests bearing this token (None: serve no details over HTTP)."""
        with self._lock:
            self._admin_token = token.encode() if token else None
            self._token_known = True

    def snapshot(self) -> tuple[bool, bool, dict[str, Any], str]:
        """Return (alive, ready, readiness, death reason) consistently."""
        with self._lock:
            return self.alive, self.ready, dict(self.readiness), self.death_reason

    def admission(self, authorization: str | None) -> Answer | bool:
        """Return True for the admin, False for the public, or the refusal of a bad token.

        Only a Bearer credential asks for details; another scheme (a proxy's Basic auth, say)
        gets the public answer.
        """
        scheme, _, presented = (authorization or "").strip().partition(" ")
        if scheme.casefold() != "bearer":
            return False
        with self._lock:
            token, known = self._admin_token, self._token_known
        if not known:
            return False  # still booting: the public answer, not a misleading refusal
        if token is None:
            body = {"error": "details are not served over HTTP: XBOT_ADMIN_TOKEN is not set"}
            return Answer(status=HTTPStatus.FORBIDDEN, body=body)
        if hmac.compare_digest(presented.strip().encode(), token):
            return True
        return Answer(
            status=HTTPStatus.UNAUTHORIZED,
            body={"error": "wrong admin token"},
            headers=(("WWW-Authenticate", "Bearer"),),
        )


def route(state: HealthState, path: str, authorization: str | None) -> Answer:
    """Return the answer to a GET (or HEAD) of `path`."""
    admission = state.admission(authorization)
    if isinstance(admission, Answer):
        return admission
    alive, ready, readiness, death = state.snapshot()
    if path in LIVENESS_PATHS:
        body = {"status": "ok"} if alive else {"status": "dead", "reason": death}
        answer = Answer(status=200 if alive else 503, body=body)
    elif path == "/ready":
        answer = Answer(status=200 if ready else 503, body={"ready": ready, **readiness})
    else:
        return Answer(status=HTTPStatus.NOT_FOUND, body={"error": "not found"})
    return answer if admission else public(answer)


def metrics_answer(state: HealthState, authorization: str | None) -> Answer | tuple[bytes, str]:
    """Return the /metrics body and type, or the refusal: it needs the admin token."""
    provider = state.metrics()
    if provider is None:
        return Answer(status=HTTPStatus.NOT_FOUND, body={"error": "not found"})
    admission = state.admission(authorization)
    if isinstance(admission, Answer):
        return admission
    if not admission:
        return Answer(
            status=HTTPStatus.UNAUTHORIZED,
            body={"error": "/metrics needs Authorization: Bearer <XBOT_ADMIN_TOKEN>"},
            headers=(("WWW-Authenticate", "Bearer"),),
        )
    try:
        return provider()
    except Exception as exc:  # the scrape fails, the listener and /health do not
        body = {"error": f"metrics unavailable: {type(exc).__name__}"}
        return Answer(status=HTTPStatus.SERVICE_UNAVAILABLE, body=body)


def public(answer: Answer) -> Answer:
    """Return the answer with only the public keys."""
    body = {key: value for key, value in answer.body.items() if key in PUBLIC_KEYS}
    return Answer(status=answer.status, body=body, headers=answer.headers)


class Mountable(Protocol):
    """The console's bridge (web.bridge.AsgiBridge), as the handler sees it."""

    def handle(self, handler: BaseHTTPRequestHandler, *, head: bool) -> None:
        """Answer the request the handler has parsed."""


def is_console_path(path: str) -> bool:
    """Return True when the mounted console answers `path`."""
    return path == "/console" or path.startswith(CONSOLE_PATHS)


class _Handler(BaseHTTPRequestHandler):
    state: ClassVar[HealthState]
    #: returns the mounted console, or None before boot (and when it is not served)
    mounted: ClassVar[Callable[[], Mountable | None]]

    def do_GET(self) -> None:
        self._answer(head=False)

    def do_HEAD(self) -> None:
        self._answer(head=True)

    def do_POST(self) -> None:
        self._refuse_method()

    def do_PUT(self) -> None:
        self._refuse_method()

    def do_DELETE(self) -> None:
        self._refuse_method()

    def do_PATCH(self) -> None:
        self._refuse_method()

    def _answer(self, *, head: bool) -> None:
        if self._to_console(head=head):
            return
        refusal = self._body_refusal()
        if refusal is not None:
            self._send(refusal, head=head)
            return
        path = self.path.split("?", 1)[0]
        authorization = self.headers.get("Authorization")
        if path == METRICS_PATH:
            answer = metrics_answer(self.state, authorization)
            if isinstance(answer, Answer):
                self._send(answer, head=head)
            else:
                self._send_bytes(200, *answer, head=head)
            return
        self._send(route(self.state, path, authorization), head=head)

    def _refuse_method(self) -> None:
        if self._to_console(head=False):
            return
        allow = (("Allow", "GET, HEAD"),)
        refusal = self._body_refusal() or Answer(
            status=HTTPStatus.METHOD_NOT_ALLOWED,
            body={"error": "method not allowed"},
            headers=allow,
        )
        self._send(refusal, head=False)

    def _to_console(self, *, head: bool) -> bool:
        console = type(self).mounted()
        if console is None or not is_console_path(self.path.split("?", 1)[0]):
            return False
        console.handle(self, head=head)
        return True

    def _body_refusal(self) -> Answer | None:
        """Read and drop a small body; refuse a large, chunked or unreadable one."""
        if self.headers.get("Transfer-Encoding"):
            return Answer(status=HTTPStatus.LENGTH_REQUIRED, body={"error": "length required"})
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            return Answer(status=HTTPStatus.BAD_REQUEST, body={"error": "bad Content-Length"})
        if length < 0:
            return Answer(status=HTTPStatus.BAD_REQUEST, body={"error": "bad Content-Length"})
        if length > MAX_BODY_BYTES:
            body = {"error": f"request body over {MAX_BODY_BYTES} bytes"}
            return Answer(status=HTTPStatus.REQUEST_ENTITY_TOO_LARGE, body=body)
        self.rfile.read(length)
        return None

    def _send(self, answer: Answer, *, head: bool) -> None:
        payload = json.dumps(answer.body).encode()
        self._send_bytes(answer.status, payload, "application/json", answer.headers, head=head)

    def _send_bytes(
        self,
        status: int,
        payload: bytes,
        content_type: str,
        headers: tuple[tuple[str, str], ...] = (),
        *,
        head: bool,
    ) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(payload)))
        self.send_header("Cache-Control", "no-store")
        for name, value in headers:
            self.send_header(name, value)
        self.end_headers()
        if not head:
            self.wfile.write(payload)

    def send_response(self, code: int, message: str | None = None) -> None:
        """Send the status line and Date, but no `Server` header naming versions."""
        self.log_request(code)
        self.send_response_only(code, message)
        self.send_header("Date", self.date_time_string())

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        """Stay quiet: health probes every few seconds would drown the log."""


class HealthServer:
    """The listener for /, /health, /healthz and /ready, with a bounded worker pool."""

    def __init__(
        self,
        host: str,
        port: int,
        state: HealthState | None = None,
        *,
        limits: ListenerLimits | None = None,
    ) -> None:
        self.state = state or HealthState()
        self.console: Mountable | None = None
        limits = limits or ListenerLimits()
        handler = type(
            "Handler",
            (_Handler,),
            {"state": self.state, "timeout": limits.read_seconds, "mounted": self._mounted},
        )

        def handle(connection: socket.socket, client: Any) -> None:
            handler(connection, client, self._listener)

        self._listener = BoundedListener((host, port), handle, limits)
        self._thread = threading.Thread(
            target=self._listener.serve_forever, name="health", daemon=True
        )

    @property
    def address(self) -> tuple[str, int]:
        """Return the (host, port) actually bound."""
        return self._listener.server_address

    def mount(self, console: Mountable | None) -> None:
        """Hand /console and /api/v1 to the console (None: answer them 404 again)."""
        self.console = console

    def _mounted(self) -> Mountable | None:
        return self.console

    def start(self) -> HealthServer:
        """Serve in a background thread."""
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and close the socket."""
        self._listener.shutdown()
        self._thread.join(timeout=5)
        self._listener.server_close()


#: the listener started by `xbot.entry` before the CLI was imported, if any
_current: HealthServer | None = None


def set_current(server: HealthServer) -> None:
    """Remember the listener the entry point started."""
    global _current  # noqa: PLW0603 - one listener per process, handed from entry to boot
    _current = server


def current() -> HealthServer | None:
    """Return the listener the entry point started, if any."""
    return _current
