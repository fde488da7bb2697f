"""What platform calls cost, and the stops a platform's refusal sets, on every store."""

from __future__ import annotations

from datetime import timedelta

from permit_world import T0, account
from xbot.domain.audit import NewEvent
from xbot.domain.clock import ensure_utc
from xbot.domain.cost import CostStop, Spend
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
