"""`xbot certify` as an operator or a CI gate runs it: exit codes, one stderr line, reports."""

from __future__ import annotations

import json
import subprocess
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine, delete

from acceptance.conftest import XBOT, run_xbot
from certify_world import DEPLOYED_SHA, OLD_SHA, World, healthy, minutes
from xbot.store.engine import make_engine
from xbot.store.migrate import upgrade
from xbot.store.tables import deployments


@pytest.fixture
def database(xbot_env: dict[str, str]) -> Iterator[Engine]:
    """The subprocess's SQLite database, migrated, empty."""
    engine = make_engine(xbot_env["XBOT_DATABASE_URL"])
    upgrade(engine)
    yield engine
    engine.dispose()


def production(engine: Engine) -> World:
    world = World(engine, now=datetime.now(UTC))
    healthy(world)
    return world


def test_an_operational_production_exits_0_with_a_markdown_report(
    database: Engine, xbot_env: dict[str, str], tmp_path: Path
) -> None:
    production(database)
    done = run_xbot(["certify"], xbot_env, tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stderr == "certify: OPERATIONAL: all 10 checks passed\n"
    assert done.stdout.startswith("# PRODUCTION CERTIFICATION REPORT")
    assert "**Status**: ✅ **OPERATIONAL**" in done.stdout
    assert "```sql" in done.stdout


def test_the_seeds_old_sha_exits_1_naming_check_a(
    database: Engine, xbot_env: dict[str, str], tmp_path: Path
) -> None:
    world = production(database)
    world.boot("w-stale", OLD_SHA, world.now - minutes(1))
    done = run_xbot(["certify"], xbot_env, tmp_path)
    assert done.returncode == 1
    (line,) = done.stderr.splitlines()
    assert line.startswith(
        "certify: NOT OPERATIONAL: blocker A) Running SHA FAIL: running `e35a4371`"
    )
    assert "**Highest-Level Blocker**: A) Running SHA (FAIL)" in done.stdout
    assert f"xbot deploy mark --sha {OLD_SHA}" in done.stdout


def test_no_declared_deployment_exits_2(
    database: Engine, xbot_env: dict[str, str], tmp_path: Path
) -> None:
    production(database)
    with database.begin() as connection:
        connection.execute(delete(deployments))
    done = run_xbot(["certify"], xbot_env, tmp_path)
    assert done.returncode == 2
    assert done.stderr.startswith("certify: INCONCLUSIVE: blocker A) Running SHA")


def test_json_report_to_a_file(database: Engine, xbot_env: dict[str, str], tmp_path: Path) -> None:
    production(database)
    target = tmp_path / "report.json"
    done = run_xbot(["certify", "--json", "--output", str(target)], xbot_env, tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout == ""
    data = json.loads(target.read_text(encoding="utf-8"))
    assert data["verdict"] == "OPERATIONAL"
    assert data["running_sha"] == DEPLOYED_SHA
    assert [check["status"] for check in data["checks"]] == ["PASS"] * 10
    assert data["checks"][0]["queries"][0]["name"] == "running_sha"
    assert data["checks"][0]["permanent"] is False


def test_wait_re_checks_until_the_deployment_is_declared(
    database: Engine, xbot_env: dict[str, str], tmp_path: Path
) -> None:
    world = production(database)
    with database.begin() as connection:
        connection.execute(delete(deployments))
    waiting = subprocess.Popen(
        [XBOT, "certify", "--wait", "30s", "--wait-interval", "0.2"],
        env=xbot_env,
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert waiting.stderr is not None
    first = waiting.stderr.readline()  # a progress line: certify runs and waits
    # the deployment row arrives late; it declares the rollout of 50 minutes ago
    world.deployment(DEPLOYED_SHA, world.now - minutes(50))
    out, rest = waiting.communicate(timeout=30)
    lines = [first.rstrip("\n"), *rest.splitlines()]
    assert waiting.returncode == 0, lines
    assert lines[0].startswith("certify: INCONCLUSIVE (A) Running SHA: ")
    assert all("re-checking in 0.2s" in line for line in lines[:-1])
    assert lines[-1] == "certify: OPERATIONAL: all 10 checks passed"
    assert out.startswith("# PRODUCTION CERTIFICATION REPORT")


def test_wait_gives_up_with_the_last_verdict(
    database: Engine, xbot_env: dict[str, str], tmp_path: Path
) -> None:
    world = production(database)
    # declared after the newest boot: a rollout that may still finish, so certify keeps waiting
    world.deployment(OLD_SHA, world.now - minutes(1))
    started = time.monotonic()
    done = run_xbot(["certify", "--wait", "1s", "--wait-interval", "0.2"], xbot_env, tmp_path)
    assert done.returncode == 1
    assert time.monotonic() - started >= 1
    assert "re-checking" in done.stderr
    assert done.stderr.splitlines()[-1].startswith("certify: NOT OPERATIONAL: blocker A)")


@pytest.mark.parametrize("failure", ["ghost", "stale_worker"])
def test_wait_stops_at_once_on_a_failure_that_cannot_clear_by_itself(
    database: Engine, xbot_env: dict[str, str], tmp_path: Path, failure: str
) -> None:
    world = World(database, now=datetime.now(UTC))
    account_id = healthy(world)
    if failure == "ghost":
        world.ghost(account_id, world.now - minutes(3))
    else:  # a worker restarted after the deployment was declared, on other code
        world.boot("w-stale", OLD_SHA, world.now - minutes(1))
    started = time.monotonic()
    done = run_xbot(
        ["certify", "--json", "--wait", "6m", "--wait-interval", "0.2"], xbot_env, tmp_path
    )
    assert time.monotonic() - started < 30
    assert done.returncode == 1
    assert json.loads(done.stdout)["blocker"]["permanent"] is True
    stopped, summary = done.stderr.splitlines()
    check = "G) Ghosts" if failure == "ghost" else "A) Running SHA"
    assert stopped.startswith(f"certify: not waiting: {check} cannot clear by itself (")
    assert summary.startswith("certify: NOT OPERATIONAL: blocker ")
    assert "re-checking" not in done.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--wait", "soon"], "cannot read the duration 'soon'"),
        (["--since", "yesterday"], "cannot read --since 'yesterday'"),
        (["--account", "nobody"], "no account has the handle 'nobody'"),
        (["--expect-sha", "nothex"], "cannot read --expect-sha 'nothex'"),
        (["--expect-sha", "1ac7e7"], "give 7 to 64 hex digits"),
    ],
)
def test_bad_options_exit_3_with_one_line(
    database: Engine, xbot_env: dict[str, str], tmp_path: Path, args: list[str], message: str
) -> None:
    production(database)
    done = run_xbot(["certify", *args], xbot_env, tmp_path)
    assert done.returncode == 3
    (line,) = done.stderr.splitlines()
    assert line.startswith("error: ")
    assert message in line


def test_a_missing_schema_exits_3_naming_migrate(xbot_env: dict[str, str], tmp_path: Path) -> None:
    engine = make_engine(xbot_env["XBOT_DATABASE_URL"])
    with engine.begin() as connection:
        connection.exec_driver_sql("CREATE TABLE unrelated (id INTEGER)")
    engine.dispose()
    done = run_xbot(["certify"], xbot_env, tmp_path)
    assert done.returncode == 3
    (line,) = done.stderr.splitlines()
    assert "xbot migrate" in line
    assert done.stdout == ""


def test_a_missing_database_file_exits_3_and_is_not_created(
    xbot_env: dict[str, str], tmp_path: Path
) -> None:
    done = run_xbot(["certify"], xbot_env, tmp_path)
    assert done.returncode == 3
    assert len(done.stderr.splitlines()) == 1
    assert not (tmp_path / "xbot.db").exists()


def test_an_unreachable_server_exits_3(xbot_env: dict[str, str], tmp_path: Path) -> None:
    env = {**xbot_env, "XBOT_DATABASE_URL": "postgresql://postgres@127.0.0.1:9/xbot"}
    done = run_xbot(["certify"], env, tmp_path)
    assert done.returncode == 3
    (line,) = done.stderr.splitlines()
    assert "cannot be reached" in line


def test_postgresql_production_is_certified(
    postgres_url: str, xbot_env: dict[str, str], tmp_path: Path
) -> None:
    engine = make_engine(postgres_url)
    production(engine)
    engine.dispose()
    done = run_xbot(["certify"], {**xbot_env, "XBOT_DATABASE_URL": postgres_url}, tmp_path)
    assert done.returncode == 0, done.stderr
    assert "**Database**: postgresql" in done.stdout


@pytest.fixture(params=["sqlite", "postgresql"])
def either_database(request: pytest.FixtureRequest, xbot_env: dict[str, str]) -> Iterator[Engine]:
    """The subprocess's database on each dialect, migrated, empty."""
    if request.param == "postgresql":
        xbot_env["XBOT_DATABASE_URL"] = str(request.getfixturevalue("postgres_url"))
    engine = make_engine(xbot_env["XBOT_DATABASE_URL"])
    upgrade(engine)
    yield engine
    engine.dispose()


def test_pause_then_certify_exits_1_naming_the_kill_switch(
    either_database: Engine, xbot_env: dict[str, str], tmp_path: Path
) -> None:
    production(either_database)
    assert run_xbot(["certify"], xbot_env, tmp_path).returncode == 0
    paused = run_xbot(["pause", "--by", "alice"], xbot_env, tmp_path)
    assert paused.returncode == 0, paused.stderr
    done = run_xbot(["certify"], xbot_env, tmp_path)
    assert done.returncode == 1
    (line,) = done.stderr.splitlines()
    assert line.startswith("certify: NOT OPERATIONAL: blocker I) Accounts can post FAIL: ")
    assert "kill switch on since " in line
    assert ", set by alice" in line
    assert "| x:acme | blocked | kill_switch: kill switch on since " in done.stdout
    assert "xbot resume" in done.stdout


def test_account_by_platform_and_handle_and_an_ambiguous_handle(
    database: Engine, xbot_env: dict[str, str], tmp_path: Path
) -> None:
    world = production(database)
    world.account("acme", platform="mastodon")
    ambiguous = run_xbot(["certify", "--account", "acme"], xbot_env, tmp_path)
    assert ambiguous.returncode == 3
    (line,) = ambiguous.stderr.splitlines()
    assert line == (
        "error: --account 'acme' matches mastodon:acme, x:acme: name one as platform:handle."
    )
    done = run_xbot(["certify", "--account", "x:acme", "--json"], xbot_env, tmp_path)
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert data["account"] == "x:acme"
    assert [row["account"] for row in data["accounts"]] == ["x:acme"]


def test_deploy_mark_of_the_running_code_keeps_a_healthy_production_operational(
    database_url: str, xbot_env: dict[str, str], tmp_path: Path
) -> None:
    # case 10, as CI runs it: mark the code that already runs, then certify at once
    engine = make_engine(database_url)
    production(engine)
    engine.dispose()
    env = {**xbot_env, "XBOT_DATABASE_URL": database_url}
    marked = run_xbot(["deploy", "mark", "--sha", DEPLOYED_SHA[:7], "--by", "ci"], env, tmp_path)
    assert (
        marked.stdout
        == f"active deployment: {DEPLOYED_SHA} (from {DEPLOYED_SHA[:7]} via workers)\n"
    )
    done = run_xbot(["certify", "--expect-sha", DEPLOYED_SHA[:7]], env, tmp_path)
    assert done.returncode == 0, done.stdout
    assert done.stderr == "certify: OPERATIONAL: all 10 checks passed\n"
