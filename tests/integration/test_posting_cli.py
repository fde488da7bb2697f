"""`xbot trace`, `xbot ghosts list` and `xbot ghosts ack` against a real database, both dialects."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import timedelta

import pytest
from sqlalchemy import Engine
from typer.testing import CliRunner

from posting_fakes import FakePlatform
from posting_rows import T0, PermitRows, add_account, add_permit, events, load_permit, make_context
from xbot.cli import app
from xbot.jobs import ghost_scan, post
from xbot.store.queries.workers import register_worker


@dataclass(frozen=True, kw_only=True, slots=True)
class World:
    engine: Engine
    rows: PermitRows
    post_id: str
    ghost_post_id: str


@pytest.fixture
def world(engine: Engine, database_url: str, monkeypatch: pytest.MonkeyPatch) -> World:
    monkeypatch.setenv("XBOT_DATABASE_URL", database_url)
    monkeypatch.setenv("COLUMNS", "240")
    with engine.begin() as connection:
        register_worker(
            connection,
            worker_id="worker-1",
            role="worker",
            git_sha="abc123",
            sha_source="test",
            host="h",
            pid=1,
            now=T0,
        )
    account_id = add_account(engine)
    platform = FakePlatform()
    rows = add_permit(engine, account_id)
    post.run_once(make_context(engine, account_id, platform))
    ghost = platform.post_outside_xbot("typed by a person", in_reply_to="5")
    ghost_scan.run_once(make_context(engine, account_id, platform, now=T0 + timedelta(minutes=5)))
    post_id = load_permit(engine, rows.permit_id).actual_tweet_id
    assert post_id is not None
    return World(engine=engine, rows=rows, post_id=post_id, ghost_post_id=ghost.post_id)


def invoke(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.output


def test_trace_prints_the_whole_chain_with_workers_and_shas(world: World) -> None:
    code, output = invoke("trace", world.rows.permit_id)
    assert code == 0, output
    for expected in (
        f"post {world.rows.target_post_id} by @ann",
        world.rows.decision_id,
        "USED",
        "permit_claimed",
        "reply_posted",
        "worker-1",
        "abc123",
        f"post       {world.post_id}",
        "read-back  ghost scan #1",
    ):
        assert expected in output, expected


@pytest.mark.parametrize("which", ["candidate_id", "candidate_post", "decision", "permit", "post"])
def test_trace_starts_from_any_id_in_the_chain(world: World, which: str) -> None:
    identifier = {
        "candidate_id": str(world.rows.candidate_id),
        "candidate_post": world.rows.target_post_id,
        "decision": world.rows.decision_id,
        "permit": world.rows.permit_id,
        "post": world.post_id,
    }[which]
    code, output = invoke("trace", identifier, "--json")
    assert code == 0, output
    chain = json.loads(output)
    assert chain["permit"]["permit_id"] == world.rows.permit_id
    assert chain["decision"]["decision_id"] == world.rows.decision_id
    assert chain["candidate"]["id"] == world.rows.candidate_id
    assert [event["event_type"] for event in chain["events"]] == ["permit_claimed", "reply_posted"]
    assert {event["git_sha"] for event in chain["events"]} == {"abc123"}
    assert chain["read_back"]["watermark"] is not None


def test_trace_of_a_ghost_says_so(world: World) -> None:
    code, output = invoke("trace", world.ghost_post_id)
    assert code == 0, output
    assert "ghost" in output
    assert "unexplained" in output


def test_trace_of_an_unknown_id_fails_in_one_line(world: World) -> None:
    code, output = invoke("trace", "pmt_nothing")
    assert code == 1
    assert "nothing recorded for 'pmt_nothing'" in output


def test_ghosts_list_and_ack(world: World) -> None:
    code, output = invoke("ghosts", "list", "--json")
    assert code == 0, output
    [ghost] = json.loads(output)
    assert (ghost["tweet_id"], ghost["classification"]) == (world.ghost_post_id, "unexplained")
    code, output = invoke("ghosts", "list")
    assert world.ghost_post_id in output
    code, output = invoke("ghosts", "ack", str(ghost["id"]), "--by", "alice")
    assert code == 0, output
    assert "acknowledged by alice" in output
    assert invoke("ghosts", "list")[1].strip() == "no unacknowledged ghosts"
    code, output = invoke("ghosts", "list", "--all", "--json")
    assert json.loads(output)[0]["acknowledged_by"] == "alice"
    [event] = events(world.engine, "ghost_acknowledged")
    assert (event["post_id"], event["by"]) == (world.ghost_post_id, "alice")


def test_ghosts_ack_by_post_id_and_unknown_ghosts(world: World) -> None:
    assert invoke("ghosts", "ack", world.ghost_post_id, "--by", "bob")[0] == 0
    code, output = invoke("ghosts", "ack", "999999", "--by", "bob")
    assert code == 1
    assert "no ghost '999999'" in output
