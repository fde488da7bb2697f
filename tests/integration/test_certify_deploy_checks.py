"""Checks A (running SHA) and B (worker alive) on hand-made states, on SQLite and PostgreSQL."""

from __future__ import annotations

from sqlalchemy import Engine, delete

from certify_world import (
    DEPLOYED_SHA,
    OLD_SHA,
    World,
    certify,
    healthy,
    minutes,
    result,
    statuses,
)
from xbot.certify import CertifyOptions, Status, Verdict, run_certification
from xbot.config import Settings
from xbot.store.tables import deployments, system_events


def test_a_healthy_production_is_operational(engine: Engine) -> None:
    healthy(World(engine))
    report = certify(engine)
    assert statuses(report) == "PPPPPPPPPP", [check.explanation for check in report.checks]
    assert report.verdict is Verdict.OPERATIONAL
    assert report.blocker is None
    assert report.exit_code == 0
    assert report.running_sha == DEPLOYED_SHA
    assert report.sha_source == "env:RAILWAY_GIT_COMMIT_SHA"


def test_seed_failure_old_sha_boot_fails_a_and_is_the_blocker(engine: Engine) -> None:
    world = World(engine)
    healthy(world)
    # the seed: the newest boot heartbeat comes from a container still on the old code
    world.boot("w-stale", OLD_SHA, world.now - minutes(2), host="serene-cat")
    report = certify(engine)
    running = result(report, "A")
    assert running.status is Status.FAIL
    assert "`e35a4371`" in running.explanation
    assert "`5a8a81ca`" in running.explanation
    assert "env:RAILWAY_GIT_COMMIT_SHA" in running.explanation
    assert report.blocker is running
    assert report.verdict is Verdict.NOT_OPERATIONAL
    assert report.exit_code == 1
    assert any(f"xbot deploy mark --sha {OLD_SHA}" in action for action in report.next_actions)


def test_seed_state_with_nothing_running_fails_everything_from_a(engine: Engine) -> None:
    world = World(engine)
    account_id = world.account()
    world.deployment("fdf00f1e", world.now - minutes(20))
    world.boot("w-1", OLD_SHA, world.now - minutes(199))
    world.ghost_scan(account_id, world.now - minutes(198), worker_id="w-1")
    report = certify(engine)
    assert statuses(report)[:6] == "FFFFFF"
    assert report.blocker is not None
    assert report.blocker.key == "A"
    assert "expected `fdf00f1e`" in report.blocker.explanation


def test_no_worker_ever_booted_fails_a(engine: Engine) -> None:
    world = World(engine)
    world.account()
    world.deployment(DEPLOYED_SHA, world.now - minutes(5))
    running = result(certify(engine), "A")
    assert running.status is Status.FAIL
    assert "no worker boot heartbeat" in running.explanation


def test_an_unknown_sha_fails_a(engine: Engine) -> None:
    world = World(engine)
    healthy(world)
    world.boot("w-anon", "unknown", world.now - minutes(1), sha_source="none")
    running = result(certify(engine), "A")
    assert running.status is Status.FAIL
    assert "unknown SHA" in running.explanation


def test_no_deployment_declared_is_inconclusive_and_names_deploy_mark(engine: Engine) -> None:
    world = World(engine)
    healthy(world)
    with engine.begin() as connection:
        connection.execute(delete(deployments))
    report = certify(engine)
    assert statuses(report) == "IPPPPPPPPP"
    assert "xbot deploy mark" in result(report, "A").explanation
    assert report.verdict is Verdict.INCONCLUSIVE
    assert report.exit_code == 2


def test_expect_sha_overrides_the_deployment_and_accepts_abbreviations(engine: Engine) -> None:
    healthy(World(engine))
    assert result(certify(engine, expect_sha=OLD_SHA), "A").status is Status.FAIL
    assert result(certify(engine, expect_sha="5a8a81ca"), "A").status is Status.PASS


def test_a_web_process_booting_on_another_sha_does_not_count(engine: Engine) -> None:
    world = World(engine)
    healthy(world)
    world.boot("web-1", OLD_SHA, world.now - minutes(1), role="web")
    assert result(certify(engine), "A").status is Status.PASS


