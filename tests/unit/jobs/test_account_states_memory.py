"""Account states as /ready reads them, from the in-memory store: no database file."""

from __future__ import annotations

from datetime import timedelta

from memory_world import SETTINGS, World, world

from permit_world import T0
from xbot.domain.account_state import AccountState, BlockReason, PostingState
from xbot.domain.audit import NewEvent
from xbot.domain.claims import KillSwitch
from xbot.domain.cost import CostStop
from xbot.jobs.account_states import read_account_states

EVENT = NewEvent(event_type="account_blocked", data={}, now=T0)


def state(bot: World, fence: tuple[str, ...] = ()) -> AccountState:
    (only,) = read_account_states(bot.store, [bot.account], SETTINGS, fence=fence,
                                  fence_since=None, now=T0)  # fmt: skip
    return only


def test_an_account_with_nothing_against_it_is_posting() -> None:
    bot = world()
    assert state(bot).state is PostingState.POSTING


def test_the_kill_switch_blocks_every_account() -> None:
    bot = world()
    bot.store.accounts.set_kill_switch(KillSwitch(on=True), "ops", EVENT)
    found = state(bot)
    assert (found.state, found.reason) == (PostingState.BLOCKED, "kill_switch")


def test_a_platform_fault_blocks_the_account() -> None:
    bot = world()
    bot.store.accounts.set_fault(bot.account_id, BlockReason.CREDENTIALS_REFUSED, "401", "w1",
                                 EVENT)  # fmt: skip
    found = state(bot)
    assert (found.state, found.reason) == (PostingState.BLOCKED, "credentials_refused")


def test_a_platform_refusal_to_be_paid_blocks_until_it_ends() -> None:
    bot = world()
    until = T0 + timedelta(hours=12)
    stop = CostStop(detail="credits_depleted: 402", until=until, since=T0)
    bot.store.usage.set_cost_stop(bot.account_id, stop, "w1", EVENT)
    found = state(bot)
    assert (found.state, found.reason, found.until) == (PostingState.BLOCKED, "cost_cap", until)
    assert "credits_depleted" in found.detail


def test_the_fence_from_this_process_blocks_but_the_kill_switch_reason_is_its_own() -> None:
    bot = world()
    found = state(bot, fence=("kill_switch", "stale_code"))
    assert (found.state, found.reason) == (PostingState.BLOCKED, "stale_code")
