"""What platform calls cost, and the stops a platform's refusal sets, on every store."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from permit_world import T0, account, decided_permit
from xbot.domain.audit import NewEvent
from xbot.domain.budgets import BudgetRules
from xbot.domain.claiming import ClaimPlan, ClaimRequest
from xbot.domain.clock import ensure_utc
from xbot.domain.cost import CostStop, Spend
from xbot.domain.permits import PermitStatus
from xbot.domain.stores import Store

DAY = timedelta(days=1)


def _blocked(account_id: int) -> NewEvent:
    return NewEvent(event_type="account_blocked", data={"reason": "cost_cap"}, now=T0,
                    account_id=account_id, severity="error")  # fmt: skip


def test_nothing_spent_is_zero_everywhere(store: Store) -> None:
    account_id = account(store)
    assert store.usage.spend(account_id, T0) == Spend()
    assert store.usage.cost_stops() == {}


def test_a_cost_stop_is_kept_per_account_with_its_event(store: Store) -> None:
    first, second = account(store), account(store, "other")
    stop = CostStop(detail="credits_depleted: 402", until=T0 + DAY, since=T0)
    store.usage.set_cost_stop(first, stop, "w1", _blocked(first))
    later = CostStop(detail="usage_cap_exceeded: 429", until=T0 + 2 * DAY, since=T0 + DAY)
    store.usage.set_cost_stop(first, later, "w1", _blocked(first))
    stops = store.usage.cost_stops()
    assert set(stops) == {first}
    kept = stops[first]
    assert (kept.detail, kept.until) == (later.detail, later.until)
    assert kept.since is not None
    assert ensure_utc(kept.since) == T0 + DAY
    assert second not in stops
    assert len(store.events.recent(event_type="account_blocked", account_id=first)) == 2


def test_the_claim_reads_the_accounts_cost_stop(store: Store) -> None:
    account_id = account(store)
    decided = decided_permit(store, account_id, "100", "two minutes")
    approved = replace(decided, status=PermitStatus.PENDING, fence=decided.fence + 1)
    store.permits.transition(decided, approved, None, [])
    request = ClaimRequest(account_id=account_id, worker_id="w1", git_sha="abc", now=T0,
                           lease=timedelta(minutes=1), rules=BudgetRules())  # fmt: skip
    before = store.permits.claim_next(request, lambda _read: ClaimPlan()).read
    assert before.claimable is not None
    assert before.cost_stop is None
    stop = CostStop(detail="credits_depleted: 402", until=T0 + DAY, since=T0)
    store.usage.set_cost_stop(account_id, stop, "w1", _blocked(account_id))
    read = store.permits.claim_next(request, lambda _read: ClaimPlan()).read
    assert read.cost_stop is not None
    assert (read.cost_stop.detail, read.cost_stop.until) == (stop.detail, stop.until)
