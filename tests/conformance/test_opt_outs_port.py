"""Opt-outs behave the same on every store."""

from __future__ import annotations

from datetime import UTC, datetime

from xbot.config import AccountSettings
from xbot.domain.audit import NewEvent
from xbot.domain.opt_outs import NewOptOut
from xbot.domain.stores import Store

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def test_an_author_opts_out_once_per_platform(store: Store) -> None:
    (account,) = store.accounts.sync([AccountSettings(platform="x", handle="bot")])
    stop = NewOptOut(
        platform="x",
        author_id="7",
        author_handle="ann",
        how="stop_word",
        detail="'stop' in 1",
        account_id=account.account_id,
        created_by="x:bot",
    )
    recorded = NewEvent(event_type="opt_out_recorded", data={"author_id": "7"}, now=T0)
    assert store.opt_outs.add(stop, T0, recorded)
    assert not store.opt_outs.add(stop, T0, recorded)
    assert store.opt_outs.opted_out_authors("x", ["7", "8"]) == {"7"}
    assert store.opt_outs.opted_out_authors("bluesky", ["7"]) == set()
    assert store.opt_outs.opted_out_authors("x", []) == set()
    assert len(store.events.recent(event_type="opt_out_recorded")) == 1
