"""The fence: after `xbot deploy mark`, a worker on another SHA posts nothing; pause stops all."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlalchemy import Engine
from typer.testing import CliRunner

from posting_fakes import FakePlatform
from posting_rows import T0, add_account, add_permit, events, load_permit, make_context
from xbot import cli as cli_module
from xbot.cli import app
from xbot.config import Settings
from xbot.domain.permits import PermitStatus
from xbot.jobs import post
from xbot.store.engine import make_engine

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
    assert post.run_once(make_context(engine, account_id, platform, git_sha=OLD))["claimed"] == 1
    assert load_permit(engine, before.permit_id).status is PermitStatus.USED

    result = cli.invoke(app, ["deploy", "mark", "--sha", NEW, "--by", "ci"])
    assert result.exit_code == 0, result.output
    after = add_permit(engine, account_id)
    later = T0 + timedelta(minutes=1)
    old_worker = make_context(engine, account_id, platform, git_sha=OLD, worker_id="old", now=later)
    assert post.run_once(old_worker)["blocked"] == "stale_code"
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
    assert post.run_once(new_worker)["status"] == "USED"
    assert load_permit(engine, after.permit_id).claimed_sha == NEW


def test_pause_stops_every_worker_and_resume_lets_them_post(engine: Engine, cli: CliRunner) -> None:
    account_id = add_account(engine)
    platform = FakePlatform()
    rows = add_permit(engine, account_id)
    assert cli.invoke(app, ["pause", "--by", "alice"]).exit_code == 0
    assert post.run_once(make_context(engine, account_id, platform))["blocked"] == "kill_switch"
    assert platform.calls == []
    assert events(engine, "posting_blocked_kill_switch")[0]["permit_id"] == rows.permit_id
    assert cli.invoke(app, ["resume"]).exit_code == 0
    assert post.run_once(make_context(engine, account_id, platform))["status"] == "USED"


def test_pause_with_drain_expires_pending_permits(engine: Engine, cli: CliRunner) -> None:
    account_id = add_account(engine)
    platform = FakePlatform()
    rows = add_permit(engine, account_id)
    assert cli.invoke(app, ["pause", "--drain"]).exit_code == 0
    summary = post.run_once(make_context(engine, account_id, platform))
    assert summary["expired"] == 1
    assert load_permit(engine, rows.permit_id).status is PermitStatus.EXPIRED
    assert platform.calls == []
