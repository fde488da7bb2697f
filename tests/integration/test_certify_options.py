"""--account, --since, --window, and what "could not run" means, on both dialects."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from certify_world import World, certify, healthy, minutes, result, statuses
from xbot.certify import Status
from xbot.domain.errors import ConfigError, DatabaseUnreachable, SchemaBehind
from xbot.store.engine import make_engine


def test_account_limits_every_check_to_that_account(engine: Engine) -> None:
    world = World(engine)
    healthy(world)
    other = world.account("quiet", platform="bluesky")
    assert result(certify(engine), "G").status is Status.FAIL  # "quiet" was never scanned
    assert statuses(certify(engine, account="acme")) == "PPPPPPPPPP"
    assert statuses(certify(engine, account="@acme")) == "PPPPPPPPPP"
    quiet = certify(engine, account="quiet")
    assert statuses(quiet)[:3] == "PPF"  # A and B are about workers; C finds no fetch for it
    world.ghost_scan(other, world.now - minutes(2))
    assert result(certify(engine, account="quiet"), "G").status is Status.PASS


def test_an_unknown_account_cannot_be_certified(engine: Engine) -> None:
    healthy(World(engine))
    with pytest.raises(ConfigError, match="no account has the handle 'nobody'"):
        certify(engine, account="nobody")


def test_account_takes_platform_colon_handle_and_keeps_to_that_platform(engine: Engine) -> None:
    world = World(engine)
    healthy(world)  # x:acme, scanned and fetched
    twin = world.account("acme", platform="bluesky")  # same handle, never scanned
    assert certify(engine, account="x:acme").account == "x:acme"
    assert result(certify(engine, account="x:acme"), "G").status is Status.PASS
    assert result(certify(engine, account="bluesky:@acme"), "G").status is Status.FAIL
    world.ghost_scan(twin, world.now - minutes(2))
    assert result(certify(engine, account="bluesky:acme"), "G").status is Status.PASS


def test_a_bare_handle_on_two_platforms_is_ambiguous(engine: Engine) -> None:
    healthy(World(engine))
    World(engine).account("acme", platform="mastodon")
    with pytest.raises(ConfigError, match=r"'acme' matches mastodon:acme, x:acme: name one as"):
        certify(engine, account="acme")
    with pytest.raises(ConfigError, match="no account has the handle 'bluesky:acme'"):
        certify(engine, account="bluesky:acme")


def test_since_overrides_the_deployment_time(engine: Engine) -> None:
    world = World(engine)
    account_id = healthy(world)
    world.ghost(account_id, world.now - minutes(70))
    assert result(certify(engine), "G").status is Status.PASS
    report = certify(engine, since=world.now - timedelta(hours=2))
    assert result(report, "G").status is Status.FAIL
    assert report.since == world.now - timedelta(hours=2)


def test_window_overrides_the_cadence_windows(engine: Engine) -> None:
    healthy(World(engine))
    narrow = certify(engine, window=timedelta(minutes=2))
    assert result(narrow, "B").status is Status.FAIL
    assert "in the last 2m" in result(narrow, "B").explanation
    assert narrow.windows.worker == timedelta(minutes=2)


def test_an_empty_database_is_refused_with_migrate(tmp_path: Path) -> None:
    path = tmp_path / "empty.db"
    engine = make_engine(f"sqlite:///{path}")
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE unrelated (id INTEGER)"))
    with pytest.raises(SchemaBehind, match="xbot migrate"):
        certify(engine)
    engine.dispose()


def test_a_missing_sqlite_file_is_not_created(tmp_path: Path) -> None:
    path = tmp_path / "absent.db"
    engine = make_engine(f"sqlite:///{path}")
    with pytest.raises(DatabaseUnreachable, match="no SQLite database"):
        certify(engine)
    assert not path.exists()


def test_an_unreachable_server_is_reported_as_such() -> None:
    engine = make_engine("postgresql://postgres@127.0.0.1:9/xbot")
    with pytest.raises(DatabaseUnreachable, match="cannot be reached"):
        certify(engine)
