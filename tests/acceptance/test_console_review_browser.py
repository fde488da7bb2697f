"""A reviewer approves a reply in the console in a real browser; the fake X then shows it posted.

Playwright drives Debian's Chromium against the console on loopback (the health listener with the
console mounted); the jobs run in process against the fake X over loopback.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect, sync_playwright
from sqlalchemy import Engine

from integration.test_console_app import TOKEN, serve
from review_x import review_world
from xbot.domain.permits import PermitStatus
from xbot.store.engine import make_engine

CHROMIUM = Path("/usr/bin/chromium")

pytestmark = pytest.mark.slow


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
def sqlite_engine(sqlite_url: str) -> Iterator[Engine]:
    engine = make_engine(sqlite_url)
    yield engine
    engine.dispose()


def test_a_reply_approved_in_the_browser_is_posted_on_the_fake(
    browser: Browser, sqlite_engine: Engine
) -> None:
    with review_world(sqlite_engine, review="required") as world:
        world.mention(0)
        world.fetch_and_schedule()
        [permit] = world.permits()
        text = world.text_of(permit)
        world.post_all()
        assert world.sim_posts() == []  # nothing before a person approves
        server, client = serve(sqlite_engine)
        base = str(client.base_url).rstrip("/")
        try:
            page = browser.new_page()
            page.goto(f"{base}/console/review")
            page.fill("input[name=token]", TOKEN)
            page.click("button[type=submit]")
            expect(page).to_have_url(f"{base}/console/review")
            row = page.locator(f"tr[data-permit='{permit.permit_id}']")
            expect(row.locator(".reply-text")).to_have_text(text)
            row.locator("form.approve input[name=by]").fill("erin")
            row.locator("form.approve button[type=submit]").click()
            expect(page).to_have_url(f"{base}/console/review?done=review-approve")
            expect(page.locator("#review")).to_contain_text("nothing waits for review")
            world.post_all()
            [after] = world.permits()
            assert after.status is PermitStatus.USED
            assert after.approved_by == "erin"
            [posted] = world.sim_posts()
            assert posted["text"] == text
            page.goto(f"{base}/console/trace?id={permit.permit_id}")
            expect(page.locator("body")).to_contain_text("review_approved")
        finally:
            client.close()
            server.stop()
