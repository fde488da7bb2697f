"""The post job against an in-memory platform, on the in-memory store: claims, refusals, outcomes.

No database file: the store is xbot.store.memory (the conformance suite keeps it the SQL
stores' twin); tests/integration runs the same protocol on SQLite and PostgreSQL.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest
from structlog.testing import capture_logs

from posting_fakes import FakePlatform
from posting_memory import (
    T0,
    add_account,
    add_permit,
    candidate_status,
    declare_deployment,
    events,
    load_permit,
    make_context,
    make_store,
    set_kill_switch,
    set_permit,
)
from xbot.config import AccountSettings, Settings
from xbot.domain.audit import NewEvent
from xbot.domain.ghosts import GhostClassification, NewGhost
from xbot.domain.permits import PermitStatus
from xbot.domain.posts import Post, PostId, Published, ReplyTarget
from xbot.jobs import post
from xbot.store.memory import MemoryStore


@pytest.fixture
def store() -> MemoryStore:
    return make_store()


@pytest.fixture
def platform() -> FakePlatform:
    return FakePlatform()


@pytest.fixture
def account_id(store: MemoryStore) -> int:
    return add_account(store)


def test_a_pending_permit_is_published_once_and_used(
    store: MemoryStore, platform: FakePlatform, account_id: int
) -> None:
    rows = add_permit(store, account_id)
    summary = post.run_once(make_context(store, account_id, platform)).as_data()
    assert summary["claimed"] == 1
    assert summary["status"] == "USED"
    [call] = platform.calls
    assert (call.target_post_id, call.text, call.idempotency_key) == (
        rows.target_post_id,
        rows.text,
        rows.permit_id,
    )
    permit = load_permit(store, rows.permit_id)
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
    [posted] = events(store, "reply_posted")
    assert posted["decision_id"] == rows.decision_id
    assert posted["permit_id"] == rows.permit_id
    assert posted["post_id"] == permit.actual_tweet_id
    assert posted["target_post_id"] == rows.target_post_id
    assert posted["worker_id"] == "worker-1"
    assert candidate_status(store, rows.candidate_id) == "replied"
    assert [event["event_type"] for event in events(store)] == ["permit_claimed", "reply_posted"]


def test_nothing_to_claim_touches_nothing(store: MemoryStore, account_id: int) -> None:
    def no_platform(_account: object) -> FakePlatform:
        raise AssertionError("the platform is not needed when nothing is claimable")

    context = replace(make_context(store, account_id, FakePlatform()), platform_for=no_platform)
    assert post.run_once(context).as_data() == {"expired": 0, "claimed": 0}
    assert events(store) == []


def test_one_permit_per_run_oldest_first(
    store: MemoryStore, platform: FakePlatform, account_id: int
) -> None:
    first = add_permit(store, account_id, now=T0 - timedelta(minutes=2))
    second = add_permit(store, account_id, now=T0 - timedelta(minutes=1))
    post.run_once(make_context(store, account_id, platform))
    assert load_permit(store, first.permit_id).status is PermitStatus.USED
    assert load_permit(store, second.permit_id).status is PermitStatus.PENDING
    post.run_once(make_context(store, account_id, platform))
    assert load_permit(store, second.permit_id).status is PermitStatus.USED


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
    store: MemoryStore,
    platform: FakePlatform,
    account_id: int,
    case: tuple[str, PermitStatus, str, str],
) -> None:
    fault, status, event_type, severity = case
    rows = add_permit(store, account_id)
    platform.inject(fault)
    summary = post.run_once(make_context(store, account_id, platform)).as_data()
    permit = load_permit(store, rows.permit_id)
    assert summary["status"] == status.value
    assert permit.status is status
    assert permit.actual_tweet_id is None
    assert permit.failure_reason
    [event] = events(store, event_type)
    assert event["permit_id"] == rows.permit_id
    assert event["severity"] == severity
    if status is PermitStatus.PENDING:
        assert permit.not_before is not None
        assert permit.not_before > T0
    expected_candidate = "skipped" if status is PermitStatus.FAILED else "selected"
    assert candidate_status(store, rows.candidate_id) == expected_candidate


def test_duplicate_content_is_unknown_never_failed(
    store: MemoryStore, platform: FakePlatform, account_id: int
) -> None:
    rows = add_permit(store, account_id)
    platform.post_outside_xbot(rows.text, in_reply_to=rows.target_post_id)
    post.run_once(make_context(store, account_id, platform))
    permit = load_permit(store, rows.permit_id)
    assert permit.status is PermitStatus.UNKNOWN
    assert str(permit.failure_reason).startswith("duplicate_content")


def test_nothing_is_re_sent_while_unknown(
    store: MemoryStore, platform: FakePlatform, account_id: int
) -> None:
    rows = add_permit(store, account_id)
    platform.inject("accepted_then_timeout")
    post.run_once(make_context(store, account_id, platform))
    for minutes in (1, 10, 100):
        later = make_context(store, account_id, platform, now=T0 + timedelta(minutes=minutes))
        assert post.run_once(later).claimed == 0
    assert len(platform.calls) == 1
    assert load_permit(store, rows.permit_id).status is PermitStatus.UNKNOWN


def test_a_deferred_permit_waits_for_its_backoff(
    store: MemoryStore, platform: FakePlatform, account_id: int
) -> None:
    rows = add_permit(store, account_id)
    platform.inject("transient")
    post.run_once(make_context(store, account_id, platform))
    retry_at = load_permit(store, rows.permit_id).not_before
    assert retry_at is not None
    early = make_context(store, account_id, platform, now=retry_at - timedelta(seconds=1))
    assert post.run_once(early).claimed == 0
    on_time = make_context(store, account_id, platform, now=retry_at)
    assert post.run_once(on_time).status == "USED"
    permit = load_permit(store, rows.permit_id)
    assert (permit.attempts, permit.fence) == (2, 2)
    assert [call.idempotency_key for call in platform.calls] == [rows.permit_id] * 2


def test_an_expired_permit_expires_and_is_never_sent(
    store: MemoryStore, platform: FakePlatform, account_id: int
) -> None:
    rows = add_permit(store, account_id, expires_in=timedelta(seconds=-1))
    summary = post.run_once(make_context(store, account_id, platform)).as_data()
    assert summary == {"expired": 1, "claimed": 0}
    assert load_permit(store, rows.permit_id).status is PermitStatus.EXPIRED
    [event] = events(store, "posting_blocked_expired")
    assert event["permit_id"] == rows.permit_id
    assert candidate_status(store, rows.candidate_id) == "expired"
    assert platform.calls == []


def _assert_blocked(
    store: MemoryStore, platform: FakePlatform, permit_id: str, reason: str
) -> None:
    permit = load_permit(store, permit_id)
    assert (permit.status, permit.fence, permit.attempts) == (PermitStatus.PENDING, 0, 0)
    assert platform.calls == []
    [event] = events(store, f"posting_blocked_{reason}")
    assert event["permit_id"] == permit_id
    assert event["detail"]


def test_kill_switch_refuses_and_leaves_the_permit(
    store: MemoryStore, platform: FakePlatform, account_id: int
) -> None:
    rows = add_permit(store, account_id)
    set_kill_switch(store, on=True)
    assert post.run_once(make_context(store, account_id, platform)).blocked == "kill_switch"
    _assert_blocked(store, platform, rows.permit_id, "kill_switch")
    set_kill_switch(store, on=False)
    assert post.run_once(make_context(store, account_id, platform)).status == "USED"


def test_kill_switch_drain_expires_every_pending_permit(
    store: MemoryStore, platform: FakePlatform, account_id: int
) -> None:
    first, second = add_permit(store, account_id), add_permit(store, account_id)
    set_kill_switch(store, on=True, drain=True)
    assert post.run_once(make_context(store, account_id, platform)).expired == 2
    for rows in (first, second):
        permit = load_permit(store, rows.permit_id)
        assert permit.status is PermitStatus.EXPIRED
        assert permit.failure_reason == "drained by the kill switch"
    assert platform.calls == []


def test_a_web_process_may_not_post(
    store: MemoryStore, platform: FakePlatform, account_id: int
) -> None:
    rows = add_permit(store, account_id)
    post.run_once(make_context(store, account_id, platform, role="web"))
    _assert_blocked(store, platform, rows.permit_id, "wrong_role")


def test_stale_code_may_not_post_after_a_deployment_is_declared(
    store: MemoryStore, platform: FakePlatform, account_id: int
) -> None:
    rows = add_permit(store, account_id)
    declare_deployment(store, "new456")
    post.run_once(make_context(store, account_id, platform, git_sha="abc123"))
    _assert_blocked(store, platform, rows.permit_id, "stale_code")
    [event] = events(store, "posting_blocked_stale_code")
    assert event["git_sha"] == "abc123"
    assert "new456" in event["detail"]
    current = make_context(store, account_id, platform, git_sha="new456")
    assert post.run_once(current).status == "USED"


def test_the_budget_is_checked_at_claim_time(
    store: MemoryStore, platform: FakePlatform, account_id: int
) -> None:
    add_permit(
        store, account_id, status="USED", used_at=T0 - timedelta(minutes=30), actual_tweet_id="555"
    )
    rows = add_permit(store, account_id)
    post.run_once(make_context(store, account_id, platform, per_hour=1))
    _assert_blocked(store, platform, rows.permit_id, "budget")
    later = make_context(store, account_id, platform, per_hour=1, now=T0 + timedelta(minutes=31))
    assert post.run_once(later).status == "USED"


def test_a_refusal_is_not_repeated_every_run(
    store: MemoryStore, platform: FakePlatform, account_id: int
) -> None:
    add_permit(store, account_id)
    set_kill_switch(store, on=True)
    for seconds in (0, 5, 60):
        context = make_context(store, account_id, platform, now=T0 + timedelta(seconds=seconds))
        post.run_once(context)
    assert len(events(store, "posting_blocked_kill_switch")) == 1
    post.run_once(make_context(store, account_id, platform, now=T0 + timedelta(minutes=6)))
    assert len(events(store, "posting_blocked_kill_switch")) == 2


class TakenOverPlatform(FakePlatform):
    """Publishes, but another writer takes the permit over while the request is in flight."""

    def __init__(self, store: MemoryStore, permit_id: str) -> None:
        super().__init__()
        self.store, self.permit_id = store, permit_id

    def publish_reply(self, target: ReplyTarget, text: str, idempotency_key: str) -> Published:
        published = super().publish_reply(target, text, idempotency_key)
        set_permit(self.store, self.permit_id, status="UNKNOWN", fence=2)
        return published


def test_a_lost_lease_stops_the_write_and_says_so(store: MemoryStore, account_id: int) -> None:
    rows = add_permit(store, account_id)
    platform = TakenOverPlatform(store, rows.permit_id)
    assert post.run_once(make_context(store, account_id, platform)).status == "lease_lost"
    permit = load_permit(store, rows.permit_id)
    assert (permit.status, permit.fence, permit.actual_tweet_id) == (PermitStatus.UNKNOWN, 2, None)
    [event] = events(store, "permit_lease_lost")
    assert event["post_id"] == platform.posts[0].post_id
    assert events(store, "reply_posted") == []


def test_an_adapter_that_cannot_be_built_sends_nothing(store: MemoryStore, account_id: int) -> None:
    rows = add_permit(store, account_id)

    def broken(_account: object) -> FakePlatform:
        raise RuntimeError("no credentials")

    context = replace(make_context(store, account_id, FakePlatform()), platform_for=broken)
    assert post.run_once(context).status == "PENDING"
    permit = load_permit(store, rows.permit_id)
    assert str(permit.failure_reason).startswith("platform_unavailable")


def test_a_long_reply_is_cut_to_one_line_in_its_log_excerpt() -> None:
    from xbot.jobs.post import EXCERPT_CHARS, excerpt

    text = "first line\n" + "word " * 40
    cut = excerpt(text)
    assert "\n" not in cut
    assert len(cut) == EXCERPT_CHARS
    assert cut.endswith("…")
    assert excerpt("short  reply") == "short reply"


def test_a_deploy_mark_required_but_missing_refuses_at_the_fence(
    store: MemoryStore, platform: FakePlatform, account_id: int
) -> None:
    rows = add_permit(store, account_id)
    strict = Settings(lease_seconds=60.0, require_deploy_mark=True)
    context = make_context(store, account_id, platform, settings=strict)
    assert post.run_once(context).blocked == "deploy_unmarked"
    _assert_blocked(store, platform, rows.permit_id, "deploy_unmarked")
    declare_deployment(store, "abc123")
    assert post.run_once(context).status == "USED"


def test_a_reply_whose_price_crosses_the_daily_cap_is_refused(
    store: MemoryStore, platform: FakePlatform, account_id: int
) -> None:
    rows = add_permit(store, account_id)
    capped = AccountSettings(platform="x", handle="bot", cost={"daily_usd": 0.001})
    context = make_context(store, account_id, platform, account_settings=capped)
    assert post.run_once(context).blocked == "cost_cap"
    _assert_blocked(store, platform, rows.permit_id, "cost_cap")


def test_a_target_a_ghost_reply_answers_is_withdrawn_and_never_sent(
    store: MemoryStore, platform: FakePlatform, account_id: int
) -> None:
    rows = add_permit(store, account_id)
    ghost = Post(post_id=PostId("g1"), author_id="1000", author_handle="bot", text="hi",
                 created_at=T0, in_reply_to_post_id=rows.target_post_id)  # fmt: skip
    found = NewGhost(account_id=account_id, post=ghost, detected_at=T0,
                     classification=GhostClassification.UNEXPLAINED)  # fmt: skip
    store.ghosts.record_ghost(found, lambda _id: NewEvent(event_type="ghost_found", data={}))
    assert post.run_once(make_context(store, account_id, platform)).as_data() == {
        "expired": 0,
        "claimed": 0,
    }
    permit = load_permit(store, rows.permit_id)
    assert permit.status is PermitStatus.FAILED
    assert str(permit.failure_reason).startswith("target_already_answered")
    [failed] = events(store, "permit_failed")
    assert failed["ghost_post_id"] == "g1"
    assert candidate_status(store, rows.candidate_id) == "skipped"
    assert platform.calls == []


def test_a_text_changed_after_approval_is_never_claimed(
    store: MemoryStore, platform: FakePlatform, account_id: int
) -> None:
    rows = add_permit(store, account_id, content_sha256="0" * 64)
    assert post.run_once(make_context(store, account_id, platform)).claimed == 0
    assert load_permit(store, rows.permit_id).status is PermitStatus.FAILED
    [refused] = events(store, "posting_blocked_review_mismatch")
    assert refused["severity"] == "error"
    assert candidate_status(store, rows.candidate_id) == "skipped"
    assert platform.calls == []


def test_a_shadow_account_claims_and_records_but_never_publishes(
    store: MemoryStore, platform: FakePlatform, account_id: int
) -> None:
    rows = add_permit(store, account_id)
    shadow = AccountSettings(platform="x", handle="bot", mode="shadow")
    summary = post.run_once(
        make_context(store, account_id, platform, account_settings=shadow)
    ).as_data()
    assert (summary["claimed"], summary["status"]) == (1, "SHADOWED")
    assert platform.calls == []
    [shadowed] = events(store, "reply_shadowed")
    assert shadowed["text"] == rows.text
    assert load_permit(store, rows.permit_id).status is PermitStatus.SHADOWED


def test_the_claim_the_reply_and_its_events_are_logged_after_they_commit(
    store: MemoryStore, platform: FakePlatform, account_id: int
) -> None:
    add_permit(store, account_id, text="A reply\nover two lines")
    with capture_logs() as logs:
        post.run_once(make_context(store, account_id, platform))
    names = [line["event"] for line in logs]
    assert names == ["permit_claimed", "reply_posted"]
    assert logs[1]["text"] == "A reply over two lines"


def test_a_payment_refusal_stops_the_next_claim_until_the_next_day(
    store: MemoryStore, platform: FakePlatform, account_id: int
) -> None:
    add_permit(store, account_id)
    second = add_permit(store, account_id, now=T0 + timedelta(seconds=1))
    platform.inject("credits")
    post.run_once(make_context(store, account_id, platform))
    later = make_context(store, account_id, platform, now=T0 + timedelta(minutes=20))
    assert post.run_once(later).blocked == "cost_cap"
    assert load_permit(store, second.permit_id).status is PermitStatus.PENDING
