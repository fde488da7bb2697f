"""Accounts, faults, the kill switch and the deployment behave the same on every store."""

from __future__ import annotations

from xbot.config import AccountSettings
from xbot.domain.account_state import BlockReason
from xbot.domain.audit import NewEvent
from xbot.domain.claims import KillSwitch
from xbot.domain.stores import Store


def _event(name: str, account_id: int | None = None) -> NewEvent:
    return NewEvent(event_type=name, data={}, account_id=account_id)


def _sync(store: Store, *handles: str, disabled: tuple[str, ...] = ()) -> dict[str, int]:
    configured = [AccountSettings(platform="x", handle=handle) for handle in handles]
    configured += [AccountSettings(platform="x", handle=h, enabled=False) for h in disabled]
    return {record.handle: record.account_id for record in store.accounts.sync(configured)}


def test_sync_adds_configured_accounts_and_returns_only_enabled_ones(store: Store) -> None:
    first = _sync(store, "Alpha", "beta")
    assert sorted(first) == ["alpha", "beta"]
    again = _sync(store, "alpha", disabled=("beta",))
    assert again == {"alpha": first["alpha"]}
    assert _sync(store, "beta", "gamma").keys() == {"beta", "gamma"}
    assert _sync(store, "beta")["beta"] == first["beta"]


def test_the_platform_user_id_is_remembered(store: Store) -> None:
    account_id = _sync(store, "alpha")["alpha"]
    assert store.accounts.platform_user_id(account_id) is None
    store.accounts.set_platform_user_id(account_id, "12345")
    assert store.accounts.platform_user_id(account_id) == "12345"
    (record,) = store.accounts.sync([AccountSettings(platform="x", handle="alpha")])
    assert record.platform_user_id == "12345"


def test_a_fault_is_recorded_once_per_reason_and_cleared_once(store: Store) -> None:
    account_id = _sync(store, "alpha")["alpha"]
    refused = BlockReason.CREDENTIALS_REFUSED
    blocked = _event("account_blocked", account_id)
    assert store.accounts.set_fault(account_id, refused, "401", "w1", blocked)
    assert not store.accounts.set_fault(account_id, refused, "401 again", "w1", blocked)
    fault = store.accounts.faults()[account_id]
    assert (fault.reason, fault.detail) == (refused, "401")
    assert fault.since is not None
    other = BlockReason.PLATFORM_MISCONFIGURED
    assert store.accounts.set_fault(account_id, other, "404", "w1", blocked)
    unblocked = _event("account_unblocked", account_id)
    assert store.accounts.clear_fault(account_id, unblocked)
    assert not store.accounts.clear_fault(account_id, unblocked)
    assert store.accounts.faults() == {}
    types = [event.event_type for event in store.events.recent(account_id=account_id)]
    assert types == ["account_unblocked", "account_blocked", "account_blocked"]


def test_the_kill_switch_is_off_until_set_and_keeps_drain_and_who(store: Store) -> None:
    assert not store.accounts.kill_switch().on
    store.accounts.set_kill_switch(KillSwitch(on=True, drain=True), "ops", _event("kill_switch_on"))
    switch = store.accounts.kill_switch()
    assert (switch.on, switch.drain, switch.by) == (True, True, "ops")
    assert switch.since is not None
    store.accounts.set_kill_switch(KillSwitch(), "ops2", _event("kill_switch_off"))
    assert (store.accounts.kill_switch().on, store.accounts.kill_switch().by) == (False, "ops2")
    types = [event.event_type for event in store.events.recent()]
    assert types == ["kill_switch_off", "kill_switch_on"]


def test_the_newest_deployment_is_the_active_one(store: Store) -> None:
    assert store.accounts.active_deployment() is None
    store.accounts.mark_deployment("aaaaaaa", "ops", None, _event("deployment_marked"))
    store.accounts.mark_deployment("bbbbbbb", "ops", "hotfix", _event("deployment_marked"))
    active = store.accounts.active_deployment()
    assert active is not None
    assert (active.sha, active.declared_by, active.note) == ("bbbbbbb", "ops", "hotfix")
    assert len(store.events.recent(event_type="deployment_marked")) == 2
