"""The claim and the record behave the same on every store (xbot.domain.claiming).

The claim reads the gates and the account's permits and writes the plan the domain returns:
expirations first, then one step (take, refuse, fail); the record writes a claimed permit's
outcome at its fence, once.
"""

from __future__ import annotations

import threading
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from xbot.config import AccountSettings
from xbot.domain.audit import NewEvent
from xbot.domain.budgets import BudgetRules, budget_usage
from xbot.domain.candidates import CandidateMark, CandidateStatus, NewCandidate
from xbot.domain.claiming import ClaimPlan, ClaimRead, ClaimRequest, ClaimResult, Refuse, Take
from xbot.domain.claims import ClaimRefusal, ClaimRefusalReason, KillSwitch
from xbot.domain.cost import Charge, refused_stop
from xbot.domain.decisions import Decided, NewDecision
from xbot.domain.errors import LeaseLost
from xbot.domain.permit_changes import PermitChange
from xbot.domain.permits import Accepted, Expire, NotSent, Permit, PermitStatus, transition
from xbot.domain.rate_card import EndpointClass
from xbot.domain.stores import Store

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
TTL = timedelta(minutes=30)


def _account(store: Store, handle: str = "bot") -> int:
    enabled = store.accounts.sync([AccountSettings(platform="x", handle=handle)])
    return next(row.account_id for row in enabled if row.handle == handle)


def _no_events(_decided: Decided) -> list[NewEvent]:
    return []


def _permit(store: Store, account_id: int, post_id: str, at: datetime = T0) -> str:
    found = NewCandidate(
        account_id=account_id, candidate_post_id=post_id, author_id="a" + post_id,
        author_handle="ann", text="tea?", posted_at=at, conversation_id=None,
        in_reply_to_post_id=None, summoned=True, target_meta={"summoned": True}, created_at=at,
        status=CandidateStatus.QUEUED, score=1.0, expires_at=at + TTL,
    )  # fmt: skip
    store.candidates.add(account_id, [found], keep=100, watermark=None)
    waiting = next(
        c for c in store.candidates.queued(account_id, at) if c.candidate_post_id == post_id
    )
    decision = NewDecision(
        account_id=account_id, candidate_id=waiting.candidate_id, target_post_id=post_id,
        reply_text=f"reply to {post_id}", generator="bank", generator_meta={},
        permit_expires_at=at + TTL,
    )  # fmt: skip
    decided = store.decisions.decide(decision, at, _no_events)
    assert decided is not None
    return decided.permit_id


def _request(account_id: int, now: datetime = T0, rules: BudgetRules | None = None) -> ClaimRequest:
    return ClaimRequest(
        account_id=account_id, worker_id="w1", git_sha="abc", now=now,
        lease=timedelta(minutes=1), rules=rules or BudgetRules(),
    )  # fmt: skip


def _event(kind: str, permit_id: str, now: datetime = T0) -> NewEvent:
    return NewEvent(event_type=kind, data={"permit_id": permit_id}, now=now, account_id=None)


def _take(read: ClaimRead) -> ClaimPlan:
    if read.claimable is None:
        return ClaimPlan()
    return ClaimPlan(step=Take(event=_event("permit_claimed", read.claimable.permit.permit_id)))


def _claim(store: Store, account_id: int, now: datetime = T0) -> ClaimResult:
    return store.permits.claim_next(_request(account_id, now), _take)


def test_the_oldest_claimable_permit_is_claimed_posting_with_its_event(store: Store) -> None:
    account_id = _account(store)
    first = _permit(store, account_id, "100", T0 - timedelta(minutes=2))
    _permit(store, account_id, "101", T0 - timedelta(minutes=1))
    result = _claim(store, account_id)
    assert result.claimed is not None
    permit = result.claimed.permit
    assert (permit.permit_id, permit.status, permit.fence, permit.attempts) == (
        first, PermitStatus.POSTING, 1, 1,
    )  # fmt: skip
    assert (permit.claimed_by, permit.claimed_sha, permit.claimed_at) == ("w1", "abc", T0)
    assert permit.lease_until == T0 + timedelta(minutes=1)
    assert (result.claimed.target_post_id, result.claimed.reply_text) == ("100", "reply to 100")
    assert result.claimed.target_author_handle == "ann"
    assert [event.event_type for event in result.written] == ["permit_claimed"]
    assert [event.event_type for event in store.events.recent()] == ["permit_claimed"]
    second = _claim(store, account_id)
    assert second.claimed is not None
    assert second.claimed.target_post_id == "101"
    assert _claim(store, account_id).claimed is None


