"""The health listener: bound first, before anything heavy is imported (DESIGN §2).

Standard library only, so `xbot worker` answers `/health` within milliseconds of starting.
"""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, ClassVar

LIVENESS_PATHS = frozenset({"/", "/health", "/healthz"})


class HealthState:
    """What the listener reports; the boot sequence and the runner update it."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.alive = True
        self.ready = False
        self.readiness: dict[str, Any] = {"reasons": ["booting"]}
        self.death_reason = ""

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

    def snapshot(self) -> tuple[bool, bool, dict[str, Any], str]:
        """Return (alive, ready, readiness, death reason) consistently."""
        with self._lock:
            return self.alive, self.ready, dict(self.readiness), self.death_reason


class _Handler(BaseHTTPRequestHandler):
    state: ClassVar[HealthState]
    server_version = "xbot"

    def do_GET(self) -> None:
        alive, ready, readiness, death = self.state.snapshot()
        path = self.path.split("?", 1)[0]
        if path in LIVENESS_PATHS:
            body = {"status": "ok"} if alive else {"status": "dead", "reason": death}
            self._send(200 if alive else 503, body)
        elif path == "/ready":
            self._send(200 if ready else 503, {"ready": ready, **readiness})
        else:
            self._send(404, {"error": "not found"})

    def _send(self, status: int, body: dict[str, Any]) -> None:
        payload = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        """Stay quiet: health probes every few seconds would drown the log."""


class HealthServer:
    """A threaded HTTP listener for /, /health, /healthz and /ready."""

    def __init__(self, host: str, port: int, state: HealthState | None = None) -> None:
        self.state = state or HealthState()
        handler = type("Handler", (_Handler,), {"state": self.state})
        ThreadingHTTPServer.allow_reuse_address = True
        self._server = ThreadingHTTPServer((host, port), handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="health", daemon=True
        )

    @property
    def address(self) -> tuple[str, int]:
        """Return the (host, port) actually bound."""
        host, port = self._server.server_address[:2]
        return str(host), int(port)

    def start(self) -> HealthServer:
        """Serve in a background thread."""
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and close the socket."""
        self._server.shutdown()
        self._server.server_close()


#: the listener started by `xbot.entry` before the CLI was imported, if any
_current: HealthServer | None = None


def set_current(server: HealthServer) -> None:
    """Remember the listener the entry point started."""
    global _current  # noqa: PLW0603 - one listener per process, handed from entry to boot
    _current = server


def current() -> HealthServer | None:
    """Return the listener the entry point started, if any."""
    return _current
