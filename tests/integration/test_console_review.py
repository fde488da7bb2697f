"""The console's Review page and its approve/reject actions, over loopback, on both dialects."""

from __future__ import annotations

import re
from typing import Any

import httpx2
import pytest
from sqlalchemy import Engine
from test_console_app import BEARER, log_in, recorded, serve

from review_x import review_world
from xbot.domain.permits import PermitStatus


@pytest.fixture
def waiting(engine: Engine) -> Any:
    with review_world(engine, review="required") as world:
        world.mention(0)
        world.mention(1)
        world.fetch_and_schedule()
        yield world


def test_a_reviewer_approves_in_the_console_and_the_approved_text_is_posted(
    engine: Engine, waiting: Any
) -> None:
    server, console = serve(engine)
    try:
        first, second = waiting.permits()
        csrf = log_in(console)
        page = console.get("/console/review")
        assert page.status_code == 200
        assert waiting.text_of(first) in page.text.replace("&#39;", "'")
        sha = re.search(rf'name="permit" value="{first.permit_id}">\s*<input type="hidden" '
                        r'name="sha256" value="([0-9a-f]{64})"', page.text)  # fmt: skip
        assert sha is not None
        form = {"permit": first.permit_id, "sha256": sha[1], "by": "carol", "csrf": csrf}
        done = console.post("/console/actions/review-approve", data=form)
        assert done.status_code == 303
        assert done.headers["location"] == "/console/review?done=review-approve"
        approved = recorded(engine, "review_approved")[-1]
        assert (approved["by"], approved["component"]) == ("carol", "web")
        retry = {"permit": first.permit_id, "by": "dave"}
        again = console.post("/api/v1/actions/review-approve", json=retry, headers=BEARER)
        assert again.status_code == 409
        assert "not awaiting review" in again.json()["error"]
        rejected = console.post("/api/v1/actions/review-reject",
                                json={"permit": second.permit_id, "by": "dave", "reason": "no"},
                                headers=BEARER)  # fmt: skip
        assert rejected.json()["status"] == "FAILED"
        assert console.get("/api/v1/review", headers=BEARER).json()["items"] == []
        waiting.post_all()
        statuses = {p.permit_id: p.status for p in waiting.permits()}
        assert statuses == {
            first.permit_id: PermitStatus.USED,
            second.permit_id: PermitStatus.FAILED,
        }
        [posted] = waiting.sim_posts()
        assert posted["text"] == waiting.text_of(first)
        anonymous = httpx2.post(f"{console.base_url}/api/v1/actions/review-approve",
                                json={"permit": second.permit_id, "by": "eve"})  # fmt: skip
        assert anonymous.status_code == 401
    finally:
        console.close()
        server.stop()
