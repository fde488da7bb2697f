"""The fence: after `xbot deploy mark`, a worker on another SHA posts nothing; pause stops all."""

from __future__ import annotations

import subprocess
import uuid
from collections.abc import Iterator
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine
from structlog.testing import capture_logs
from typer.testing import CliRunner

from posting_fakes import FakePlatform
from posting_rows import (
    T0,
    add_account,
    add_permit,
    declare_deployment,
    events,
    load_permit,
    make_context,
)
from xbot import cli as cli_module
from xbot.cli import app
from xbot.config import Settings
from xbot.domain.permits import PermitStatus
from xbot.jobs import post
from xbot.store.engine import make_engine
from xbot.store.queries.deployments import active_deployment
from xbot.store.queries.workers import register_worker

OLD, NEW = "a" * 40, "b" * 40


@pytest.fixture
def cli(database_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[CliRunner]:
    monkeypatch.setenv("XBOT_DATABASE_URL", database_url)
    # A command is one process in real life; here its engines are closed when the test ends.
    opened: list[Engine] = []

    def engine_for(loaded: Settings) -> Engine:
        opened.append(make_engine(loaded.database_url))
        return opened[-1]

    monkeypatch.setattr(cli_module, "engine_for", engine_for)
    yield CliRunner()
    for engine in opened:
        engine.dispose()


def test_a_worker_on_another_sha_posts_nothing_after_deploy_mark(
    engine: Engine, cli: CliRunner
) -> None:
    account_id = add_account(engine)
    platform = FakePlatform()
    before = add_permit(engine, account_id)
    assert post.run_once(make_context(engine, account_id, platform, git_sha=OLD)).claimed == 1
    assert load_permit(engine, before.permit_id).status is PermitStatus.USED

    result = cli.invoke(app, ["deploy", "mark", "--sha", NEW, "--by", "ci"])
    assert result.exit_code == 0, result.output
    after = add_permit(engine, account_id)
    later = T0 + timedelta(minutes=1)
    old_worker = make_context(engine, account_id, platform, git_sha=OLD, worker_id="old", now=later)
    assert post.run_once(old_worker).blocked == "stale_code"
    assert len(platform.calls) == 1
    permit = load_permit(engine, after.permit_id)
    assert (permit.status, permit.fence, permit.claimed_by) == (PermitStatus.PENDING, 0, None)
    [blocked] = events(engine, "posting_blocked_stale_code")
    assert (blocked["permit_id"], blocked["git_sha"], blocked["worker_id"]) == (
        after.permit_id,
        OLD,
        "old",
    )
    assert NEW in blocked["detail"]

    new_worker = make_context(engine, account_id, platform, git_sha=NEW, worker_id="new", now=later)
    assert post.run_once(new_worker).status == "USED"
    assert load_permit(engine, after.permit_id).claimed_sha == NEW


def test_pause_stops_every_worker_and_resume_lets_them_post(engine: Engine, cli: CliRunner) -> None:
    account_id = add_account(engine)
    platform = FakePlatform()
    rows = add_permit(engine, account_id)
    assert cli.invoke(app, ["pause", "--by", "alice"]).exit_code == 0
    assert post.run_once(make_context(engine, account_id, platform)).blocked == "kill_switch"
    assert platform.calls == []
    assert events(engine, "posting_blocked_kill_switch")[0]["permit_id"] == rows.permit_id
    assert cli.invoke(app, ["resume"]).exit_code == 0
    assert post.run_once(make_context(engine, account_id, platform)).status == "USED"


def test_pause_with_drain_expires_pending_permits(engine: Engine, cli: CliRunner) -> None:
    account_id = add_account(engine)
    platform = FakePlatform()
    rows = add_permit(engine, account_id)
    assert cli.invoke(app, ["pause", "--drain"]).exit_code == 0
    summary = post.run_once(make_context(engine, account_id, platform)).as_data()
    assert summary["expired"] == 1
    assert load_permit(engine, rows.permit_id).status is PermitStatus.EXPIRED
    assert platform.calls == []


def _declared(engine: Engine) -> str:
    with engine.connect() as connection:
        row = active_deployment(connection)
    assert row is not None
    return str(row.sha)


def _boot(engine: Engine, worker_id: str, sha: str) -> None:
    with engine.begin() as connection:
        register_worker(
            connection,
            worker_id=worker_id,
            role="worker",
            git_sha=sha,
            sha_source="test",
            host="test",
            pid=1,
            now=T0,
        )


def test_a_short_sha_lets_the_worker_on_that_commit_post_and_stops_the_others(
    engine: Engine, cli: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # not a checkout, and no worker booted: the prefix is stored
    account_id = add_account(engine)
    platform = FakePlatform()
    result = cli.invoke(app, ["deploy", "mark", "--sha", NEW[:7]])
    assert result.exit_code == 0, result.output
    assert _declared(engine) == NEW[:7]
    rows = add_permit(engine, account_id)
    old = make_context(engine, account_id, platform, git_sha=OLD, worker_id="old-short")
    assert post.run_once(old).blocked == "stale_code"
    new = make_context(engine, account_id, platform, git_sha=NEW, worker_id="new-short")
    assert post.run_once(new).status == "USED"
    assert load_permit(engine, rows.permit_id).claimed_sha == NEW
    assert len(platform.calls) == 1


def test_deploy_mark_stores_the_full_sha_a_worker_booted_with(
    engine: Engine, cli: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    _boot(engine, "w-new", NEW.upper())
    _boot(engine, "w-old", OLD)
    result = cli.invoke(app, ["deploy", "mark", "--sha", NEW[:9]])
    assert result.exit_code == 0, result.output
    assert _declared(engine) == NEW
    assert f"active deployment: {NEW} (from {NEW[:9]} via workers)" in result.output
    [marked] = events(engine, "deployment_marked")
    assert (marked["sha"], marked["given"], marked["source"]) == (NEW, NEW[:9], "workers")


def test_deploy_mark_resolves_a_prefix_with_git_in_a_checkout(
    engine: Engine, cli: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def git(*args: str) -> str:
        done = subprocess.run(
            ["git", "-c", "user.name=t", "-c", "user.email=t@t", *args],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            check=True,
        )
        return done.stdout.strip()

    git("init", "-q")
    git("commit", "-q", "--allow-empty", "-m", "release")
    head = git("rev-parse", "HEAD")
    monkeypatch.chdir(tmp_path)
    result = cli.invoke(app, ["deploy", "mark", "--sha", head[:7]])
    assert result.exit_code == 0, result.output
    assert _declared(engine) == head


def test_an_ambiguous_prefix_is_refused_and_nothing_is_stored(
    engine: Engine, cli: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    _boot(engine, "w-1", "abcdef1" + "1" * 33)
    _boot(engine, "w-2", "abcdef1" + "2" * 33)
    result = cli.invoke(app, ["deploy", "mark", "--sha", "abcdef1"])
    assert result.exit_code == 1
    assert "ambiguous" in result.output
    assert "give more digits" in result.output
    with engine.connect() as connection:
        assert active_deployment(connection) is None


def test_a_refusing_worker_warns_with_both_shas_at_most_once_a_minute(engine: Engine) -> None:
    account_id = add_account(engine)
    platform = FakePlatform()
    declare_deployment(engine, NEW[:7])
    add_permit(engine, account_id)
    worker_id = "stale-" + uuid.uuid4().hex
    with capture_logs() as logs:
        for seconds in (0, 30, 59, 61, 90):
            later = T0 + timedelta(seconds=seconds)
            context = make_context(
                engine, account_id, platform, git_sha=OLD, worker_id=worker_id, now=later
            )
            assert post.run_once(context).blocked == "stale_code"
    warnings = [entry for entry in logs if entry["event"] == "posting_refused_by_fence"]
    assert len(warnings) == 2
    assert {(entry["running_sha"], entry["declared_sha"]) for entry in warnings} == {(OLD, NEW[:7])}
    assert platform.calls == []


def test_require_deploy_mark_refuses_claims_until_a_deployment_is_declared(
    engine: Engine, cli: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("XBOT_REQUIRE_DEPLOY_MARK", "true")
    account_id = add_account(engine)
    platform = FakePlatform()
    rows = add_permit(engine, account_id)
    worker_id = "strict-" + uuid.uuid4().hex
    context = replace(
        make_context(engine, account_id, platform, git_sha=NEW, worker_id=worker_id),
        settings=Settings(),
    )
    assert context.settings.require_deploy_mark is True
    with capture_logs() as logs:
        assert post.run_once(context).blocked == "deploy_unmarked"
    assert platform.calls == []
    [blocked] = events(engine, "posting_blocked_deploy_unmarked")
    assert blocked["permit_id"] == rows.permit_id
    [warning] = [entry for entry in logs if entry["event"] == "posting_refused_by_fence"]
    assert (warning["running_sha"], warning["declared_sha"]) == (NEW, None)

    assert cli.invoke(app, ["deploy", "mark", "--sha", NEW]).exit_code == 0
    assert post.run_once(context).status == "USED"