def test_watchdog_reports_from_the_old_sha_do_not_keep_b_alive(engine: Engine) -> None:
    world = World(engine)
    healthy(world)
    with engine.begin() as connection:
        connection.execute(
            delete(system_events).where(
                system_events.c.event_type == "production_watchdog_report",
                system_events.c.worker_id == "w-new",
            )
        )
    world.reports("w-old", OLD_SHA, [world.now - minutes(12), world.now - minutes(7)])
    alive = result(certify(engine), "B")
    assert alive.status is Status.FAIL
    assert "0 watchdog report(s)" in alive.explanation


def test_a_worker_booted_minutes_ago_is_inconclusive_for_b(engine: Engine) -> None:
    world = World(engine)
    healthy(world)
    with engine.begin() as connection:
        connection.execute(
            delete(system_events).where(
                system_events.c.event_type == "production_watchdog_report",
                system_events.c.worker_id == "w-new",
            )
        )
    world.boot("w-new", DEPLOYED_SHA, world.now - minutes(4))
    world.reports("w-new", DEPLOYED_SHA, [world.now - minutes(1)])
    alive = result(certify(engine), "B")
    assert alive.status is Status.INCONCLUSIVE
    assert "booted 4m ago" in alive.explanation


def test_a_deployment_declared_by_a_short_sha_passes_a_like_the_fence(engine: Engine) -> None:
    world = World(engine)
    healthy(world)
    world.deployment(DEPLOYED_SHA[:7], world.now - minutes(1))
    report = certify(engine)
    assert result(report, "A").status is Status.PASS
    assert report.running_sha == DEPLOYED_SHA


def test_a_fails_permanently_when_a_worker_booted_after_the_deployment_runs_other_code(
    engine: Engine,
) -> None:
    world = World(engine)
    healthy(world)
    world.boot("w-stale", OLD_SHA, world.now - minutes(1))
    running = result(certify(engine), "A")
    assert running.status is Status.FAIL
    assert "`e35a4371`" in running.explanation
    assert "`5a8a81ca`" in running.explanation
    assert running.permanent is True


def test_a_mismatch_during_a_rollout_is_not_permanent(engine: Engine) -> None:
    world = World(engine)
    healthy(world)
    # declared after the newest boot: the workers may still be restarting on the new code
    world.deployment(OLD_SHA, world.now - minutes(1))
    running = result(certify(engine), "A")
    assert running.status is Status.FAIL
    assert running.permanent is False


def test_expect_sha_cannot_hide_a_deployment_the_fence_refuses(engine: Engine) -> None:
    world = World(engine)
    healthy(world)
    world.deployment(OLD_SHA[:7], world.now - minutes(1))
    report = certify(engine, expect_sha=DEPLOYED_SHA[:8])
    running = result(report, "A")
    assert running.status is Status.FAIL
    assert "`5a8a81ca`" in running.explanation
    assert "`e35a437`" in running.explanation
    assert "stale_code" in running.explanation
    assert any(f"xbot deploy mark --sha {DEPLOYED_SHA}" in action for action in report.next_actions)


def test_no_deployment_names_deploy_mark_with_the_running_sha_as_next_action(
    engine: Engine,
) -> None:
    world = World(engine)
    healthy(world)
    with engine.begin() as connection:
        connection.execute(delete(deployments))
    report = certify(engine)
    assert result(report, "A").status is Status.INCONCLUSIVE
    assert result(report, "A").permanent is False
    assert any(f"xbot deploy mark --sha {DEPLOYED_SHA}" in action for action in report.next_actions)


def test_require_deploy_mark_fails_a_closed_without_a_deployment(engine: Engine) -> None:
    world = World(engine)
    healthy(world)
    with engine.begin() as connection:
        connection.execute(delete(deployments))
    settings = Settings(require_deploy_mark=True)
    report = run_certification(engine, settings, CertifyOptions(now=world.now))
    running = result(report, "A")
    assert running.status is Status.FAIL
    assert "deploy_unmarked" in running.explanation
    assert running.permanent is True
    assert report.verdict is Verdict.NOT_OPERATIONAL
    assert any(f"xbot deploy mark --sha {DEPLOYED_SHA}" in action for action in report.next_actions)