def test_a_read_that_plans_nothing_writes_nothing(store: Store) -> None:
    account_id = _account(store)
    _permit(store, account_id, "100")
    result = store.permits.claim_next(_request(account_id), lambda _read: ClaimPlan())
    assert (result.claimed, result.written) == (None, ())
    assert result.read.claimable is not None
    assert store.status.permits_by_status() == {"PENDING": 1}
    assert store.events.recent() == []


def test_the_budget_usage_is_read_with_the_claim(store: Store) -> None:
    account_id = _account(store)
    other = _account(store, "other")
    for number, minutes in enumerate((200, 50, 10)):
        _permit(store, account_id, f"u{number}", T0 - timedelta(minutes=minutes + 1))
        used = _claim(store, account_id, T0 - timedelta(minutes=minutes)).claimed
        assert used is not None
        after = transition(used.permit, Accepted(post_id=f"p{number}"), T0)
        assert after is not None
        store.permits.record(used.permit, after, None, _event("reply_posted", after.permit_id))  # type: ignore[arg-type]
    _permit(store, other, "o1", T0 - timedelta(minutes=5))
    assert _claim(store, other, T0 - timedelta(minutes=4)).claimed is not None
    _permit(store, account_id, "next", T0 - timedelta(minutes=1))
    rules = BudgetRules(per_hour=2, per_day=10, min_gap=timedelta(minutes=15))
    read = store.permits.claim_next(_request(account_id, T0, rules), lambda _read: ClaimPlan()).read
    times = [T0 - timedelta(minutes=minutes) for minutes in (200, 50, 10)]
    assert read.usage == budget_usage(times, rules, now=T0)
    assert read.posts_in_day == 3


def test_stale_permits_are_read_and_expired_with_their_candidates(store: Store) -> None:
    account_id = _account(store)
    old = _permit(store, account_id, "100", T0 - TTL - timedelta(minutes=1))
    fresh = _permit(store, account_id, "101", T0 - timedelta(minutes=1))

    def expire(read: ClaimRead) -> ClaimPlan:
        changes = []
        for permit in read.stale:
            after = transition(permit, Expire(), T0)
            assert isinstance(after, Permit)
            mark = CandidateMark(status=CandidateStatus.EXPIRED, reason="permit_expired")
            event = _event("posting_blocked_expired", permit.permit_id)
            changes.append(
                PermitChange(before=permit, after=after, candidate=mark, events=(event,))
            )
        return ClaimPlan(expire=tuple(changes))

    result = store.permits.claim_next(_request(account_id), expire)
    assert [permit.permit_id for permit in result.read.stale] == [old]
    assert result.read.claimable is not None
    assert result.read.claimable.permit.permit_id == fresh
    assert store.status.permits_by_status() == {"EXPIRED": 1, "PENDING": 1}
    assert [event.event_type for event in result.written] == ["posting_blocked_expired"]


def test_the_kill_switch_is_read_and_a_drain_makes_every_pending_permit_stale(
    store: Store,
) -> None:
    account_id = _account(store)
    permits = [_permit(store, account_id, post_id) for post_id in ("100", "101")]
    store.accounts.set_kill_switch(KillSwitch(on=True), "ops", _event("kill_switch_set", ""))
    read = store.permits.claim_next(_request(account_id), lambda _read: ClaimPlan()).read
    assert read.gates.kill_switch == KillSwitch(on=True)
    assert read.gates.kill_switch_seen is not None
    assert read.claimable is not None
    assert read.stale == []
    store.accounts.set_kill_switch(KillSwitch(on=True, drain=True), "ops", _event("k", ""))
    read = store.permits.claim_next(_request(account_id), lambda _read: ClaimPlan()).read
    assert read.drain
    assert sorted(permit.permit_id for permit in read.stale) == sorted(permits)
    assert (read.claimable, read.usage) == (None, None)


