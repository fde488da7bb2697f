"""The reconcile job on the in-memory store: read back, then settle at each permit's fence."""

from __future__ import annotations

from datetime import timedelta

import pytest
from memory_world import World, world
from structlog.testing import capture_logs

from permit_world import T0, posting_permit, unknown_permit
from xbot.domain import errors
from xbot.domain.candidates import CandidateStatus
from xbot.domain.cost import Spend
from xbot.domain.permits import MAX_PUBLISH_ATTEMPTS, Permit, PermitStatus
from xbot.jobs import reconcile
from xbot.jobs.summaries import ReconcileSummary


def seconds(count: float) -> timedelta:
    return timedelta(seconds=count)


def stored(bot: World, permit: Permit) -> Permit:
    return bot.store.tables.permits[permit.permit_id]


def candidate_status(bot: World, permit: Permit) -> CandidateStatus:
    decision = bot.store.tables.decisions[permit.decision_id].decision
    return bot.store.tables.candidates[decision.candidate_id].status


def test_a_found_post_makes_the_permit_used_with_the_read_back_charged_alongside() -> None:
    bot = world()
    permit = unknown_permit(bot.store, bot.account_id, "77", "steep it two minutes")
    made = bot.platform.post_outside_xbot("steep it two minutes", in_reply_to="77")
    summary = reconcile.run_once(bot.context(T0 + seconds(5)))
    assert (summary.unknown, summary.reconciled, summary.read_back) == (1, 1, 1)
    after = stored(bot, permit)
    assert (after.status, after.reconciled, after.actual_tweet_id) == (
        PermitStatus.USED, True, made.post_id,
    )  # fmt: skip
    assert candidate_status(bot, permit) is CandidateStatus.REPLIED
    (event,) = bot.store.events.recent(event_type="permit_reconciled")
    assert (event.data["post_id"], event.data["previous_status"], event.data["source"]) == (
        made.post_id, "UNKNOWN", "reconcile",
    )  # fmt: skip
    assert event.worker_id == "w1"
    # the read-back's price went in with the reconcile's own writes, and left the meter
    spent = bot.store.usage.spend(bot.account_id, T0)
    assert spent.account_day > 0
    assert bot.meter.take() == []


def test_nothing_unknown_reads_nothing_and_charges_nothing() -> None:
    bot = world()
    bot.platform.read_faults.append(AssertionError("no read-back is needed"))
    assert reconcile.run_once(bot.context()) == ReconcileSummary()
    assert bot.store.usage.spend(bot.account_id, T0) == Spend()


def test_absence_within_the_grace_waits_and_still_records_the_read() -> None:
    bot = world()
    permit = unknown_permit(bot.store, bot.account_id)
    summary = reconcile.run_once(bot.context(T0 + seconds(29)))
    assert summary.waiting == 1
    assert stored(bot, permit).status is PermitStatus.UNKNOWN
    assert bot.store.events.recent() == []
    assert bot.meter.take() == []  # charged with the run's (empty) write


def test_absence_after_the_grace_requeues_for_the_same_text() -> None:
    bot = world()
    permit = unknown_permit(bot.store, bot.account_id)
    summary = reconcile.run_once(bot.context(T0 + seconds(30)))
    assert summary.requeued == 1
    after = stored(bot, permit)
    assert (after.status, after.attempts) == (PermitStatus.PENDING, 1)
    (event,) = bot.store.events.recent(event_type="permit_requeued")
    assert event.data["permit_id"] == permit.permit_id


def test_absence_after_the_last_attempt_fails_for_the_operator_to_see() -> None:
    bot = world()
    permit = unknown_permit(bot.store, bot.account_id, attempts=MAX_PUBLISH_ATTEMPTS)
    summary = reconcile.run_once(bot.context(T0 + seconds(30)))
    assert summary.failed == 1
    assert stored(bot, permit).status is PermitStatus.FAILED
    assert candidate_status(bot, permit) is CandidateStatus.SKIPPED
    (event,) = bot.store.events.recent(event_type="permit_failed")
    assert (event.severity, event.data["permit_id"]) == ("warning", permit.permit_id)


def test_a_read_back_error_leaves_the_permit_unknown_and_the_charges_in_the_meter() -> None:
    bot = world()
    permit = unknown_permit(bot.store, bot.account_id)
    bot.platform.read_faults.append(errors.Transient("read failed"))
    with pytest.raises(errors.Transient):
        reconcile.run_once(bot.context(T0 + seconds(60)))
    assert stored(bot, permit).status is PermitStatus.UNKNOWN
    assert bot.store.events.recent() == []
    assert bot.store.usage.spend(bot.account_id, T0) == Spend()


def test_a_lapsed_lease_becomes_unknown_and_its_post_is_found() -> None:
    bot = world()
    permit = posting_permit(bot.store, bot.account_id, "77", "two minutes")
    bot.platform.post_outside_xbot("two minutes", in_reply_to="77")
    assert reconcile.run_once(bot.context(T0 + seconds(59))) == ReconcileSummary()
    summary = reconcile.run_once(bot.context(T0 + seconds(60)))
    assert (summary.lease_expired, summary.reconciled) == (1, 1)
    (lapsed,) = bot.store.events.recent(event_type="permit_unknown")
    assert (lapsed.data["reason"], lapsed.data["claimed_by"]) == ("lease_expired", "w0")
    after = stored(bot, permit)
    assert (after.status, after.fence) == (PermitStatus.USED, 3)


def test_a_permit_another_worker_settles_meanwhile_is_left_to_it() -> None:
    bot = world()
    permit = unknown_permit(bot.store, bot.account_id, "77", "two minutes")
    bot.platform.post_outside_xbot("two minutes", in_reply_to="77")
    permits = bot.store.permits
    used_post_ids = permits.used_post_ids

    def another_worker_settles_after_this_read(account_id: int, post_ids: list[str]) -> set[str]:
        permits.used_post_ids = used_post_ids  # type: ignore[method-assign]
        taken = used_post_ids(account_id, post_ids)
        reconcile.run_once(bot.context(T0 + seconds(5), worker_id="w2"))
        return taken

    permits.used_post_ids = another_worker_settles_after_this_read  # type: ignore[method-assign]
    summary = reconcile.run_once(bot.context(T0 + seconds(5)))
    assert (summary.reconciled, summary.taken_over) == (0, 1)
    (event,) = bot.store.events.recent(event_type="permit_reconciled")
    assert event.worker_id == "w2"
    assert stored(bot, permit).status is PermitStatus.USED


def test_one_post_never_settles_two_permits() -> None:
    bot = world()
    unknown_permit(bot.store, bot.account_id, "77", "same words")
    unknown_permit(bot.store, bot.account_id, "78", "same words")
    bot.platform.post_outside_xbot("same words", in_reply_to="77")
    summary = reconcile.run_once(bot.context(T0 + seconds(5)))
    assert (summary.reconciled, summary.waiting) == (1, 1)


def test_operators_see_reconciled_permits_in_the_log() -> None:
    bot = world()
    permit = unknown_permit(bot.store, bot.account_id, "77", "two minutes")
    made = bot.platform.post_outside_xbot("two minutes", in_reply_to="77")
    with capture_logs() as logs:
        reconcile.run_once(bot.context(T0 + seconds(5)))
    (entry,) = [entry for entry in logs if entry["event"] == "permit_reconciled"]
    assert entry["log_level"] == "info"
    assert (entry["permit_id"], entry["post_id"], entry["account"]) == (
        permit.permit_id, made.post_id, "x:bot",
    )  # fmt: skip
    assert entry["component"] == "reconcile"
