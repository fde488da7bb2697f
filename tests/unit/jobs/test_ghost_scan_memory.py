"""The ghost scan on the in-memory store: every post on the account explained or reported."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest
from memory_world import world
from structlog.testing import capture_logs

from permit_world import T0, posting_permit, unknown_permit
from xbot.domain.audit import NewEvent
from xbot.domain.ghosts import GhostRecord
from xbot.domain.permits import PermitStatus
from xbot.jobs import ghost_scan
from xbot.jobs.summaries import ScanSkipped


def later(minutes: float) -> timedelta:
    return timedelta(minutes=minutes)


def acknowledged(ghost: GhostRecord) -> NewEvent:
    return NewEvent(event_type="ghost_acknowledged", data={"post_id": ghost.post_id})


def test_a_post_with_no_permit_is_a_ghost_with_a_critical_event() -> None:
    bot = world()
    made = bot.platform.post_outside_xbot("sure, why not", in_reply_to="31337")
    summary = ghost_scan.run_once(bot.context(T0 + later(0.1)))
    assert (summary.scanned, summary.ghosts, summary.reconciled) == (1, 1, 0)
    (ghost,) = bot.store.ghosts.ghosts()
    assert (ghost.post_id, ghost.in_reply_to, ghost.classification) == (
        made.post_id, "31337", "unexplained",
    )  # fmt: skip
    (event,) = bot.store.events.recent(event_type="ghost_tweet_detected")
    assert (event.severity, event.data["post_id"], event.data["ghost_id"]) == (
        "critical", made.post_id, ghost.ghost_id,
    )  # fmt: skip
    (done,) = bot.store.events.recent(event_type="ghost_scan_completed")
    assert (done.data["scanned"], done.data["ghosts"]) == (1, 1)
    # the read's price went in with the scan's record
    assert bot.store.usage.spend(bot.account_id, T0).account_day > 0
    assert bot.meter.take() == []


def test_an_acknowledged_ghost_is_not_reported_again() -> None:
    bot = world()
    made = bot.platform.post_outside_xbot("posted from the phone")
    ghost_scan.run_once(bot.context(T0 + later(0.1)))
    assert bot.store.ghosts.acknowledge(made.post_id, "ops", acknowledged) is not None
    # within the grace the post is read again: known, so no second row or event
    again = ghost_scan.run_once(bot.context(T0 + later(0.2)))
    assert (again.scanned, again.ghosts) == (1, 0)
    assert bot.store.ghosts.ghosts() == []
    assert len(bot.store.ghosts.ghosts(include_acknowledged=True)) == 1
    assert len(bot.store.events.recent(event_type="ghost_tweet_detected")) == 1


def test_posts_explained_by_used_permits_are_fine() -> None:
    bot = world()
    permit = posting_permit(bot.store, bot.account_id, "77", "two minutes")
    made = bot.platform.post_outside_xbot("two minutes", in_reply_to="77")
    used = replace(permit, status=PermitStatus.USED, fence=permit.fence + 1,
                   actual_tweet_id=made.post_id, used_at=T0)  # fmt: skip
    bot.store.permits.transition(permit, used, None, [])
    summary = ghost_scan.run_once(bot.context(T0 + later(1)))
    assert (summary.scanned, summary.ghosts) == (1, 0)
    assert bot.store.ghosts.ghosts() == []


def test_the_post_of_an_unknown_permit_reconciles_it() -> None:
    bot = world()
    permit = unknown_permit(bot.store, bot.account_id, "77", "two minutes")
    bot.platform.post_outside_xbot("two minutes", in_reply_to="77")
    summary = ghost_scan.run_once(bot.context(T0 + later(1)))
    assert (summary.reconciled, summary.ghosts) == (1, 0)
    after = bot.store.tables.permits[permit.permit_id]
    assert (after.status, after.reconciled) == (PermitStatus.USED, True)
    (event,) = bot.store.events.recent(event_type="permit_reconciled")
    assert (event.data["source"], event.component) == ("ghost_scan", "ghost_scan")


def test_our_words_without_a_used_permit_match_a_decision_text() -> None:
    bot = world()
    permit = unknown_permit(bot.store, bot.account_id, "77", "two minutes")
    failed = replace(permit, status=PermitStatus.FAILED, fence=permit.fence + 1)
    bot.store.permits.transition(permit, failed, None, [])
    bot.platform.post_outside_xbot("two minutes", in_reply_to="999")
    ghost_scan.run_once(bot.context(T0 + later(1)))
    (ghost,) = bot.store.ghosts.ghosts()
    assert ghost.classification == "matches_decision_text"


def test_two_workers_never_scan_one_account_at_once() -> None:
    bot = world()
    assert bot.store.ghosts.acquire_scan_lease(bot.account_id, "other", T0, T0 + later(1)) == 1
    assert ghost_scan.run_once(bot.context(T0)) == ScanSkipped()
    assert bot.store.events.recent() == []
    after_lease = ghost_scan.run_once(bot.context(T0 + later(1)))
    assert after_lease.scanned == 0
    assert len(bot.store.tables.ghost_scans) == 1
    # the scan gave its lease back: the next one runs at once
    assert ghost_scan.run_once(bot.context(T0 + later(1))).scanned == 0


def test_operators_see_a_ghost_in_the_log_as_critical() -> None:
    bot = world()
    made = bot.platform.post_outside_xbot("hello from elsewhere")
    with capture_logs() as logs:
        ghost_scan.run_once(bot.context(T0 + later(0.1)))
    (entry,) = [entry for entry in logs if entry["event"] == "ghost_tweet_detected"]
    assert (entry["log_level"], entry["post_id"], entry["account"]) == (
        "critical", made.post_id, "x:bot",
    )  # fmt: skip
    assert entry["classification"] == "outside_xbot"
    (done,) = [entry for entry in logs if entry["event"] == "ghost_scan_completed"]
    assert done["ghosts"] == 1


def test_a_reply_recorded_while_the_scan_reads_is_not_a_ghost(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Workers run several jobs at once: the post job can record its permit USED between the
    # scan's two reads of the permits. Open replies are read first, so the post is still
    # explained: in flight when read open, or USED when read after (found by the scale bench).
    bot = world()
    permit = posting_permit(bot.store, bot.account_id, "77", "two minutes")
    made = bot.platform.post_outside_xbot("two minutes", in_reply_to="77")
    permits = bot.store.permits
    recorded: list[str] = []

    def record_after(read: Callable[..., Any]) -> Callable[..., Any]:
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            answer = read(*args, **kwargs)
            if not recorded:  # the post job records as soon as the scan's first read is done
                recorded.append(read.__name__)
                used = replace(permit, status=PermitStatus.USED, fence=permit.fence + 1,
                               actual_tweet_id=made.post_id, used_at=T0)  # fmt: skip
                permits.transition(permit, used, None, [])
            return answer

        return wrapped

    monkeypatch.setattr(permits, "used_post_ids", record_after(permits.used_post_ids))
    monkeypatch.setattr(permits, "open_replies", record_after(permits.open_replies))
    summary = ghost_scan.run_once(bot.context(T0 + later(0.1)))
    assert (summary.scanned, summary.ghosts) == (1, 0)
    assert bot.store.ghosts.ghosts() == []
    assert recorded == ["open_replies"]
