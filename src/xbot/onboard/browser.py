"""The browser step of an authorization, and the HTTP client the flows use."""

from __future__ import annotations

import sys
import webbrowser
from collections.abc import Iterator
from contextlib import contextmanager

import httpx2

from xbot.domain.errors import PlatformError, XbotError
from xbot.platforms.http import HttpOptions


def show_url(url: str, *, open_browser: bool, what: str, then: str = "the redirect") -> None:
    """Print the URL (always) and open it in a browser unless told not to."""
    sys.stdout.write(f"{what}:\n  {url}\n")
    if open_browser:
        sys.stdout.write(f"(opening it in your browser; waiting for {then})\n")
    else:
        sys.stdout.write(f"(--no-browser: open it yourself; xbot waits for {then})\n")
    sys.stdout.flush()
    if open_browser:
        webbrowser.open(url)


@contextmanager
def platform_client(base_url: str) -> Iterator[httpx2.Client]:
    """Yield an HTTP client for one platform; a network failure becomes one line naming it."""
    options = HttpOptions()
    client = httpx2.Client(
        base_url=base_url.rstrip("/"), timeout=options.timeout(),
        headers={"User-Agent": options.user_agent}, follow_redirects=False,
    )  # fmt: skip
    try:
        yield client
    except httpx2.TransportError as exc:
        raise PlatformError(
            f"cannot reach {base_url} ({type(exc).__name__}): check --base-url and the network"
        ) from None
    except XbotError:
        raise
    finally:
        client.close()
