"""`xbot review list|show|approve|edit|reject`, `xbot mode`, `xbot demo --review`: processes."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine

from acceptance.conftest import run_xbot
from review_x import review_world
from xbot.domain.permits import PermitStatus
from xbot.store.engine import make_engine


@pytest.fixture
def waiting_engine(xbot_env: dict[str, str], tmp_path: Path) -> Iterator[Engine]:
    assert run_xbot(["migrate"], xbot_env, tmp_path).returncode == 0
    engine = make_engine(xbot_env["XBOT_DATABASE_URL"])
    yield engine
    engine.dispose()  # an engine left to the garbage collector warns about its open connections


def test_a_reviewer_lists_shows_approves_edits_and_rejects_from_the_cli(
    xbot_env: dict[str, str], tmp_path: Path, waiting_engine: Engine
) -> None:
    with review_world(waiting_engine, review="required") as world:
        for number in range(3):
            world.mention(number)
        world.fetch_and_schedule()
        first, second, third = world.permits()
        listed = run_xbot(["review", "list", "--json"], xbot_env, tmp_path)
        assert listed.returncode == 0, listed.stderr
        rows = json.loads(listed.stdout)
        assert [row["permit_id"] for row in rows] == [p.permit_id for p in (first, second, third)]
        shown = run_xbot(["review", "show", first.permit_id], xbot_env, tmp_path)
        assert rows[0]["text_sha256"] in shown.stdout
        assert rows[0]["text"] in shown.stdout

        stale = run_xbot(["review", "approve", first.permit_id, "--by", "ann", "--sha256",
                          "0" * 64], xbot_env, tmp_path)  # fmt: skip
        assert stale.returncode == 1
        assert stale.stderr.startswith("error: ")
        assert len(stale.stderr.splitlines()) == 1
        approved = run_xbot(["review", "approve", first.permit_id, "--by", "ann", "--sha256",
                             rows[0]["text_sha256"]], xbot_env, tmp_path)  # fmt: skip
        assert approved.returncode == 0, approved.stderr
        assert rows[0]["text_sha256"] in approved.stdout
        again = run_xbot(["review", "approve", first.permit_id, "--by", "bob"], xbot_env, tmp_path)
        assert again.returncode == 1
        assert "not awaiting review" in again.stderr

        new_text = "Thanks for asking! The tutorial in the docs walks through exactly this."
        edited = run_xbot(["review", "edit", second.permit_id, "--by", "ann", "--text", new_text],
                          xbot_env, tmp_path)  # fmt: skip
        assert edited.returncode == 0, edited.stderr
        rejected = run_xbot(["review", "reject", third.permit_id, "--by", "ann", "--reason",
                             "too salesy"], xbot_env, tmp_path)  # fmt: skip
        assert rejected.returncode == 0, rejected.stderr

        statuses = {p.permit_id: p.status for p in world.permits()}
        assert statuses == {
            first.permit_id: PermitStatus.PENDING,
            second.permit_id: PermitStatus.PENDING,
            third.permit_id: PermitStatus.FAILED,
        }
        assert world.text_of(second) == new_text
        world.post_all()
        assert sorted(post["text"] for post in world.sim_posts()) == sorted(
            [world.text_of(first), new_text]
        )
        traced = run_xbot(["trace", first.permit_id], xbot_env, tmp_path)
        assert "approval   by ann" in traced.stdout
        empty = run_xbot(["review", "list"], xbot_env, tmp_path)
        assert empty.stdout == "nothing waits for review\n"
        missing = run_xbot(["review", "show", "pmt_nope"], xbot_env, tmp_path)
        assert missing.returncode == 1
        assert missing.stderr == "error: no permit 'pmt_nope': see `xbot review list`\n"


def test_mode_switches_an_account_between_live_and_shadow(
    xbot_env: dict[str, str], tmp_path: Path, waiting_engine: Engine
) -> None:
    with review_world(waiting_engine, mode="shadow") as world:
        key = world.context.account.key
        switched = run_xbot(["mode", key, "live", "--by", "ann"], xbot_env, tmp_path)
        assert switched.returncode == 0, switched.stderr
        assert switched.stdout == f"{key}: shadow -> live (takes effect at the next claim)\n"
        [event] = world.events("account_mode_changed")
        assert event["event_data"]["by"] == "ann"
        bad = run_xbot(["mode", key, "dry"], xbot_env, tmp_path)
        assert bad.returncode == 1
        assert "live or shadow" in bad.stderr
        unknown = run_xbot(["mode", "x:nobody", "shadow"], xbot_env, tmp_path)
        assert unknown.returncode == 1
        assert "is no account" in unknown.stderr


@pytest.mark.slow
def test_demo_review_approves_one_reply_and_traces_its_approval(
    xbot_env: dict[str, str], tmp_path: Path
) -> None:
    done = run_xbot(["demo", "--seconds", "15", "--review"], xbot_env, tmp_path, timeout=180)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "approved pmt_" in done.stdout
    assert "the approved reply: review" in done.stdout
    assert "approval   by xbot demo" in done.stdout
    assert "**Status**: ✅ **OPERATIONAL**" in done.stdout
