"""Operator actions (xbot.operations) on a real database, both dialects: state, event, actor."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, select

from posting_rows import T0, add_account
from xbot import operations
from xbot.domain.errors import ConfigError
from xbot.domain.posts import Post, PostId
from xbot.store.queries.controls import kill_switch
from xbot.store.queries.deployments import active_deployment
from xbot.store.queries.ghosts import insert_ghost
from xbot.store.queries.workers import register_worker
from xbot.store.tables import ghost_tweets, system_events

ALICE = operations.Actor(name="alice", via="web")
FULL = "0123456789abcdef0123456789abcdef01234567"


def recorded(engine: Engine, event_type: str) -> list[dict[str, Any]]:
    """Return the events of one type, oldest first, with their component and severity."""
    query = (
        select(system_events)
        .where(system_events.c.event_type == event_type)
        .order_by(system_events.c.id)
    )
    with engine.connect() as connection:
        rows = connection.execute(query).mappings().all()
    return [
        {**row["event_data"], "component": row["component"], "severity": row["severity"]}
        for row in rows
    ]


def add_ghost(engine: Engine, post_id: str) -> int:
    account_id = add_account(engine, handle=f"bot{post_id}")
    post = Post(
        post_id=PostId(post_id), author_id="1", author_handle="bot", text="by hand", created_at=T0
    )
    with engine.begin() as connection:
        ghost_id = insert_ghost(connection, account_id, post, "manual", T0)
    assert ghost_id is not None
    return ghost_id


def boot_worker(engine: Engine, sha: str) -> None:
    with engine.begin() as connection:
        register_worker(connection, worker_id=f"w-{sha}", role="worker", git_sha=sha,
                        sha_source="test", host="h", pid=1, now=T0)  # fmt: skip


def test_pause_drain_and_resume_set_the_switch_and_record_the_actor(engine: Engine) -> None:
    operations.pause(engine, ALICE, drain=True)
    with engine.connect() as connection:
        assert kill_switch(connection) == {"on": True, "drain": True}
    operations.resume(engine, operations.Actor(name="bob"))
    with engine.connect() as connection:
        assert kill_switch(connection) == {"on": False, "drain": False}
    [paused] = recorded(engine, "kill_switch_on")
    assert paused == {"on": True, "drain": True, "by": "alice", "component": "web",
                      "severity": "warning"}  # fmt: skip
    [resumed] = recorded(engine, "kill_switch_off")
    assert (resumed["by"], resumed["component"], resumed["severity"]) == ("bob", "cli", "info")


def test_pause_without_drain_keeps_pending_permits(engine: Engine) -> None:
    operations.pause(engine, ALICE)
    with engine.connect() as connection:
        assert kill_switch(connection) == {"on": True, "drain": False}


def test_mark_deployment_resolves_a_prefix_from_the_workers(engine: Engine, tmp_path: Path) -> None:
    boot_worker(engine, FULL)
    declared = operations.mark_deployment(
        engine, ALICE, f" {FULL[:8]} ", note="release 7", checkout=tmp_path
    )
    assert (declared.sha, declared.source) == (FULL, "workers")
    with engine.connect() as connection:
        active = active_deployment(connection)
    assert active is not None
    assert (active.sha, active.declared_by, active.note) == (FULL, "alice", "release 7")
    [event] = recorded(engine, "deployment_marked")
    assert event["sha"] == FULL
    assert (event["given"], event["source"], event["by"]) == (FULL[:8], "workers", "alice")
    assert event["component"] == "web"


def test_mark_deployment_keeps_an_unknown_prefix_as_given(engine: Engine, tmp_path: Path) -> None:
    declared = operations.mark_deployment(engine, ALICE, "ABCDEF1", checkout=tmp_path)
    assert (declared.sha, declared.source) == ("abcdef1", "given")


@pytest.mark.parametrize("bad", ["zz", "abc", "not-a-sha-at-all", ""])
def test_mark_deployment_refuses_what_is_not_a_sha_and_stores_nothing(
    engine: Engine, bad: str
) -> None:
    with pytest.raises(ConfigError, match="is not a git SHA"):
        operations.mark_deployment(engine, ALICE, bad)
    with engine.connect() as connection:
        assert active_deployment(connection) is None
    assert recorded(engine, "deployment_marked") == []


def test_mark_deployment_refuses_an_ambiguous_prefix(engine: Engine, tmp_path: Path) -> None:
    boot_worker(engine, "abcdef1" + "0" * 33)
    boot_worker(engine, "abcdef1" + "1" * 33)
    with pytest.raises(ConfigError, match="ambiguous"):
        operations.mark_deployment(engine, ALICE, "abcdef1", checkout=tmp_path)
    assert recorded(engine, "deployment_marked") == []


def test_acknowledge_ghost_by_post_id_records_who_vouched(engine: Engine) -> None:
    ghost_id = add_ghost(engine, "9000000000001")
    ghost = operations.acknowledge_ghost(engine, ALICE, "9000000000001")
    assert ghost is not None
    assert (ghost.ghost_id, ghost.post_id, ghost.acknowledged_by) == (
        ghost_id,
        "9000000000001",
        "alice",
    )
    with engine.connect() as connection:
        row = connection.execute(select(ghost_tweets)).mappings().one()
    assert row["acknowledged_by"] == "alice"
    assert row["acknowledged_at"] is not None
    [event] = recorded(engine, "ghost_acknowledged")
    assert (event["ghost_id"], event["post_id"], event["by"]) == (
        ghost_id,
        "9000000000001",
        "alice",
    )
    assert operations.list_ghosts(engine) == []
    assert [item["id"] for item in operations.list_ghosts(engine, include_acknowledged=True)] == [
        ghost_id
    ]


def test_acknowledge_an_unknown_ghost_changes_nothing(engine: Engine) -> None:
    add_ghost(engine, "9000000000001")
    assert operations.acknowledge_ghost(engine, ALICE, "9000000000002") is None
    assert recorded(engine, "ghost_acknowledged") == []
    assert len(operations.list_ghosts(engine)) == 1


def test_reads_on_an_empty_database(engine: Engine) -> None:
    assert operations.newest_post_trace(engine) is None
    assert operations.trace(engine, "nothing") is None
    assert set(operations.pipeline_counts(engine).values()) == {0}


def test_migrate_reports_the_revisions(engine: Engine) -> None:
    done = operations.migrate(engine)
    assert done.before == done.after
