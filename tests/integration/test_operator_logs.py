"""The log lines an operator relies on, from the real jobs against the fake X in process.

Every event a job writes is also logged under its catalogued name, with the account as
`platform:handle` and the event's own fields; these tests read the lines structlog emits.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import Engine
from structlog.testing import capture_logs

from posting_rows import events, set_kill_switch
from posting_x import CREATE, READ_TIMEOUT, Posting, posting_against_fake_x
from xbot.domain.permits import PermitStatus
from xbot.events import EventType
from xbot.jobs import ghost_scan
from xbot.sim.x.fake import FakeX

#: the account key of the context the posting helpers build
ACCOUNT = "x:bot"


@contextlib.contextmanager
def _in_process(fake: FakeX) -> Iterator[tuple[str, Any]]:
    transport = fake.transport()
    try:
        yield "http://x.sim", transport
    finally:
        transport.close()


@pytest.fixture
def x(engine: Engine) -> Iterator[Posting]:
    with posting_against_fake_x(engine, _in_process) as harness:
        yield harness


def logged(logs: list[dict[str, Any]], event: EventType) -> list[dict[str, Any]]:
    """Return the captured lines of one event."""
    return [entry for entry in logs if entry["event"] == event]


def test_a_posted_reply_logs_account_target_post_and_permit(x: Posting) -> None:
    rows = x.permit()
    with capture_logs() as logs:
        assert x.post()["status"] == "USED"
    [line] = logged(logs, EventType.REPLY_POSTED)
    posted_id = x.state(rows).actual_tweet_id
    assert posted_id is not None
    assert line["log_level"] == "info"
    assert (line["account"], line["account_id"]) == (ACCOUNT, x.account_id)
    assert (line["target_post_id"], line["post_id"]) == (rows.target_post_id, posted_id)
    assert line["permit_id"] == rows.permit_id
    assert line["text"] == rows.text  # the excerpt: short texts whole, on one line
    [claimed] = logged(logs, EventType.PERMIT_CLAIMED)
    assert (claimed["permit_id"], claimed["attempt"]) == (rows.permit_id, 1)


def test_a_refused_claim_logs_its_reason_once(x: Posting) -> None:
    rows = x.permit()
    set_kill_switch(x.engine, on=True, now=x.clock.now())
    with capture_logs() as logs:
        assert x.post()["blocked"] == "kill_switch"
        assert x.post()["blocked"] == "kill_switch"  # within the repeat window: no second line
    [line] = logged(logs, EventType.POSTING_BLOCKED_KILL_SWITCH)
    assert line["log_level"] == "warning"
    assert (line["account"], line["permit_id"]) == (ACCOUNT, rows.permit_id)
    assert line["reason"] == "kill_switch"
    assert x.fake.requests(method="POST", path="/2/tweets") == []


def test_an_unknown_outcome_logs_a_warning_with_its_reason(x: Posting) -> None:
    rows = x.permit()
    x.fake.inject(CREATE, "status", status=503)
    with capture_logs() as logs:
        assert x.post()["status"] == "UNKNOWN"
    [line] = logged(logs, EventType.PERMIT_UNKNOWN)
    assert line["log_level"] == "warning"
    assert (line["account"], line["permit_id"]) == (ACCOUNT, rows.permit_id)
    assert line["target_post_id"] == rows.target_post_id
    assert line["reason"] == x.state(rows).failure_reason
    assert "503" in line["reason"]
    assert logged(logs, EventType.REPLY_POSTED) == []


def test_a_reconcile_that_settles_a_permit_logs_the_post_it_found(x: Posting) -> None:
    rows = x.permit()
    x.fake.inject(CREATE, "accept_then_timeout", seconds=READ_TIMEOUT * 3)
    assert x.post()["status"] == "UNKNOWN"
    with capture_logs() as logs:
        assert x.reconcile().reconciled == 1
    permit = x.state(rows)
    assert (permit.status, permit.reconciled) == (PermitStatus.USED, True)
    [line] = logged(logs, EventType.PERMIT_RECONCILED)
    assert line["log_level"] == "info"
    assert (line["account"], line["permit_id"]) == (ACCOUNT, rows.permit_id)
    assert (line["post_id"], line["target_post_id"]) == (
        permit.actual_tweet_id,
        rows.target_post_id,
    )
    assert (line["previous_status"], line["source"]) == ("UNKNOWN", "reconcile")


def test_a_ghost_found_logs_a_critical_line_with_the_post(x: Posting) -> None:
    x.permit()
    assert x.post()["status"] == "USED"
    ghost = x.fake.ghost("posted by hand, not by xbot")
    x.clock.advance(3600)
    with capture_logs() as logs:
        assert ghost_scan.run_once(x.context()).ghosts == 1
    [line] = logged(logs, EventType.GHOST_TWEET_DETECTED)
    assert line["log_level"] == "critical"
    assert (line["account"], line["account_id"]) == (ACCOUNT, x.account_id)
    assert (line["post_id"], line["classification"]) == (ghost["id"], "outside_xbot")
    [stored] = events(x.engine, EventType.GHOST_TWEET_DETECTED)
    assert line["ghost_id"] == stored["ghost_id"]
    [scan] = logged(logs, EventType.GHOST_SCAN_COMPLETED)
    assert scan["ghosts"] == 1
