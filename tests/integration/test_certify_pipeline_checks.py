"""Checks C (fetch), D (queue), E (scheduler + permit) and F (trace chain), on both dialects."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import Engine, delete, update

from certify_world import DEPLOYED_SHA, World, certify, healthy, minutes, result, statuses
from xbot.certify import Status, Verdict
from xbot.store.tables import reply_candidate_queue, system_events


def forget_events(engine: Engine, prefix: str) -> None:
    with engine.begin() as connection:
        connection.execute(
            delete(system_events).where(system_events.c.event_type.startswith(prefix))
        )


def test_no_fetch_in_the_window_fails_c(engine: Engine) -> None:
    healthy(World(engine))
    forget_events(engine, "reply_v2_fetch_job")
    fetch = result(certify(engine), "C")
    assert fetch.status is Status.FAIL
    assert "no fetch completed in the last 15m" in fetch.explanation


def test_failed_fetches_fail_c_with_their_reason(engine: Engine) -> None:
    world = World(engine)
    account_id = healthy(world)
    forget_events(engine, "reply_v2_fetch_job")
    world.fetch_failed("w-new", account_id, world.now - minutes(3), "AuthFailed: 401")
    fetch = result(certify(engine), "C")
    assert fetch.status is Status.FAIL
    assert "AuthFailed: 401" in fetch.explanation
    assert [evidence.name for evidence in fetch.evidence] == ["fetch_runs", "fetch_failures"]


def test_fetches_by_the_old_sha_do_not_count(engine: Engine) -> None:
    world = World(engine)
    account_id = healthy(world)
    forget_events(engine, "reply_v2_fetch_job")
    world.fetch("w-old", account_id, world.now - minutes(3))
    assert result(certify(engine), "C").status is Status.FAIL


def test_a_fetch_still_running_is_inconclusive(engine: Engine) -> None:
    world = World(engine)
    account_id = healthy(world)
    forget_events(engine, "reply_v2_fetch_job")
    world.fetch("w-new", account_id, world.now - minutes(0.2), completed=False)
    fetch = result(certify(engine), "C")
    assert fetch.status is Status.INCONCLUSIVE
    assert "still running" in fetch.explanation


def test_a_queue_drained_by_the_scheduler_passes_d(engine: Engine) -> None:
    world = World(engine)
    healthy(world)
    with engine.begin() as connection:
        connection.execute(
            update(reply_candidate_queue)
            .where(reply_candidate_queue.c.status == "queued")
            .values(status="selected")
        )
    queue = result(certify(engine), "D")
    assert queue.status is Status.PASS
    assert "the 2 candidate(s) queued in the last 15m reached an outcome" in queue.explanation
    assert [evidence.name for evidence in queue.evidence] == ["queue", "queue_recent"]


def test_nothing_new_to_fetch_makes_d_e_and_f_inconclusive(engine: Engine) -> None:
    healthy(World(engine), found_new=0, queued=False, replies=())
    report = certify(engine)
    assert statuses(report) == "PPPIIIPPPI"
    assert "found 0 new and queued none" in result(report, "D").explanation
    assert report.blocker is not None
    assert report.blocker.key == "D"
    assert report.exit_code == 2


def test_queued_candidates_that_expired_unused_fail_d(engine: Engine) -> None:
    world = World(engine)
    account_id = healthy(world, queued=False, replies=(30,))
    world.candidate(account_id, world.now - minutes(6), status="expired", ttl=minutes(1))
    queue = result(certify(engine), "D")
    assert queue.status is Status.FAIL
    assert "expired 1" in queue.explanation


def test_a_scheduler_that_stopped_fails_e(engine: Engine) -> None:
    healthy(World(engine))
    forget_events(engine, "reply_v2_scheduler_job")
    scheduler = result(certify(engine), "E")
    assert scheduler.status is Status.FAIL
    assert "did not run in the last 3m" in scheduler.explanation


def test_refused_permits_do_not_pass_e(engine: Engine) -> None:
    # the seed's E passed on rejected permits: FAILED, EXPIRED and fenced-off ones count for nothing
    world = World(engine)
    account_id = healthy(world, replies=())
    world.reply(
        account_id,
        "w-new",
        world.now - minutes(12),
        status="FAILED",
        failure_reason="ForbiddenByPolicy",
    )
    world.reply(account_id, "w-new", world.now - minutes(11), status="EXPIRED")
    _, fenced = world.reply(account_id, "w-new", world.now - minutes(6), status="PENDING")
    world.event(
        "posting_blocked_stale_code",
        world.now - minutes(5),
        worker_id="w-new",
        account_id=account_id,
        data={"permit_id": fenced, "reason": "stale_code"},
    )
    report = certify(engine)
    scheduler = result(report, "E")
    assert scheduler.status is Status.FAIL
    assert "EXPIRED 1, FAILED 1, PENDING 1" in scheduler.explanation
    assert result(report, "F").status is Status.FAIL
    assert "posting_blocked_stale_code 1" in result(report, "G").explanation


def test_a_used_permit_without_a_posted_id_fails_f(engine: Engine) -> None:
    world = World(engine)
    account_id = healthy(world, replies=())
    world.reply(account_id, "w-new", world.now - minutes(6), actual_tweet_id=None)
    report = certify(engine)
    assert result(report, "E").status is Status.PASS
    chain = result(report, "F")
    assert chain.status is Status.FAIL
    assert "no USED permit with a posted id" in chain.explanation


def test_posts_from_before_the_deployment_do_not_pass_f(engine: Engine) -> None:
    healthy(World(engine), replies=(55,))
    assert result(certify(engine), "F").status is Status.FAIL


def test_a_permit_waiting_to_post_is_inconclusive_for_f(engine: Engine) -> None:
    world = World(engine)
    account_id = healthy(world, replies=())
    _, permit_id = world.reply(account_id, "w-new", world.now - minutes(1), status="PENDING")
    report = certify(engine)
    assert result(report, "E").status is Status.PASS
    chain = result(report, "F")
    assert chain.status is Status.INCONCLUSIVE
    assert f"permit {permit_id} is PENDING" in chain.explanation


def test_the_trace_chain_names_decision_permit_and_post(engine: Engine) -> None:
    world = World(engine)
    account_id = healthy(world, replies=())
    decision_id, permit_id = world.reply(account_id, "w-new", world.now - minutes(3))
    chain = result(certify(engine), "F")
    assert chain.status is Status.PASS
    assert chain.explanation.startswith(f"{decision_id} -> {permit_id} -> ")
    row = chain.evidence[0].rows[0]
    assert (row["decision_id"], row["permit_id"]) == (decision_id, permit_id)
    assert row["candidate_id"] is not None


def test_candidates_the_guard_skipped_prove_the_queue_works(engine: Engine) -> None:
    # case 10: every queued candidate skipped by the guard failed D
    world = World(engine)
    account_id = healthy(world, queued=False, replies=())
    for ago in (9, 4):
        world.candidate(
            account_id, world.now - minutes(ago), status="skipped", skip_reason="guard_rejected"
        )
    report = certify(engine)
    queue = result(report, "D")
    assert queue.status is Status.PASS
    assert "skipped (guard_rejected) 2" in queue.explanation
    scheduler = result(report, "E")
    assert scheduler.status is Status.INCONCLUSIVE
    assert "skipped every candidate" in scheduler.explanation
    assert report.verdict is Verdict.INCONCLUSIVE


def test_candidates_that_only_ran_out_of_time_still_fail_d(engine: Engine) -> None:
    world = World(engine)
    account_id = healthy(world, queued=False, replies=(30,))
    world.candidate(
        account_id, world.now - minutes(6), status="expired", ttl=minutes(1), skip_reason="expired"
    )
    assert result(certify(engine), "D").status is Status.FAIL


def test_e_waits_for_the_schedulers_next_slot_after_the_newest_candidate(engine: Engine) -> None:
    # case 10: E failed ~40 s after the first fetch, before the scheduler's next slot
    world = World(engine)
    account_id = healthy(world, queued=False, replies=())
    world.candidate(account_id, world.now - timedelta(seconds=40))
    scheduler = result(certify(engine), "E")
    assert scheduler.status is Status.INCONCLUSIVE
    assert "next slot after it is due at 19:55:20 UTC" in scheduler.explanation
    # the slot came and went (its run would have started at 19:55:00) with no permit: a failure
    later = certify(engine, now=world.now + timedelta(seconds=30))
    assert result(later, "E").status is Status.FAIL


def test_a_scheduler_run_after_the_newest_candidate_settles_e(engine: Engine) -> None:
    world = World(engine)
    account_id = healthy(world, queued=False, replies=())
    world.candidate(account_id, world.now - timedelta(seconds=40))
    world.schedule("w-new", account_id, world.now - timedelta(seconds=20))
    assert result(certify(engine), "E").status is Status.FAIL


def test_a_fresh_deploy_mark_of_the_running_code_keeps_e_and_f_passing(engine: Engine) -> None:
    # case 10: each `deploy mark` reset "since deploy", so E and F failed until the next post
    world = World(engine)
    healthy(world)
    world.deployment(DEPLOYED_SHA, world.now - minutes(1))
    report = certify(engine)
    assert statuses(report) == "PPPPPPPPPP", [check.explanation for check in report.checks]


def test_new_code_without_a_post_yet_is_inconclusive_with_the_time_left(engine: Engine) -> None:
    world = World(engine)
    account_id = healthy(world)
    new_sha = "c0ffee" + "1" * 34
    world.deployment(new_sha, world.now - minutes(6))
    world.boot("w-next", new_sha, world.now - minutes(5))
    world.reports("w-next", new_sha, [world.now - minutes(5), world.now - minutes(0.1)])
    world.fetch("w-next", account_id, world.now - minutes(4))
    for step in range(1, 3):
        world.schedule("w-next", account_id, world.now - minutes(step))
    report = certify(engine)
    assert statuses(report)[:4] == "PPPP", [check.explanation for check in report.checks]
    for key in ("E", "F"):
        check = result(report, key)
        assert check.status is Status.INCONCLUSIVE, check.explanation
        assert "needs 15m of history, 10m left" in check.explanation
