"""The scheduler's one confirmation of a stop message, on the in-memory store (issue 15)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from xbot.config import AccountSettings, BudgetSettings, Settings
from xbot.config_compliance import OptOutSettings
from xbot.domain.audit import NewEvent
from xbot.domain.candidates import CONFIRMATION_FLAG, CandidateStatus, NewCandidate
from xbot.domain.opt_outs import NewOptOut
from xbot.jobs import schedule
from xbot.jobs.base import Account, JobContext, WorkerIdentity
from xbot.store.memory import MemoryStore

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
WORKER = WorkerIdentity(worker_id="w1", role="worker", git_sha="abc1234", sha_source="env",
                        host="h", pid=1)  # fmt: skip
TEXT = "Understood: no more replies from me."


class NoGenerator:
    """A generator the confirmation must never ask."""

    name = "bank"

    def generate(self, *_args: Any, **_kwargs: Any) -> str:
        raise AssertionError("a confirmation asked the generator")

    def close(self) -> None:
        return None


def _world(text: str = TEXT) -> tuple[MemoryStore, JobContext]:
    store = MemoryStore(clock=lambda: T0)
    # the per-author and thread rules would hold a second reply to ann for hours
    budgets = BudgetSettings(per_hour=100, per_day=500, min_gap_seconds=0)
    settings = AccountSettings(platform="x", handle="bot", topics=["tea"], budgets=budgets)
    (record,) = store.accounts.sync([settings])
    account = Account(account_id=record.account_id, platform="x", handle="bot",
                      platform_user_id=None, settings=settings)  # fmt: skip
    opt_outs = OptOutSettings(confirmation=True, confirmation_text=text)
    configured = Settings(accounts=[settings], x={"automated_label_attested": True},
                          opt_outs=opt_outs)  # fmt: skip
    context = JobContext(store=store, settings=configured, worker=WORKER, now=T0,
                         account=account, generator_for=lambda _account: NoGenerator())  # fmt: skip
    return store, context


def _queue(store: MemoryStore, post_id: str, text: str, **meta: bool) -> None:
    found = NewCandidate(
        account_id=1, candidate_post_id=post_id, author_id="id-ann", author_handle="ann",
        text=text, posted_at=T0, conversation_id="c1", in_reply_to_post_id=None, summoned=True,
        target_meta=dict(meta), created_at=T0, status=CandidateStatus.QUEUED, score=0.5,
        tier="mention", expires_at=T0 + timedelta(minutes=30),
    )  # fmt: skip
    store.candidates.add(1, [found], keep=100, watermark=None)


def _opt_out(store: MemoryStore) -> None:
    opt_out = NewOptOut(platform="x", author_id="id-ann", author_handle="ann", how="stop_word",
                        account_id=1, post_id="102")  # fmt: skip
    event = NewEvent(event_type="opt_out_recorded", data={}, now=T0, account_id=1)
    assert store.opt_outs.add(opt_out, T0, event)


def _texts(store: MemoryStore) -> list[tuple[str, str, str]]:
    rows = store.tables.decisions.values()
    return [(r.decision.target_post_id, r.decision.reply_text, r.decision.generator) for r in rows]


def test_the_stop_message_gets_the_configured_text_and_nothing_else_of_its_author_does() -> None:
    store, context = _world()
    _queue(store, "101", "how long should I steep tea?")
    _queue(store, "102", "@bot stop", **{CONFIRMATION_FLAG: True})
    _opt_out(store)
    summary = schedule.run_once(context)
    assert (summary.permits_created, summary.skipped) == (1, {"opted_out": 1})
    assert _texts(store) == [("102", TEXT, "confirmation")]
    assert schedule.run_once(context).permits_created == 0


def test_the_guard_still_checks_the_confirmation() -> None:
    store, context = _world(text="Unsubscribed, see https://example.com/optout")
    _queue(store, "102", "@bot stop", **{CONFIRMATION_FLAG: True})
    _opt_out(store)
    summary = schedule.run_once(context)
    assert summary.permits_created == 0
    assert summary.skipped == {"guard_link": 1}
    assert _texts(store) == []


def test_a_confirmation_whose_opt_out_was_removed_is_not_sent() -> None:
    store, context = _world()
    _queue(store, "102", "@bot stop", **{CONFIRMATION_FLAG: True})
    summary = schedule.run_once(context)
    assert (summary.permits_created, summary.skipped) == (0, {"opt_out_removed": 1})
