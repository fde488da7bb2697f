"""The reconcile job against an in-memory platform, on a SQLite file: read back before any retry."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlalchemy import Engine

from posting_fakes import FakePlatform
from posting_rows import (
    T0,
    add_account,
    add_permit,
    candidate_status,
    events,
    load_permit,
    make_context,
    set_permit,
)
from xbot.domain import errors
from xbot.domain.permits import MAX_PUBLISH_ATTEMPTS, PermitStatus
from xbot.jobs import post, reconcile
from xbot.jobs.summaries import ReconcileSummary
from xbot.store.engine import make_engine

GRACE = timedelta(seconds=30)


@pytest.fixture
def engine(sqlite_url: str) -> Iterator[Engine]:
    engine = make_engine(sqlite_url)
    yield engine
    engine.dispose()


@pytest.fixture
def platform() -> FakePlatform:
    return FakePlatform(visibility_grace=GRACE)


@pytest.fixture
def account_id(engine: Engine) -> int:
    return add_account(engine)


def at(seconds: float) -> timedelta:
    return timedelta(seconds=seconds)


def test_nothing_unknown_reads_nothing(engine: Engine, account_id: int) -> None:
    platform = FakePlatform()
    platform.read_faults.append(AssertionError("no read-back is needed"))
    summary = reconcile.run_once(make_context(engine, account_id, platform))
    assert summary == ReconcileSummary()


def test_accepted_then_timeout_is_found_and_used(
    engine: Engine, platform: FakePlatform, account_id: int
) -> None:
    rows = add_permit(engine, account_id)
    platform.inject("accepted_then_timeout")
    post.run_once(make_context(engine, account_id, platform))
    summary = reconcile.run_once(make_context(engine, account_id, platform, now=T0 + at(5)))
    assert summary.reconciled == 1
    permit = load_permit(engine, rows.permit_id)
    assert permit.status is PermitStatus.USED
    assert permit.reconciled
    assert permit.actual_tweet_id == platform.posts[0].post_id
    [event] = events(engine, "permit_reconciled")
    assert event["post_id"] == permit.actual_tweet_id
    assert event["previous_status"] == "UNKNOWN"
    assert event["decision_id"] == rows.decision_id
    assert candidate_status(engine, rows.candidate_id) == "replied"
    assert len(platform.calls) == 1


def test_absence_within_the_grace_waits(
    engine: Engine, platform: FakePlatform, account_id: int
) -> None:
    rows = add_permit(engine, account_id)
    platform.inject("ambiguous")
    post.run_once(make_context(engine, account_id, platform))
    summary = reconcile.run_once(make_context(engine, account_id, platform, now=T0 + at(29)))
    assert summary.waiting == 1
    assert load_permit(engine, rows.permit_id).status is PermitStatus.UNKNOWN


def test_absence_after_the_grace_retries_with_the_same_key_and_text(
    engine: Engine, platform: FakePlatform, account_id: int
) -> None:
    rows = add_permit(engine, account_id)
    platform.inject("ambiguous")  # the request never arrived
    post.run_once(make_context(engine, account_id, platform))
    summary = reconcile.run_once(make_context(engine, account_id, platform, now=T0 + at(30)))
    assert summary.requeued == 1
    assert load_permit(engine, rows.permit_id).status is PermitStatus.PENDING
    [requeued] = events(engine, "permit_requeued")
    assert requeued["permit_id"] == rows.permit_id
    post.run_once(make_context(engine, account_id, platform, now=T0 + at(31)))
    permit = load_permit(engine, rows.permit_id)
    assert permit.status is PermitStatus.USED
    assert permit.attempts == 2
    assert {(call.text, call.idempotency_key) for call in platform.calls} == {
        (rows.text, rows.permit_id)
    }
    assert len(platform.replies_to(rows.target_post_id)) == 1


def test_a_late_post_and_a_duplicate_403_still_end_in_one_post(
    engine: Engine, platform: FakePlatform, account_id: int
) -> None:
    rows = add_permit(engine, account_id)
    # Accepted, the client timed out, and reads do not show the post until after the grace.
    platform.inject("hidden_then_timeout")
    post.run_once(make_context(engine, account_id, platform))
    reconcile.run_once(make_context(engine, account_id, platform, now=T0 + at(60)))
    assert load_permit(engine, rows.permit_id).status is PermitStatus.PENDING
    post.run_once(make_context(engine, account_id, platform, now=T0 + at(61)))
    permit = load_permit(engine, rows.permit_id)
    assert permit.status is PermitStatus.UNKNOWN
    assert str(permit.failure_reason).startswith("duplicate_content")
    platform.reveal()
    reconcile.run_once(make_context(engine, account_id, platform, now=T0 + at(62)))
    permit = load_permit(engine, rows.permit_id)
    assert permit.status is PermitStatus.USED
    assert permit.actual_tweet_id == platform.posts[0].post_id
    assert len(platform.posts) == 1


def test_absence_after_max_attempts_fails(
    engine: Engine, platform: FakePlatform, account_id: int
) -> None:
    rows = add_permit(
        engine,
        account_id,
        status="UNKNOWN",
        attempts=MAX_PUBLISH_ATTEMPTS,
        fence=MAX_PUBLISH_ATTEMPTS,
        updated_at=T0,
        failure_reason="ambiguous: x",
    )
    summary = reconcile.run_once(make_context(engine, account_id, platform, now=T0 + at(30)))
    assert summary.failed == 1
    permit = load_permit(engine, rows.permit_id)
    assert permit.status is PermitStatus.FAILED
    assert "ambiguous" in str(permit.failure_reason)
    [event] = events(engine, "permit_failed")
    assert event["permit_id"] == rows.permit_id
    assert candidate_status(engine, rows.candidate_id) == "skipped"


def test_a_crash_after_publish_is_found_once_the_lease_expires(
    engine: Engine, platform: FakePlatform, account_id: int
) -> None:
    rows = add_permit(engine, account_id)
    # The worker claimed and published, then died before recording anything.
    set_permit(
        engine,
        rows.permit_id,
        status="POSTING",
        fence=1,
        attempts=1,
        claimed_by="dead",
        lease_until=T0 + at(60),
        updated_at=T0,
    )
    platform.post_outside_xbot(rows.text, in_reply_to=rows.target_post_id)
    live = reconcile.run_once(make_context(engine, account_id, platform, now=T0 + at(59)))
    assert live == ReconcileSummary()
    summary = reconcile.run_once(make_context(engine, account_id, platform, now=T0 + at(60)))
    assert (summary.lease_expired, summary.reconciled) == (1, 1)
    [lapsed] = events(engine, "permit_unknown")
    assert (lapsed["reason"], lapsed["claimed_by"]) == ("lease_expired", "dead")
    permit = load_permit(engine, rows.permit_id)
    assert (permit.status, permit.reconciled) == (PermitStatus.USED, True)
    assert permit.fence == 3  # lease expiry and reconciliation each took the permit over


def test_a_read_back_error_changes_nothing(
    engine: Engine, platform: FakePlatform, account_id: int
) -> None:
    rows = add_permit(engine, account_id, status="UNKNOWN", attempts=1, updated_at=T0)
    platform.read_faults.append(errors.Transient("read failed"))
    with pytest.raises(errors.Transient):
        reconcile.run_once(make_context(engine, account_id, platform, now=T0 + at(60)))
    assert load_permit(engine, rows.permit_id).status is PermitStatus.UNKNOWN


def test_a_read_back_that_does_not_reach_the_permit_proves_nothing(
    engine: Engine, platform: FakePlatform, account_id: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(reconcile, "READ_BACK_LIMIT", 2)
    rows = add_permit(
        engine,
        account_id,
        now=T0 - at(3600),
        status="UNKNOWN",
        attempts=1,
        updated_at=T0 - at(3600),
    )
    for number in range(2):
        platform.post_outside_xbot(f"newer post {number}")
    summary = reconcile.run_once(make_context(engine, account_id, platform, now=T0 + at(60)))
    assert summary.read_back_too_short == 1
    assert load_permit(engine, rows.permit_id).status is PermitStatus.UNKNOWN


def test_one_post_never_settles_two_permits(
    engine: Engine, platform: FakePlatform, account_id: int
) -> None:
    first = add_permit(
        engine,
        account_id,
        target="77",
        text="same words",
        status="UNKNOWN",
        attempts=1,
        updated_at=T0,
    )
    platform.post_outside_xbot("same words", in_reply_to="77")
    summary = reconcile.run_once(make_context(engine, account_id, platform, now=T0 + at(5)))
    assert summary.reconciled == 1
    assert load_permit(engine, first.permit_id).status is PermitStatus.USED
