"""Checks G (ghosts) and H (stuck and duplicate permits), on both dialects."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine, text

from certify_world import DEPLOYED_SHA, World, certify, healthy, minutes, result
from xbot.certify import Status
from xbot.store.engine import make_engine


def test_an_unacknowledged_ghost_since_deploy_fails_g(engine: Engine) -> None:
    world = World(engine)
    account_id = healthy(world)
    ghost_id = world.ghost(account_id, world.now - minutes(5))
    report = certify(engine)
    ghosts = result(report, "G")
    assert ghosts.status is Status.FAIL
    assert "1 unacknowledged ghost(s)" in ghosts.explanation
    assert ghosts.permanent is True
    assert any(f"xbot ghosts ack {ghost_id}" in action for action in report.next_actions)


def test_a_fresh_deploy_mark_does_not_hide_a_ghost_found_just_before_it(engine: Engine) -> None:
    world = World(engine)
    account_id = healthy(world)
    world.ghost(account_id, world.now - minutes(10))
    world.deployment(DEPLOYED_SHA, world.now - minutes(1))
    ghosts = result(certify(engine), "G")
    assert ghosts.status is Status.FAIL
    assert ghosts.permanent is True


def test_acknowledged_ghosts_and_ghosts_before_the_deployment_pass_g(engine: Engine) -> None:
    world = World(engine)
    account_id = healthy(world)
    world.ghost(account_id, world.now - minutes(5), acknowledged=True)
    world.ghost(account_id, world.now - minutes(70))
    assert result(certify(engine), "G").status is Status.PASS


def test_a_ghost_scan_that_did_not_run_fails_g(engine: Engine) -> None:
    # the seed's G passed when the scan never ran; "no ghosts" must mean "looked, found none"
    world = World(engine)
    account_id = healthy(world, scans=False)
    world.ghost_scan(account_id, world.now - minutes(120))
    ghosts = result(certify(engine), "G")
    assert ghosts.status is Status.FAIL
    assert "did not run in the last 30m for acme" in ghosts.explanation
    assert ghosts.permanent is False


def test_no_scan_yet_right_after_boot_is_inconclusive(engine: Engine) -> None:
    world = World(engine)
    healthy(world, scans=False)
    world.boot("w-new", DEPLOYED_SHA, world.now - minutes(4))
    ghosts = result(certify(engine), "G")
    assert ghosts.status is Status.INCONCLUSIVE
    assert "less than one scan interval" in ghosts.explanation


def test_blocked_attempts_are_listed_not_judged(engine: Engine) -> None:
    world = World(engine)
    account_id = healthy(world)
    for ago in (9, 7):
        world.event(
            "posting_blocked_budget",
            world.now - minutes(ago),
            worker_id="w-new",
            account_id=account_id,
            data={"permit_id": "pmt_x", "reason": "budget"},
        )
    ghosts = result(certify(engine), "G")
    assert ghosts.status is Status.PASS
    assert "blocked attempts: 2 (posting_blocked_budget 2)" in ghosts.explanation
    blocked = ghosts.evidence[2]
    assert blocked.name == "blocked_attempts"
    assert blocked.rows[0]["attempts"] == 2


@pytest.mark.parametrize(
    ("status", "values"),
    [
        ("POSTING", {"lease_until_ago": 10}),
        ("UNKNOWN", {"updated_ago": 20}),
    ],
)
def test_permits_stuck_past_the_reconcile_window_fail_h(
    engine: Engine, status: str, values: dict[str, float]
) -> None:
    world = World(engine)
    account_id = healthy(world)
    _, permit_id = world.reply(
        account_id, "w-new", world.now - minutes(30), status=status, **times(world, values)
    )
    stuck = result(certify(engine), "H")
    assert stuck.status is Status.FAIL
    assert permit_id in stuck.explanation


@pytest.mark.parametrize(
    ("status", "values"),
    [
        ("POSTING", {"lease_until_ago": 0.5}),
        ("UNKNOWN", {"updated_ago": 1}),
    ],
)
def test_permits_awaiting_reconcile_are_inconclusive_for_h(
    engine: Engine, status: str, values: dict[str, float]
) -> None:
    world = World(engine)
    account_id = healthy(world)
    world.reply(account_id, "w-new", world.now - minutes(3), status=status, **times(world, values))
    stuck = result(certify(engine), "H")
    assert stuck.status is Status.INCONCLUSIVE
    assert "await reconcile" in stuck.explanation


def test_a_posting_permit_within_its_lease_is_fine(engine: Engine) -> None:
    world = World(engine)
    account_id = healthy(world)
    world.reply(
        account_id,
        "w-new",
        world.now - minutes(0.5),
        status="POSTING",
        lease_until=world.now + minutes(1),
    )
    assert result(certify(engine), "H").status is Status.PASS


def times(world: World, values: dict[str, float]) -> dict[str, object]:
    converted: dict[str, object] = {}
    if "lease_until_ago" in values:
        converted["lease_until"] = world.now - minutes(values["lease_until_ago"])
    if "updated_ago" in values:
        converted["updated_at"] = world.now - minutes(values["updated_ago"])
    return converted


def test_two_used_permits_for_one_target_fail_h(postgres_url: str) -> None:
    # the constraints forbid it, so a drifted schema is the only way in: drop one and try
    engine = make_engine(postgres_url)
    world = World(engine)
    account_id = healthy(world)
    with engine.begin() as connection:
        connection.execute(
            text(
                "ALTER TABLE reply_decisions "
                "DROP CONSTRAINT uq_reply_decisions_account_id_target_post_id"
            )
        )
    for ago in (12, 6):
        candidate_id = world.candidate(account_id, world.now - minutes(ago + 2), status="replied")
        decision_id = world.decision(
            account_id, candidate_id, world.now - minutes(ago + 1), target_post_id="t-twice"
        )
        world.permit(
            account_id,
            decision_id,
            world.now - minutes(ago + 1),
            status="USED",
            actual_tweet_id=f"p-{ago}",
            used_at=world.now - minutes(ago),
        )
    report = certify(engine)
    engine.dispose()
    duplicates = result(report, "H")
    assert duplicates.status is Status.FAIL
    assert "t-twice" in duplicates.explanation
    assert duplicates.evidence[1].rows[0]["used_permits"] == 2