def test_a_declared_deployment_is_read_and_a_refusal_is_written_once_a_while(
    store: Store,
) -> None:
    account_id = _account(store)
    permit_id = _permit(store, account_id, "100")
    store.accounts.mark_deployment("new456", "ops", None, _event("deployment_marked", ""))
    refusal = ClaimRefusal(reason=ClaimRefusalReason.STALE_CODE, detail="running abc")

    def refuse(read: ClaimRead) -> ClaimPlan:
        assert read.gates.declared_sha == "new456"
        event = _event("posting_blocked_stale_code", permit_id, read_now[0])
        return ClaimPlan(step=Refuse(refusal=refusal, event=event,
                                     quiet_since=read_now[0] - timedelta(minutes=5)))  # fmt: skip

    read_now = [T0]
    assert len(store.permits.claim_next(_request(account_id), refuse).written) == 1
    read_now = [T0 + timedelta(minutes=1)]
    assert store.permits.claim_next(_request(account_id, read_now[0]), refuse).written == ()
    read_now = [T0 + timedelta(minutes=6)]
    assert len(store.permits.claim_next(_request(account_id, read_now[0]), refuse).written) == 1
    assert store.status.permits_by_status() == {"PENDING": 1}
    blocked = store.events.recent(event_type="posting_blocked_stale_code")
    assert len(blocked) == 2


def test_a_deferred_permit_waits_for_its_backoff(store: Store) -> None:
    account_id = _account(store)
    _permit(store, account_id, "100")
    claimed = _claim(store, account_id).claimed
    assert claimed is not None
    retry_at = T0 + timedelta(minutes=2)
    after = transition(claimed.permit, NotSent(reason="transient: reset", retry_at=retry_at,
                                               needs_operator=False), T0)  # fmt: skip
    assert isinstance(after, Permit)
    store.permits.record(claimed.permit, after, None, _event("permit_deferred", after.permit_id))
    assert _claim(store, account_id, retry_at - timedelta(seconds=1)).claimed is None
    again = _claim(store, account_id, retry_at).claimed
    assert again is not None
    assert (again.permit.fence, again.permit.attempts) == (2, 2)


def test_an_outcome_is_recorded_once_at_its_fence_with_its_mark_event_and_charges(
    store: Store,
) -> None:
    account_id = _account(store)
    _permit(store, account_id, "100")
    claimed = _claim(store, account_id).claimed
    assert claimed is not None
    after = transition(claimed.permit, Accepted(post_id="900"), T0)
    assert isinstance(after, Permit)
    mark = CandidateMark(status=CandidateStatus.REPLIED)
    charge = Charge(endpoint_class=EndpointClass.SUMMONED_REPLY, cost_micro=15_000)
    event = _event("reply_posted", after.permit_id)
    store.permits.record(claimed.permit, after, mark, event, [charge])
    with pytest.raises(LeaseLost):
        store.permits.record(claimed.permit, after, mark, event, [charge])
    assert store.status.permits_by_status() == {"USED": 1}
    posted = [item.event_type for item in store.events.recent()]
    assert posted == ["reply_posted", "permit_claimed"]
    later = store.permits.claim_next(_request(account_id), lambda _read: ClaimPlan()).read
    assert later.claimable is None
    _permit(store, account_id, "101")
    read = store.permits.claim_next(_request(account_id), lambda _read: ClaimPlan()).read
    assert (read.spend.account_day, read.spend.global_month) == (15_000, 15_000)
    taken_over = replace(claimed.permit, fence=claimed.permit.fence + 5)
    with pytest.raises(LeaseLost):
        store.permits.record(taken_over, after, mark, event)


def test_claims_of_one_account_are_serialised(store: Store) -> None:
    account_id = _account(store)
    for post_id in ("100", "101", "102", "103"):
        _permit(store, account_id, post_id)
    inside, overlaps, claimed = [0], [], []
    guard = threading.Lock()

    def slow_take(read: ClaimRead) -> ClaimPlan:
        with guard:
            inside[0] += 1
            overlaps.append(inside[0])
        threading.Event().wait(0.05)
        with guard:
            inside[0] -= 1
        return _take(read)

    def worker() -> None:
        result = store.permits.claim_next(_request(account_id), slow_take)
        if result.claimed is not None:
            claimed.append(result.claimed.permit.permit_id)

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert max(overlaps) == 1
    assert len(claimed) == len(set(claimed)) == 4


def test_the_accounts_cost_stop_is_read_with_the_claim(store: Store) -> None:
    account_id = _account(store)
    _permit(store, account_id, "100")
    stop = refused_stop("credits_depleted: 402", now=T0)
    store.usage.set_cost_stop(account_id, stop, "w1", _event("account_blocked", ""))
    read = store.permits.claim_next(_request(account_id), lambda _read: ClaimPlan()).read
    assert read.cost_stop is not None
    assert read.cost_stop.until == stop.until
    assert read.cost_stop.stands(T0)
