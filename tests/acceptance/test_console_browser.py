"""The console in a real browser (Playwright driving Debian's Chromium) against real processes.

`xbot demo` fills a SQLite file with a real run against the fake X (posts, a ghost, a
reconciled permit); `xbot web` serves the console on it and `xbot worker` runs beside it, so a
pause pressed in the browser must reach the worker's /ready. Screenshots of every page go to
the test's temporary directory; set CONSOLE_SCREENSHOT_TO=docs/console-overview.png to also
refresh the README's picture of the Overview.
"""

from __future__ import annotations

import os
import shutil
import struct
import zlib
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright
from sqlalchemy import select

from acceptance.conftest import ADMIN_TOKEN, free_port, http_get, run_xbot, wait_for
from xbot.domain.posts import Post, PostId
from xbot.store.engine import make_engine
from xbot.store.queries.ghosts import insert_ghost
from xbot.store.tables import accounts

CHROMIUM = Path("/usr/bin/chromium")
PAGES = ["overview", "pipeline", "replies", "trace", "ghosts", "certify", "workers", "events"]

pytestmark = pytest.mark.slow


def non_blank(png: bytes) -> bool:
    """Return True when the PNG's pixels are not all one colour (decoded with zlib alone)."""
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    position, data = 8, b""
    while position < len(png):
        (length,) = struct.unpack(">I", png[position : position + 4])
        kind = png[position + 4 : position + 8]
        if kind == b"IDAT":
            data += png[position + 8 : position + 8 + length]
        position += 12 + length
    pixels = zlib.decompress(data)
    return len(set(pixels)) > 32  # a blank page has one colour (and five filter bytes)


@pytest.fixture
def demo_database(xbot_env: dict[str, str], tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'demo.db'}"
    done = run_xbot(["demo", "--seconds", "20", "--database-url", url], xbot_env, tmp_path, 120)
    assert done.returncode in {0, 1, 2}, done.stderr[-2000:]
    add_ghost(url)
    return url


def add_ghost(url: str) -> None:
    """A post on @replybot that no permit explains (the demo acknowledges its own ghost)."""
    engine = make_engine(url)
    now = datetime.now(UTC)
    post = Post(post_id=PostId("1999999999999999999"), author_id="1", author_handle="replybot",
                text="posted by hand from the phone", created_at=now)  # fmt: skip
    with engine.begin() as connection:
        account_id = connection.execute(
            select(accounts.c.id).where(accounts.c.handle == "replybot")
        ).scalar_one()
        insert_ghost(connection, account_id, post, "outside_xbot", now)
    engine.dispose()


@pytest.fixture
def browser() -> Iterator[Browser]:
    assert CHROMIUM.exists(), "install Debian's chromium (apt-get install -y chromium)"
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=["--no-sandbox", "--disable-gpu"]
        )
        yield launched
        launched.close()


@pytest.fixture
def processes(
    xbot_env: dict[str, str], demo_database: str, start_xbot: Any, tmp_path: Path
) -> tuple[str, Any]:
    # both know the demo's accounts from their configuration, as a deployment's processes do;
    # the worker runs only the probe job: the demo's fake X is gone
    accounts = tmp_path / "accounts.toml"
    entry = '[[accounts]]\nplatform = "x"\nhandle = "{}"\n'
    accounts.write_text(entry.format("replybot") + entry.format("helperbot"))
    env = {**xbot_env, "XBOT_DATABASE_URL": demo_database, "XBOT_CONFIG": str(accounts)}
    web = start_xbot(["web"], env)
    worker = start_xbot(["worker"], {**env, "PORT": str(free_port()), "XBOT_POLL_INTERVAL": "0.2",
                                     "XBOT_ENABLED_JOBS": '["probe"]'})  # fmt: skip
    web.wait_ready()
    worker.wait_ready()
    return f"http://127.0.0.1:{web.port}", worker


def log_in(page: Page, base: str, token: str) -> None:
    page.goto(f"{base}/console")
    expect(page).to_have_url(f"{base}/console/login?next=/console")
    page.fill("input[name=token]", token)
    page.click("button[type=submit]")


def worker_reasons(worker: Any) -> list[str]:
    status, body = http_get(worker.port, "/ready", token=ADMIN_TOKEN)
    return list(body.get("reasons", [])) if status in {200, 503} else []


def test_an_operator_sees_traces_acknowledges_and_pauses_from_the_browser(
    browser: Browser, processes: tuple[str, Any], tmp_path: Path
) -> None:
    base, worker = processes
    screens = tmp_path / "screens"
    screens.mkdir()
    page = browser.new_page(viewport={"width": 1280, "height": 860})
    page.on("dialog", lambda dialog: dialog.accept())

    log_in(page, base, "a-wrong-token-for-sure")
    expect(page.get_by_role("alert")).to_contain_text("wrong admin token")
    page.fill("input[name=token]", ADMIN_TOKEN)
    page.click("button[type=submit]")
    expect(page).to_have_url(f"{base}/console")
    verdict = page.locator("#verdict").inner_text()
    assert verdict in {"OPERATIONAL", "INCONCLUSIVE", "NOT OPERATIONAL"}
    expect(page.locator("#accounts")).to_contain_text("x:replybot")
    overview_png = page.screenshot(path=str(screens / "overview.png"), full_page=True)
    assert non_blank(overview_png)
    target = os.environ.get("CONSOLE_SCREENSHOT_TO")
    if target:
        shutil.copyfile(screens / "overview.png", target)

    for name in PAGES[1:]:
        page.goto(f"{base}/console/{name}")
        expect(page.locator("h1")).not_to_be_empty()
        page.screenshot(path=str(screens / f"{name}.png"), full_page=True)
    assert sorted(path.stem for path in screens.iterdir()) == sorted(PAGES)

    # a reply, followed to its trace
    page.goto(f"{base}/console/replies?state=USED")
    page.locator("#replies a.trace-link").first.click()
    expect(page.locator("#chain")).to_contain_text("USED")
    expect(page.locator("#trace-events")).to_contain_text("permit_claimed")

    # the demo's ghost, acknowledged with who and why
    page.goto(f"{base}/console/ghosts")
    form = page.locator("form.ack").first
    form.locator("input[name=by]").fill("alice")
    form.locator("input[name=reason]").fill("my own post from the phone")
    form.locator("button").click()
    expect(page.get_by_role("status")).to_contain_text("ghost-ack")
    page.goto(f"{base}/console/events?type=ghost_acknowledged")
    expect(page.locator("#events")).to_contain_text("my own post from the phone")

    # pause with drain, seen by the worker; then resume
    page.goto(f"{base}/console")
    page.fill("form.control input[name=by]", "alice")
    page.check("form.control input[name=drain]")
    page.click("#pause")
    expect(page.locator("#kill-switch")).to_contain_text("ON")
    wait_for(lambda: "kill_switch" in worker_reasons(worker), timeout=10)
    page.fill("form.control input[name=by]", "alice")
    page.click("#resume")
    expect(page.locator("#kill-switch")).to_contain_text("off")
    wait_for(lambda: "kill_switch" not in worker_reasons(worker), timeout=10)

    # a POST with the session cookie but without the CSRF token is refused
    refused = page.request.post(f"{base}/console/actions/pause", form={"by": "mallory"})
    assert refused.status == 403
    page.goto(f"{base}/console")
    expect(page.locator("#kill-switch")).to_contain_text("off")
