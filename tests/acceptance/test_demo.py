"""`xbot demo` as a subprocess: the whole system ends OPERATIONAL; stopped, it is not."""

from __future__ import annotations

import json
import re
import shutil
import time
from pathlib import Path

import pytest

from acceptance.conftest import run_xbot


@pytest.mark.slow
def test_demo_is_operational_then_certify_fails_b_once_the_worker_is_gone(
    xbot_env: dict[str, str], tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    done = run_xbot(["demo", "--seconds", "20", "--keep"], xbot_env, tmp_path, timeout=180)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "**Status**: ✅ **OPERATIONAL**" in done.stdout
    assert "one trace chain" in done.stdout
    assert "injected a ghost" in done.stdout
    latency = re.search(
        r"mention → reply: (\d+) replies, p50 ([\d.]+) s, p95 ([\d.]+) s", done.stdout
    )
    assert latency, done.stdout[-2000:]
    assert int(latency.group(1)) > 0
    assert 0 <= float(latency.group(2)) <= float(latency.group(3)) < 120
    for check in "ABCDEFGHI":
        assert re.search(rf"\| {check}\) [^|]+\| ✅ PASS", done.stdout), check
    # the table has a legend; the demo says it acknowledged its own ghost, and why
    assert "what the columns count" in done.stdout
    assert "unknown       permits whose outcome is not known yet" in done.stdout
    assert "acknowledged the ghost the demo injected itself" in done.stdout
    assert "any other ghost would still fail the certification" in done.stdout
    # the terminal gets the summary and the trace; the whole report goes to the file it names
    assert "## SQL QUERIES AND RESULTS" not in done.stdout
    written = re.search(r"full report, with every check's SQL and rows: (\S+\.md)", done.stdout)
    assert written, done.stdout[-2000:]
    report_file = Path(written.group(1))
    request.addfinalizer(lambda: report_file.unlink(missing_ok=True))
    full = report_file.read_text(encoding="utf-8")
    assert "## SQL QUERIES AND RESULTS" in full
    assert "**Status**: ✅ **OPERATIONAL**" in full
    assert len(done.stdout.splitlines()) < len(full.splitlines())
    kept = re.search(r"XBOT_CONFIG=(\S+xbot\.toml) xbot certify", done.stdout)
    assert kept, done.stdout[-2000:]
    config = kept.group(1)
    request.addfinalizer(lambda: shutil.rmtree(Path(config).parent, ignore_errors=True))
    text = Path(config).read_text(encoding="utf-8")
    assert "watchdog = 5" in text

    # the worker is gone: once B's window (3 watchdog intervals = 15 s) has passed, B fails first
    time.sleep(16)
    env = dict(xbot_env, XBOT_CONFIG=config)
    env.pop("XBOT_DATABASE_URL")
    certified = run_xbot(["certify", "--json"], env, tmp_path)
    assert certified.returncode == 1, certified.stdout[-2000:] + certified.stderr
    report = json.loads(certified.stdout)
    assert report["verdict"] == "NOT OPERATIONAL"
    assert report["blocker"]["key"] == "B"
    statuses = {item["key"]: item["status"] for item in report["checks"]}
    assert statuses["A"] == "PASS"
    assert statuses["B"] == "FAIL"


def test_demo_rejects_an_unknown_platform(xbot_env: dict[str, str], tmp_path: Path) -> None:
    done = run_xbot(["demo", "--platform", "myspace"], xbot_env, tmp_path)
    assert done.returncode == 1
    assert done.stderr.strip().startswith("error: --platform 'myspace' is unknown")


@pytest.mark.slow
def test_the_seeds_own_sql_passes_after_a_demo_on_postgresql(
    xbot_env: dict[str, str], tmp_path: Path, postgres_url: str
) -> None:
    from sqlalchemy import text

    from integration.test_certify_seed_parity import SEED, seed
    from xbot.store.engine import make_engine

    done = run_xbot(
        ["demo", "--seconds", "20", "--database-url", postgres_url, "--full"],
        xbot_env,
        tmp_path,
        timeout=180,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "**Status**: ✅ **OPERATIONAL**" in done.stdout
    assert "## SQL QUERIES AND RESULTS" in done.stdout  # --full prints it all

    engine = make_engine(postgres_url)
    try:
        (boot,) = seed(engine, SEED["seed_a"])
        with engine.connect() as connection:
            declared = connection.execute(
                text("SELECT sha FROM deployments ORDER BY declared_at DESC LIMIT 1")
            ).scalar_one()
            acknowledged = connection.execute(
                text("SELECT COUNT(*) FROM ghost_tweets WHERE acknowledged_at IS NOT NULL")
            ).scalar_one()
            unacknowledged = connection.execute(
                text("SELECT COUNT(*) FROM ghost_tweets WHERE acknowledged_at IS NULL")
            ).scalar_one()
        assert boot["git_sha"] == declared  # A
        assert seed(engine, SEED["seed_b"])[0]["count"] >= 2  # B
        fetch = seed(engine, SEED["seed_c"])[0]
        assert fetch["started"] >= 1  # C
        assert fetch["completed"] >= 1
        assert seed(engine, SEED["seed_d"])[0]["count"] >= 1  # D
        assert seed(engine, SEED["seed_e_scheduler"])[0]["count"] >= 1  # E
        assert seed(engine, SEED["seed_e_permits"])[0]["count"] >= 1
        (traced,) = seed(engine, SEED["seed_f"])  # F
        assert traced["actual_tweet_id"]
        assert traced["permit_id"].startswith("pmt_")
        # G: the seed's SQL cannot tell an acknowledged ghost from a new one; the demo injects
        # exactly one on purpose and acknowledges it, and nothing else may be a ghost
        assert unacknowledged == 0
        assert seed(engine, SEED["seed_g"])[0]["count"] == acknowledged == 1
    finally:
        engine.dispose()


@pytest.mark.slow
@pytest.mark.parametrize("platform", ["bluesky", "mastodon"])
def test_demo_is_operational_on_every_platform(
    xbot_env: dict[str, str], tmp_path: Path, platform: str
) -> None:
    done = run_xbot(
        ["demo", "--seconds", "20", "--platform", platform], xbot_env, tmp_path, timeout=180
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert f"xbot demo on fake {platform}" in done.stdout
    assert "**Status**: ✅ **OPERATIONAL**" in done.stdout
    for check in "ABCDEFGHI":
        assert re.search(rf"\| {check}\) [^|]+\| ✅ PASS", done.stdout), check
    assert "found by read-back" in done.stdout or "reply_posted" in done.stdout
