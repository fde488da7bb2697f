"""The ghost scan against an in-memory platform, on SQLite: every post explained or reported."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlalchemy import Engine, select

from posting_fakes import FakePlatform
from posting_rows import T0, add_account, add_permit, events, load_permit, make_context
from xbot.domain.permits import PermitStatus
from xbot.jobs import ghost_scan, post
from xbot.jobs.summaries import ScanSkipped
from xbot.store.engine import make_engine
from xbot.store.queries.ghosts import acquire_scan_lease, ghost_watermark
from xbot.store.tables import ghost_scans, ghost_tweets


@pytest.fixture
def engine(sqlite_url: str) -> Iterator[Engine]:
    engine = make_engine(sqlite_url)
    yield engine
    engine.dispose()


@pytest.fixture
def platform() -> FakePlatform:
    return FakePlatform(visibility_grace=timedelta(seconds=30))


@pytest.fixture
def account_id(engine: Engine) -> int:
    return add_account(engine)


def ghosts(engine: Engine) -> list[dict[str, object]]:
    with engine.connect() as connection:
        rows = connection.execute(select(ghost_tweets).order_by(ghost_tweets.c.id)).mappings()
        return [dict(row) for row in rows]


def scans(engine: Engine) -> list[dict[str, object]]:
    with engine.connect() as connection:
        rows = connection.execute(select(ghost_scans).order_by(ghost_scans.c.id)).mappings()
        return [dict(row) for row in rows]


def later(minutes: float) -> timedelta:
    return timedelta(minutes=minutes)


def test_a_scan_that_finds_nothing_still_records_that_it_looked(
    engine: Engine, platform: FakePlatform, account_id: int
) -> None:
    summary = ghost_scan.run_once(make_context(engine, account_id, platform))
    assert (summary.scanned, summary.ghosts, summary.watermark) == (0, 0, None)
    [scan] = scans(engine)
    assert (scan["scanned"], scan["ghosts"], scan["worker_id"]) == (0, 0, "worker-1")
    [event] = events(engine, "ghost_scan_completed")
    assert event["scanned"] == 0
    assert "watermark" in event


def test_posts_explained_by_used_permits_are_fine(
    engine: Engine, platform: FakePlatform, account_id: int
) -> None:
    add_permit(engine, account_id)
    post.run_once(make_context(engine, account_id, platform))
    summary = ghost_scan.run_once(make_context(engine, account_id, platform, now=T0 + later(5)))
    assert (summary.scanned, summary.ghosts) == (1, 0)
    assert ghosts(engine) == []


def test_a_post_made_outside_xbot_is_a_ghost_recorded_once(
    engine: Engine, platform: FakePlatform, account_id: int
) -> None:
    made = platform.post_outside_xbot("hello from the phone app")
    reply = platform.post_outside_xbot("sure, why not", in_reply_to="31337")
    summary = ghost_scan.run_once(make_context(engine, account_id, platform, now=T0 + later(0.1)))
    assert summary.ghosts == 2
    by_post = {row["tweet_id"]: row for row in ghosts(engine)}
    assert by_post[made.post_id]["classification"] == "outside_xbot"
    assert by_post[reply.post_id]["classification"] == "unexplained"
    assert by_post[reply.post_id]["in_reply_to"] == "31337"
    detected = events(engine, "ghost_tweet_detected")
    assert {event["post_id"] for event in detected} == {made.post_id, reply.post_id}
    assert {event["severity"] for event in detected} == {"critical"}
    # The posts are within the grace, so the next scan reads them again: no second row or event.
    again = ghost_scan.run_once(make_context(engine, account_id, platform, now=T0 + later(0.2)))
    assert (again.scanned, again.ghosts) == (2, 0)
    assert len(ghosts(engine)) == 2
    assert len(events(engine, "ghost_tweet_detected")) == 2


def test_our_words_without_a_used_permit_match_decision_text(
    engine: Engine, platform: FakePlatform, account_id: int
) -> None:
    rows = add_permit(engine, account_id, status="FAILED", failure_reason="gave up")
    platform.post_outside_xbot(rows.text, in_reply_to="999")
    ghost_scan.run_once(make_context(engine, account_id, platform, now=T0 + later(1)))
    [ghost] = ghosts(engine)
    assert ghost["classification"] == "matches_decision_text"


def test_the_post_of_an_unknown_permit_reconciles_it(
    engine: Engine, platform: FakePlatform, account_id: int
) -> None:
    rows = add_permit(engine, account_id)
    platform.inject("accepted_then_timeout")
    post.run_once(make_context(engine, account_id, platform))
    summary = ghost_scan.run_once(make_context(engine, account_id, platform, now=T0 + later(1)))
    assert (summary.reconciled, summary.ghosts) == (1, 0)
    permit = load_permit(engine, rows.permit_id)
    assert (permit.status, permit.reconciled) == (PermitStatus.USED, True)
    [event] = events(engine, "permit_reconciled")
    assert event["source"] == "ghost_scan"


def test_the_post_of_a_permit_still_publishing_is_left_to_its_holder(
    engine: Engine, platform: FakePlatform, account_id: int
) -> None:
    rows = add_permit(
        engine,
        account_id,
        status="POSTING",
        fence=1,
        attempts=1,
        lease_until=T0 + later(1),
        claimed_by="other",
    )
    platform.post_outside_xbot(rows.text, in_reply_to=rows.target_post_id)
    summary = ghost_scan.run_once(make_context(engine, account_id, platform))
    assert (summary.ghosts, summary.reconciled) == (0, 0)
    assert load_permit(engine, rows.permit_id).status is PermitStatus.POSTING


def test_posts_older_than_the_account_in_xbot_are_the_baseline(
    engine: Engine, platform: FakePlatform
) -> None:
    account_id = add_account(engine, handle="newbot", created_at=T0)
    platform.post_outside_xbot("from before xbot", created_at=T0 - later(60))
    summary = ghost_scan.run_once(make_context(engine, account_id, platform, now=T0 + later(1)))
    assert (summary.scanned, summary.ghosts) == (1, 0)


def test_the_watermark_settles_behind_the_visibility_grace(
    engine: Engine, platform: FakePlatform, account_id: int
) -> None:
    old = platform.post_outside_xbot("old", created_at=T0 - later(10))
    platform.post_outside_xbot("fresh", created_at=T0)
    summary = ghost_scan.run_once(make_context(engine, account_id, platform, now=T0))
    assert summary.watermark == old.post_id
    with engine.connect() as connection:
        assert ghost_watermark(connection, account_id)[0] == old.post_id
    again = ghost_scan.run_once(make_context(engine, account_id, platform, now=T0 + later(1)))
    assert again.scanned == 1  # only the post newer than the watermark is read again


def test_two_workers_never_scan_one_account_at_once(
    engine: Engine, platform: FakePlatform, account_id: int
) -> None:
    with engine.begin() as connection:
        fence = acquire_scan_lease(connection, account_id, "other", T0, T0 + later(1))
    assert fence == 1
    summary = ghost_scan.run_once(make_context(engine, account_id, platform))
    assert summary == ScanSkipped()
    assert scans(engine) == []
    after_lease = ghost_scan.run_once(make_context(engine, account_id, platform, now=T0 + later(1)))
    assert after_lease.scanned == 0
    assert len(scans(engine)) == 1
