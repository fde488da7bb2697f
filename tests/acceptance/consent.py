"""The browser's part of an authorization, played by an HTTP client against the fakes' pages.

`approve(url, username)` opens the consent page, submits its form as `username` and follows
the redirect to the command's loopback callback, as a browser would.
"""

from __future__ import annotations

import re
import subprocess
import time
from html.parser import HTMLParser
from urllib.parse import urljoin

import httpx

URL_LINE = re.compile(r"^\s+(https?://\S+)$")


class _Form(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.fields: dict[str, str] = {}
        self.pin = ""
        self._in_pin = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        if tag == "input" and values.get("type") == "hidden":
            self.fields[values["name"]] = values.get("value", "")
        self._in_pin = tag == "code" and values.get("id") == "oauth_pin"

    def handle_data(self, data: str) -> None:
        if self._in_pin:
            self.pin += data.strip()


def consent(url: str, username: str, decision: str = "allow") -> httpx.Response:
    """Submit the consent form at `url`; return the answer (a redirect or the PIN page)."""
    page = httpx.get(url, timeout=30)
    page.raise_for_status()
    form = _Form()
    form.feed(page.text)
    body = {**form.fields, "username": username, "decision": decision}
    return httpx.post(urljoin(url, httpx.URL(url).path), data=body, timeout=30)


def approve(url: str, username: str, decision: str = "allow") -> int:
    """Approve, then follow the redirect to the loopback callback; return its status."""
    answer = consent(url, username, decision)
    assert answer.status_code == 302, answer.text
    return httpx.get(answer.headers["location"], timeout=30).status_code


def pin_of(url: str, username: str) -> str:
    """Approve on the 1.0a page and return the PIN it shows."""
    form = _Form()
    form.feed(consent(url, username).text)
    return form.pin


def wait_for_url(process: subprocess.Popen[str], timeout: float = 30) -> str:
    """Read the command's stdout until it prints the URL to open."""
    assert process.stdout is not None
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            break
        found = URL_LINE.match(line.rstrip("\n"))
        if found:
            return found.group(1)
    raise AssertionError("the command printed no URL to open")
