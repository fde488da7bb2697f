"""The loopback redirect of an OAuth authorization: a one-request HTTP server on 127.0.0.1.

The browser (or, with `--no-browser`, anything that follows the authorize page's redirect)
comes back to `http://127.0.0.1:PORT/callback?code=...&state=...`; the server answers a short
page and hands the query to the waiting command. The port must be the one registered as the
app's callback URL, so it is fixed by default; 0 picks a free one (tests, the fakes).
"""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Self
from urllib.parse import parse_qsl, urlsplit

from xbot.domain.errors import ConfigError, XbotError

CALLBACK_PATH = "/callback"
_DONE_PAGE = (
    b"<!doctype html><title>xbot</title><p>xbot received the authorization. "
    b"You can close this window and return to the terminal.</p>"
)


class RedirectTimeout(XbotError):
    """No authorization came back in time. Open the printed URL, approve, and run it again."""


class LoopbackRedirect:
    """Waits for one redirect to CALLBACK_PATH; use as a context manager."""

    def __init__(self, port: int, host: str = "127.0.0.1") -> None:
        received: dict[str, str] = {}
        arrived = threading.Event()

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                parts = urlsplit(self.path)
                if parts.path != CALLBACK_PATH or arrived.is_set():
                    self.send_error(404)
                    return
                received.update(parse_qsl(parts.query))
                arrived.set()
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.end_headers()
                self.wfile.write(_DONE_PAGE)

            def log_message(self, *args: object) -> None:  # the query holds the code: no log
                del args

        try:
            self._server = ThreadingHTTPServer((host, port), Handler)
        except OSError as exc:
            raise ConfigError(
                f"cannot listen on {host}:{port} for the redirect ({exc.strerror}): "
                "free the port or pass --redirect-port with the port of your callback URL"
            ) from None
        self._received = received
        self._arrived = arrived
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def redirect_uri(self) -> str:
        """Return the callback URL to register and to send in the authorization request."""
        host, port = self._server.server_address[:2]
        shown = host.decode() if isinstance(host, bytes) else host
        return f"http://{shown}:{port}{CALLBACK_PATH}"

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    def wait(self, timeout: float) -> dict[str, str]:
        """Return the redirect's query parameters, or raise RedirectTimeout."""
        if not self._arrived.wait(timeout):
            raise RedirectTimeout
        return dict(self._received)
