"""The post job against an in-memory platform, on a SQLite file: claims, refusals, outcomes."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import timedelta

import pytest
from sqlalchemy import Engine

from posting_fakes import FakePlatform
from posting_rows import (
    T0,
    add_account,
    add_permit,
    candidate_status,
    declare_deployment,
    events,
    load_permit,
    make_context,
    set_kill_switch,
    set_permit,
)
from xbot.domain.permits import PermitStatus
from xbot.domain.posts import Published, ReplyTarget
from xbot.jobs import post
from xbot.store.engine import make_engine


@pytest.fixture
def engine(sqlite_url: str) -> Iterator[Engine]:
    engine = make_engine(sqlite_url)
    yield engine
    engine.dispose()


@pytest.fixture
def platform() -> FakePlatform:
    return FakePlatform()


@pytest.fixture
def account_id(engine: Engine) -> int:
    return add_account(engine)


def test_a_pending_permit_is_published_once_and_used(
    engine: Engine, platform: FakePlatform, account_id: int
) -> None:
    rows = add_permit(engine, account_id)
    summary = post.run_once(make_context(engine, account_id, platform))
    assert summary["claimed"] == 1
    assert summary["status"] == "USED"
    [call] = platform.calls
    assert (call.target_post_id, call.text, call.idempotency_key) == (
        rows.target_post_id,
        rows.text,
        rows.permit_id,
    )
    permit = load_permit(engine, rows.permit_id)
    assert permit.status is PermitStatus.USED
    assert permit.actual_tweet_id == platform.posts[0].post_id
    assert permit.used_at == T0
    assert (permit.claimed_by, permit.claimed_sha, permit.fence, permit.attempts) == (
        "worker-1",
        "abc123",
        1,
        1,
    )
    assert not permit.reconciled
    [posted] = events(engine, "reply_posted")
    assert posted["decision_id"] == rows.decision_id
    assert posted["permit_id"] == rows.permit_id
    assert posted["post_id"] == permit.actual_tweet_id
    assert posted["target_post_id"] == rows.target_post_id
    assert posted["worker_id"] == "worker-1"
    assert candidate_status(engine, rows.candidate_id) == "replied"
    assert [event["event_type"] for event in events(engine)] == ["permit_claimed", "reply_posted"]


def test_nothing_to_claim_touches_nothing(engine: Engine, account_id: int) -> None:
    def no_platform(_account: object) -> FakePlatform:
        raise AssertionError("the platform is not needed when nothing is claimable")

    context = replace(make_context(engine, account_id, FakePlatform()), platform_for=no_platform)
    assert post.run_once(context) == {"expired": 0, "claimed": 0}
    assert events(engine) == []


def test_one_permit_per_run_oldest_first(
    engine: Engine, platform: FakePlatform, account_id: int
) -> None:
    first = add_permit(engine, account_id, now=T0 - timedelta(minutes=2))
    second = add_permit(engine, account_id, now=T0 - timedelta(minutes=1))
    post.run_once(make_context(engine, account_id, platform))
    assert load_permit(engine, first.permit_id).status is PermitStatus.USED
    assert load_permit(engine, second.permit_id).status is PermitStatus.PENDING
    post.run_once(make_context(engine, account_id, platform))
    assert load_permit(engine, second.permit_id).status is PermitStatus.USED


@pytest.mark.parametrize(
    "case",
    [
        ("transient", PermitStatus.PENDING, "permit_deferred", "warning"),
        ("rate_limited", PermitStatus.PENDING, "permit_deferred", "warning"),
        ("auth", PermitStatus.PENDING, "permit_deferred", "error"),
        ("credits", PermitStatus.PENDING, "permit_deferred", "error"),
        ("forbidden", PermitStatus.FAILED, "permit_failed", "warning"),
        ("not_found", PermitStatus.FAILED, "permit_failed", "warning"),
        ("ambiguous", PermitStatus.UNKNOWN, "permit_unknown", "warning"),
        ("bad_response", PermitStatus.UNKNOWN, "permit_unknown", "warning"),
        ("unexpected", PermitStatus.UNKNOWN, "permit_unknown", "warning"),
        ("accepted_then_timeout", PermitStatus.UNKNOWN, "permit_unknown", "warning"),
        ("accepted_then_5xx", PermitStatus.UNKNOWN, "permit_unknown", "warning"),
    ],
)
def test_each_fault_moves_the_permit_as_designed(
    engine: Engine,
    platform: FakePlatform,
    account_id: int,
    case: tuple[str, PermitStatus, str, str],
) -> None:
    fault, status, event_type, severity = case
    rows = add_permit(engine, account_id)
    platform.inject(fault)
    summary = post.run_once(make_context(engine, account_id, platform))
    permit = load_permit(engine, rows.permit_id)
    assert summary["status"] == status.value
    assert permit.status is status
    assert permit.actual_tweet_id is None
    assert permit.failure_reason
    [event] = events(engine, event_type)
    assert event["permit_id"] == rows.permit_id
    assert event["severity"] == severity
    if status is PermitStatus.PENDING:
        assert permit.not_before is not None
        assert permit.not_before > T0
    expected_candidate = "skipped" if status is PermitStatus.FAILED else "selected"
    assert candidate_status(engine, rows.candidate_id) == expected_candidate


def test_duplicate_content_is_unknown_never_failed(
    engine: Engine, platform: FakePlatform, account_id: int
) -> None:
    rows = add_permit(engine, account_id)
    platform.post_outside_xbot(rows.text, in_reply_to=rows.target_post_id)
    post.run_once(make_context(engine, account_id, platform))
    permit = load_permit(engine, rows.permit_id)
    assert permit.status is PermitStatus.UNKNOWN
    assert str(permit.failure_reason).startswith("duplicate_content")


def test_nothing_is_re_sent_while_unknown(
    engine: Engine, platform: FakePlatform, account_id: int
) -> None:
    rows = add_permit(engine, account_id)
    platform.inject("accepted_then_timeout")
    post.run_once(make_context(engine, account_id, platform))
    for minutes in (1, 10, 100):
        later = make_context(engine, account_id, platform, now=T0 + timedelta(minutes=minutes))
        assert post.run_once(later)["claimed"] == 0
    assert len(platform.calls) == 1
    assert load_permit(engine, rows.permit_id).status is PermitStatus.UNKNOWN


def test_a_deferred_permit_waits_for_its_backoff(
    engine: Engine, platform: FakePlatform, account_id: int
) -> None:
    rows = add_permit(engine, account_id)
    platform.inject("transient")
    post.run_once(make_context(engine, account_id, platform))
    retry_at = load_permit(engine, rows.permit_id).not_before
    assert retry_at is not None
    early = make_context(engine, account_id, platform, now=retry_at - timedelta(seconds=1))
    assert post.run_once(early)["claimed"] == 0
    on_time = make_context(engine, account_id, platform, now=retry_at)
    assert post.run_once(on_time)["status"] == "USED"
    permit = load_permit(engine, rows.permit_id)
    assert (permit.attempts, permit.fence) == (2, 2)
    assert [call.idempotency_key for call in platform.calls] == [rows.permit_id] * 2


def test_an_expired_permit_expires_and_is_never_sent(
    engine: Engine, platform: FakePlatform, account_id: int
) -> None:
    rows = add_permit(engine, account_id, expires_in=timedelta(seconds=-1))
    summary = post.run_once(make_context(engine, account_id, platform))
    assert summary == {"expired": 1, "claimed": 0}
    assert load_permit(engine, rows.permit_id).status is PermitStatus.EXPIRED
    [event] = events(engine, "posting_blocked_expired")
    assert event["permit_id"] == rows.permit_id
    assert candidate_status(engine, rows.candidate_id) == "expired"
    assert platform.calls == []


def _assert_blocked(engine: Engine, platform: FakePlatform, permit_id: str, reason: str) -> None:
    permit = load_permit(engine, permit_id)
    assert (permit.status, permit.fence, permit.attempts) == (PermitStatus.PENDING, 0, 0)
    assert platform.calls == []
    [event] = events(engine, f"posting_blocked_{reason}")
    assert event["permit_id"] == permit_id
    assert event["detail"]


def test_kill_switch_refuses_and_leaves_the_permit(
    engine: Engine, platform: FakePlatform, account_id: int
) -> None:
    rows = add_permit(engine, account_id)
    set_kill_switch(engine, on=True)
    assert post.run_once(make_context(engine, account_id, platform))["blocked"] == "kill_switch"
    _assert_blocked(engine, platform, rows.permit_id, "kill_switch")
    set_kill_switch(engine, on=False)
    assert post.run_once(make_context(engine, account_id, platform))["status"] == "USED"


def test_kill_switch_drain_expires_every_pending_permit(
    engine: Engine, platform: FakePlatform, account_id: int
) -> None:
    first, second = add_permit(engine, account_id), add_permit(engine, account_id)
    set_kill_switch(engine, on=True, drain=True)
    assert post.run_once(make_context(engine, account_id, platform))["expired"] == 2
    for rows in (first, second):
        permit = load_permit(engine, rows.permit_id)
        assert permit.status is PermitStatus.EXPIRED
        assert permit.failure_reason == "drained by the kill switch"
    assert platform.calls == []


def test_a_web_process_may_not_post(
    engine: Engine, platform: FakePlatform, account_id: int
) -> None:
    rows = add_permit(engine, account_id)
    post.run_once(make_context(engine, account_id, platform, role="web"))
    _assert_blocked(engine, platform, rows.permit_id, "wrong_role")


def test_stale_code_may_not_post_after_a_deployment_is_declared(
    engine: Engine, platform: FakePlatform, account_id: int
) -> None:
    rows = add_permit(engine, account_id)
    declare_deployment(engine, "new456")
    post.run_once(make_context(engine, account_id, platform, git_sha="abc123"))
    _assert_blocked(engine, platform, rows.permit_id, "stale_code")
    [event] = events(engine, "posting_blocked_stale_code")
    assert event["git_sha"] == "abc123"
    assert "new456" in event["detail"]
    current = make_context(engine, account_id, platform, git_sha="new456")
    assert post.run_once(current)["status"] == "USED"


def test_the_budget_is_checked_at_claim_time(
    engine: Engine, platform: FakePlatform, account_id: int
) -> None:
    add_permit(
        engine, account_id, status="USED", used_at=T0 - timedelta(minutes=30), actual_tweet_id="555"
    )
    rows = add_permit(engine, account_id)
    post.run_once(make_context(engine, account_id, platform, per_hour=1))
    _assert_blocked(engine, platform, rows.permit_id, "budget")
    later = make_context(engine, account_id, platform, per_hour=1, now=T0 + timedelta(minutes=31))
    assert post.run_once(later)["status"] == "USED"


def test_a_refusal_is_not_repeated_every_run(
    engine: Engine, platform: FakePlatform, account_id: int
) -> None:
    add_permit(engine, account_id)
    set_kill_switch(engine, on=True)
    for seconds in (0, 5, 60):
        context = make_context(engine, account_id, platform, now=T0 + timedelta(seconds=seconds))
        post.run_once(context)
    assert len(events(engine, "posting_blocked_kill_switch")) == 1
    post.run_once(make_context(engine, account_id, platform, now=T0 + timedelta(minutes=6)))
    assert len(events(engine, "posting_blocked_kill_switch")) == 2


class TakenOverPlatform(FakePlatform):
    """Publishes, but another writer takes the permit over while the request is in flight."""

    def __init__(self, engine: Engine, permit_id: str) -> None:
        super().__init__()
        self.engine, self.permit_id = engine, permit_id

    def publish_reply(self, target: ReplyTarget, text: str, idempotency_key: str) -> Published:
        published = super().publish_reply(target, text, idempotency_key)
        set_permit(self.engine, self.permit_id, status="UNKNOWN", fence=2)
        return published


def test_a_lost_lease_stops_the_write_and_says_so(engine: Engine, account_id: int) -> None:
    rows = add_permit(engine, account_id)
    platform = TakenOverPlatform(engine, rows.permit_id)
    assert post.run_once(make_context(engine, account_id, platform))["status"] == "lease_lost"
    permit = load_permit(engine, rows.permit_id)
    assert (permit.status, permit.fence, permit.actual_tweet_id) == (PermitStatus.UNKNOWN, 2, None)
    [event] = events(engine, "permit_lease_lost")
    assert event["post_id"] == platform.posts[0].post_id
    assert events(engine, "reply_posted") == []


def test_an_adapter_that_cannot_be_built_sends_nothing(engine: Engine, account_id: int) -> None:
    rows = add_permit(engine, account_id)

    def broken(_account: object) -> FakePlatform:
        raise RuntimeError("no credentials")

    context = replace(make_context(engine, account_id, FakePlatform()), platform_for=broken)
    assert post.run_once(context)["status"] == "PENDING"
    permit = load_permit(engine, rows.permit_id)
    assert str(permit.failure_reason).startswith("platform_unavailable")


def test_a_long_reply_is_cut_to_one_line_in_its_log_excerpt() -> None:
    from xbot.jobs.post import EXCERPT_CHARS, excerpt

    text = "first line\n" + "word " * 40
    cut = excerpt(text)
    assert "\n" not in cut
    assert len(cut) == EXCERPT_CHARS
    assert cut.endswith("…")
    assert excerpt("short  reply") == "short reply"
