"""The fetch job on the in-memory store: one idempotent admit path, the watermark with it."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from intake_support import T0, ScriptedPlatform, account_on, context_for, mention
from xbot.domain.candidates import CandidateStatus
from xbot.domain.intake import StreamState
from xbot.jobs import fetch
from xbot.jobs.admit import admission, admit
from xbot.store.memory import MemoryStore


def test_fetch_queues_new_posts_and_moves_the_watermark_with_them() -> None:
    store, platform = MemoryStore(), ScriptedPlatform()
    account = account_on(store)
    context = context_for(store, account, platform)
    platform.posts = [mention(1), mention(2)]
    summary = fetch.run_once(context)
    assert (summary.fetched, summary.new, summary.queued) == (2, 2, 2)
    assert store.candidates.fetch_watermark(account.account_id) == "2"
    assert {
        row.candidate_post_id for row in store.candidates.queued(account.account_id, context.now)
    } == {"1", "2"}
    again = fetch.run_once(context)
    assert platform.fetches == [None, "2"]
    assert (again.fetched, again.new) == (0, 0)


def test_a_replayed_or_duplicated_post_is_a_no_op() -> None:
    store, platform = MemoryStore(), ScriptedPlatform()
    account = account_on(store)
    context = context_for(store, account, platform)
    rules = admission(context, account, platform)
    writes: list[int] = []

    def write(found: object) -> int:
        writes.append(len(found))  # type: ignore[arg-type]
        return store.candidates.add(account.account_id, found, 100, None)  # type: ignore[arg-type]

    first = admit(context, account, rules, [mention(1), mention(1), mention(2)], write)
    replay = admit(context, account, rules, [mention(2), mention(1)], write)
    assert (first.new, first.queued, first.post_ids) == (2, 2, ("1", "2"))
    assert (replay.new, replay.queued, replay.post_ids) == (0, 0, ())
    assert writes == [2, 0]
    assert len(store.candidates.queued(account.account_id, context.now)) == 2


def test_a_stop_message_opts_its_author_out_and_is_skipped() -> None:
    store, platform = MemoryStore(), ScriptedPlatform()
    account = account_on(store)
    context = context_for(store, account, platform)
    platform.posts = [mention(3, text="@bot stop", author="cy")]
    summary = fetch.run_once(context)
    assert (summary.queued, dict(summary.skipped)) == (0, {"opted_out": 1})
    assert store.opt_outs.opted_out_authors("mastodon", ["id-cy"]) == {"id-cy"}
    assert [event.event_type for event in store.events.recent()] == ["opt_out_recorded"]
    assert CandidateStatus.QUEUED not in {row.status for row in store.tables.candidates.values()}


def test_with_a_stream_connected_fetch_polls_only_every_gap_fill_slot() -> None:
    store, platform = MemoryStore(clock=lambda: T0), ScriptedPlatform()
    account = account_on(store)
    context = context_for(store, account, platform)
    held = store.intake.acquire(account.account_id, "mastodon_user", "w1", timedelta(minutes=5))
    assert held is not None
    store.intake.mark(held, StreamState.CONNECTED, None, [])
    platform.posts = [mention(1)]
    rest = fetch.run_once(replace(context, slot=11))
    assert rest.streaming == "mastodon_user connected; polls every 5 fetch intervals"
    assert platform.fetches == []
    assert fetch.run_once(replace(context, slot=10)).queued == 1
    assert fetch.run_once(replace(context, slot=None)).fetched == 0, "backfill"
    assert platform.fetches == [None, "1"]
    store.intake.mark(held, StreamState.DISCONNECTED, "reset", [])
    assert fetch.run_once(replace(context, slot=12)).streaming is None
