"""Review and shadow mode end to end against the fake X over loopback, on SQLite and PostgreSQL."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from sqlalchemy import Engine

from review_x import ReviewWorld, later, review_world
from xbot import operations_review
from xbot.domain.errors import ReviewError
from xbot.domain.permits import PermitStatus
from xbot.domain.review import content_sha256
from xbot.operations import Actor

ANN = Actor(name="ann")


@pytest.fixture
def world(engine: Engine) -> Any:
    with review_world(engine, review="required") as built:
        yield built


def awaiting(world: ReviewWorld, count: int = 1) -> list[Any]:
    for number in range(count):
        world.mention(number)
    world.fetch_and_schedule()
    permits = world.permits()
    assert [p.status for p in permits] == [PermitStatus.AWAITING_REVIEW] * count
    return permits


def test_a_review_account_posts_nothing_until_approved_then_exactly_the_approved_text(
    world: ReviewWorld,
) -> None:
    [permit] = awaiting(world)
    assert permit.content_sha256 == content_sha256(world.text_of(permit))
    assert permit.review_deadline is not None
    world.post_all()
    assert world.create_requests() == 0
    assert world.sim_posts() == []
    done = operations_review.approve(world.engine, ANN, permit.permit_id)
    assert done.permit.status is PermitStatus.PENDING
    world.post_all()
    [after] = world.permits()
    assert after.status is PermitStatus.USED
    assert (after.approved_by, after.approved_sha256) == ("ann", permit.content_sha256)
    [posted] = world.sim_posts()
    assert posted["text"] == done.text
    assert posted["id"] == after.actual_tweet_id
    [event] = world.events("review_approved")
    assert event["event_data"]["by"] == "ann"
    assert event["component"] == "cli"


def test_an_edited_text_is_guarded_and_the_edit_is_what_posts(world: ReviewWorld) -> None:
    [permit] = awaiting(world)
    edited = "Good question! The standard library docs cover this well."
    done = operations_review.edit(
        world.engine, world.context.settings, ANN, permit.permit_id, edited
    )
    assert done.permit.approved_sha256 == content_sha256(edited)
    world.post_all()
    [posted] = world.sim_posts()
    assert posted["text"] == edited
    [event] = world.events("review_edited")
    assert event["event_data"]["previous_sha256"] == permit.content_sha256


def test_an_edit_the_guard_refuses_changes_nothing(world: ReviewWorld) -> None:
    [permit] = awaiting(world)
    with pytest.raises(ReviewError, match="guard"):
        operations_review.edit(
            world.engine, world.context.settings, ANN, permit.permit_id, "visit evil.com now"
        )
    [still] = world.permits()
    assert still.status is PermitStatus.AWAITING_REVIEW
    assert world.text_of(still) != "visit evil.com now"


def test_a_text_tampered_in_the_database_after_approval_is_refused(world: ReviewWorld) -> None:
    [permit] = awaiting(world)
    operations_review.approve(world.engine, ANN, permit.permit_id)
    world.tamper(permit, "Buy my course at the link in bio")
    world.post_all()
    [after] = world.permits()
    assert after.status is PermitStatus.FAILED
    assert after.failure_reason is not None
    assert after.failure_reason.startswith("review_mismatch")
    assert world.create_requests() == 0
    [event] = world.events("posting_blocked_review_mismatch")
    assert event["severity"] == "error"


def test_a_text_tampered_before_approval_cannot_be_approved(world: ReviewWorld) -> None:
    [permit] = awaiting(world)
    world.tamper(permit, "Something else entirely")
    with pytest.raises(ReviewError, match="changed"):
        operations_review.approve(world.engine, ANN, permit.permit_id)
    with pytest.raises(ReviewError, match="hash"):
        operations_review.approve(world.engine, ANN, permit.permit_id, "0" * 64)


def test_rejection_fails_the_permit_with_the_reason(world: ReviewWorld) -> None:
    [permit] = awaiting(world)
    operations_review.reject(world.engine, ANN, permit.permit_id, "off topic")
    world.post_all()
    [after] = world.permits()
    assert (after.status, after.failure_reason) == (
        PermitStatus.FAILED,
        "review_rejected: off topic",
    )
    assert world.create_requests() == 0
    assert world.events("review_rejected")[0]["event_data"]["reason"] == "off topic"


def test_an_unreviewed_permit_expires_at_its_deadline(world: ReviewWorld) -> None:
    [permit] = awaiting(world)
    assert permit.review_deadline is not None
    # the candidate TTL (30 min) caps the review TTL (120 min)
    assert permit.review_deadline == permit.expires_at
    summary = world.fetch_and_schedule()
    assert summary.review_expired == 0
    from xbot.jobs import schedule

    summary = schedule.run_once(world.at(later(world, 31)))
    assert summary.review_expired == 1
    [after] = world.permits()
    assert (after.status, after.failure_reason) == (PermitStatus.EXPIRED, "review_expired")
    with pytest.raises(ReviewError, match="not awaiting review"):
        operations_review.approve(world.engine, ANN, permit.permit_id)
    assert world.events("review_expired")


def test_two_reviewers_approving_at_once_make_one_approval(world: ReviewWorld) -> None:
    [permit] = awaiting(world)
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def approve(name: str) -> None:
        barrier.wait()
        try:
            operations_review.approve(world.engine, Actor(name=name), permit.permit_id)
            outcomes.append(f"approved:{name}")
        except ReviewError:
            outcomes.append("refused")

    threads = [threading.Thread(target=approve, args=(name,)) for name in ("ann", "bob")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(o.split(":")[0] for o in outcomes) == ["approved", "refused"]
    assert len(world.events("review_approved")) == 1
    world.post_all()
    assert len(world.sim_posts()) == 1


def test_approved_and_waiting_permits_spend_the_budget_only_once_claimed(engine: Engine) -> None:
    from xbot.config import BudgetSettings

    budgets = BudgetSettings(per_hour=2, per_day=2, min_gap_seconds=0, author_cooldown_minutes=0)
    with review_world(engine, review="required", budgets=budgets) as world:
        permits = awaiting(world, 2)
        for permit in permits:
            operations_review.approve(world.engine, ANN, permit.permit_id)
        world.post_all()
        assert [p.status for p in world.permits()] == [PermitStatus.USED] * 2
        world.mention(7)
        summary = world.fetch_and_schedule()
        assert summary.budget == "daily_budget"


def test_llm_only_lets_bank_replies_through(engine: Engine) -> None:
    with review_world(engine, review="llm_only") as world:
        world.mention(0)
        world.fetch_and_schedule()
        [permit] = world.permits()
        assert permit.status is PermitStatus.PENDING
        assert permit.review_deadline is None
        world.post_all()
        assert len(world.sim_posts()) == 1


def test_shadow_accounts_never_write_and_end_shadowed_then_switch_live(engine: Engine) -> None:
    with review_world(engine, mode="shadow") as world:
        world.mention(0)
        world.mention(1)
        world.fetch_and_schedule()
        world.post_all()
        permits = world.permits()
        assert [p.status for p in permits] == [PermitStatus.SHADOWED] * 2
        assert world.create_requests() == 0
        assert world.sim_posts() == []
        shadowed = world.events("reply_shadowed")
        assert {e["event_data"]["text"] for e in shadowed} == {world.text_of(p) for p in permits}
        before = operations_review.set_mode(world.engine, ANN, world.context.account.key, "live")
        assert before == "shadow"
        [switched] = world.events("account_mode_changed")
        assert switched["event_data"] == {
            "account": world.context.account.key, "from": "shadow", "to": "live", "by": "ann",
        }  # fmt: skip
        world.mention(2)
        world.fetch_and_schedule()
        world.post_all()
        statuses = sorted(p.status.value for p in world.permits())
        assert statuses == ["SHADOWED", "SHADOWED", "USED"]
        assert len(world.sim_posts()) == 1


def test_shadowed_permits_spend_the_budget_as_if_posted(engine: Engine) -> None:
    from xbot.config import BudgetSettings

    budgets = BudgetSettings(per_hour=1, per_day=1, min_gap_seconds=0, author_cooldown_minutes=0)
    with review_world(engine, mode="shadow", budgets=budgets) as world:
        world.mention(0)
        world.fetch_and_schedule()
        world.post_all()
        world.mention(1)
        summary = world.fetch_and_schedule()
        assert summary.permits_created == 0
        assert summary.budget == "daily_budget"


class Receiver:
    """A local webhook receiver: records each JSON body, answers `status`."""

    def __init__(self, status: int = 204) -> None:
        self.bodies: list[dict[str, Any]] = []
        self.status = status

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        from starlette.requests import Request
        from starlette.responses import Response

        request = Request(scope, receive)
        self.bodies.append({"path": request.url.path, **(await request.json())})
        await Response(status_code=self.status)(scope, receive, send)


def test_a_waiting_permit_is_announced_to_the_webhook_with_a_console_link(engine: Engine) -> None:
    from xbot.sim.core.server import SimServer

    receiver = Receiver()
    with (
        SimServer(receiver) as hook,
        review_world(
            engine, review="required", webhook_url=hook.base_url + "/hooks/review"
        ) as world,
    ):
        [permit] = awaiting(world)
    [body] = receiver.bodies
    assert body["path"] == "/hooks/review"
    assert body["event"] == "review_requested"
    assert body["permit_id"] == permit.permit_id
    assert body["link"] == f"http://console.test/review/{permit.permit_id}"
    assert body["review_deadline"] == permit.review_deadline.isoformat()


def test_a_failing_webhook_is_an_event_and_the_permit_still_waits(engine: Engine) -> None:
    from xbot.sim.core.server import SimServer

    receiver = Receiver(status=500)
    with (
        SimServer(receiver) as hook,
        review_world(
            engine, review="required", webhook_url=hook.base_url + "/hooks/review"
        ) as world,
    ):
        awaiting(world)
        [failed] = world.events("review_notification_failed")
        assert "500" in failed["event_data"]["reason"]


def certify(world: ReviewWorld) -> Any:
    from xbot.certify.model import CertifyOptions
    from xbot.certify.run import run_certification

    report = run_certification(world.engine, world.context.settings, CertifyOptions())
    return report, {check.key: check for check in report.checks}


def test_certify_proves_each_reviewed_post_is_the_approved_text(world: ReviewWorld) -> None:
    [permit] = awaiting(world)
    operations_review.approve(world.engine, ANN, permit.permit_id)
    world.post_all()
    _, checks = certify(world)
    assert checks["H"].facts.as_data()["reviewed_posts"] == 1
    assert checks["H"].facts.as_data()["review_violations"] == []
    world.tamper(permit, "A text nobody approved")
    report, checks = certify(world)
    assert checks["H"].status.value == "FAIL"
    assert checks["H"].permanent
    assert "not the approved text" in checks["H"].explanation
    assert report.verdict.value == "NOT OPERATIONAL"


def test_certify_reports_a_shadow_account_as_shadow(engine: Engine) -> None:
    with review_world(engine, mode="shadow") as world:
        world.mention(0)
        world.fetch_and_schedule()
        world.post_all()
        report, checks = certify(world)
        key = world.context.account.key
        assert checks["I"].facts.as_data()["shadow_accounts"] == [key]
        assert "shadow" in checks["I"].explanation
        assert checks["I"].facts.as_data()["explains"] == ["F"]
        assert report.verdict.value != "OPERATIONAL"
        assert any(f"xbot mode {key} live" in action for action in report.next_actions)
        operations_review.set_mode(world.engine, ANN, key, "live")
        _, checks = certify(world)
        assert checks["I"].facts.as_data()["shadow_accounts"] == []
