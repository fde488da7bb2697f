"""The schedule job on the in-memory store: decisions and permits, with no database file."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from structlog.testing import capture_logs

from xbot.config import AccountSettings, BudgetSettings, Settings
from xbot.domain.candidates import CandidateStatus, NewCandidate
from xbot.jobs import schedule
from xbot.jobs.base import Account, JobContext, WorkerIdentity
from xbot.store.memory import MemoryStore

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
WORKER = WorkerIdentity(worker_id="w1", role="worker", git_sha="abc1234", sha_source="env",
                        host="h", pid=1)  # fmt: skip
ANSWERS = [
    "Steeping green tea for about two minutes keeps it from turning bitter.",
    "Most black teas taste best with water just off the boil and four minutes.",
    "Oolong can be steeped several times; each round brings out something new.",
]


class ListGenerator:
    """Hands out prepared answers in turn."""

    name = "bank"

    def __init__(self) -> None:
        self.asked: list[str] = []

    def generate(
        self, candidate_text: str, author_handle: str, topics: Sequence[str], *,
        avoid: Sequence[str] = (),
    ) -> str:  # fmt: skip
        self.asked.append(candidate_text)
        return ANSWERS[len(self.asked) - 1]

    def close(self) -> None:
        return None


def _world(per_hour: int = 100) -> tuple[MemoryStore, JobContext, ListGenerator]:
    store = MemoryStore(clock=lambda: T0)
    budgets = BudgetSettings(per_hour=per_hour, per_day=500, min_gap_seconds=0,
                             author_cooldown_minutes=0)  # fmt: skip
    settings = AccountSettings(platform="x", handle="bot", topics=["tea"], budgets=budgets)
    (record,) = store.accounts.sync([settings])
    account = Account(account_id=record.account_id, platform="x", handle="bot",
                      platform_user_id=None, settings=settings)  # fmt: skip
    generator = ListGenerator()
    # a live X account: the operator attests X's Automated label
    attested = Settings(accounts=[settings], x={"automated_label_attested": True})
    context = JobContext(store=store, settings=attested,
                         worker=WORKER, now=T0, account=account,
                         generator_for=lambda _account: generator)  # fmt: skip
    return store, context, generator


def _queue(
    store: MemoryStore, *authors: str, expires: datetime = T0 + timedelta(minutes=30)
) -> None:
    found = [
        NewCandidate(
            account_id=1, candidate_post_id=str(100 + n), author_id=f"id-{author}",
            author_handle=author, text=f"how long should I steep tea, {author}?", posted_at=T0,
            conversation_id=f"c{n}", in_reply_to_post_id=None, summoned=True, target_meta={},
            created_at=T0, status=CandidateStatus.QUEUED, score=1.0 - n / 10, tier="mention",
            expires_at=expires,
        )
        for n, author in enumerate(authors)
    ]  # fmt: skip
    store.candidates.add(1, found, keep=100, watermark=None)


def test_each_queued_candidate_gets_a_decision_and_a_pending_permit() -> None:
    store, context, generator = _world()
    _queue(store, "ann", "bob")
    with capture_logs() as logs:
        summary = schedule.run_once(context)
    assert summary.permits_created == 2
    assert len(generator.asked) == 2
    assert store.status.permits_by_status() == {"PENDING": 2}
    assert store.candidates.queued(1, T0) == []
    created = store.events.recent(event_type="reply_v2_attempt_created")
    assert {event.data["permit_id"] for event in created} == set(summary.permit_ids)
    assert [entry["event"] for entry in logs].count("reply_v2_attempt_created") == 2


def test_the_hourly_budget_stops_the_pass_and_keeps_the_rest_queued() -> None:
    store, context, _generator = _world(per_hour=1)
    _queue(store, "ann", "bob")
    summary = schedule.run_once(context)
    assert summary.permits_created == 1
    assert summary.budget == "hourly_budget"
    assert len(store.candidates.queued(1, T0)) == 1


def test_stale_candidates_expire_with_one_event() -> None:
    store, context, _generator = _world()
    _queue(store, "ann", "bob", expires=T0 - timedelta(seconds=1))
    summary = schedule.run_once(context)
    assert (summary.expired, summary.permits_created) == (2, 0)
    (event,) = store.events.recent(event_type="reply_v2_candidates_expired")
    assert (event.data["count"], event.data["reason"]) == (2, "expired")
