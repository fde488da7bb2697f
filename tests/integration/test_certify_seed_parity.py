"""The seed's proof SQL runs verbatim on xbot's PostgreSQL schema and means what it meant.

The statements are copied from the seed report (seed/000_b73447d425d5d4c1.txt, STEP 4) with
only their literal timestamps replaced by the matching `now() - interval`: B and C looked back
15 minutes, E 60 minutes (45 minutes before B's cut-off), G from the boot 3 h 19 min earlier.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, text

from certify_world import DEPLOYED_SHA, World, certify, healthy, statuses
from xbot.certify.queries import HEADER
from xbot.store.engine import make_engine

#: kept in a .sql file so the seed's text, trailing spaces included, stays exactly as it was
PROOFS = Path(__file__).with_name("certify_seed_proofs.sql").read_text(encoding="utf-8")
PARTS = HEADER.split(PROOFS)
SEED = {name: body.strip("\n") for name, body in zip(PARTS[1::2], PARTS[2::2], strict=True)}


def seed(engine: Engine, statement: str) -> list[dict[str, Any]]:
    # verbatim: straight to the driver with no parameters, so it sends the text as it is
    connection = engine.raw_connection()
    try:
        cursor = connection.cursor()
        cursor.execute(statement)
        columns = [column[0] for column in cursor.description or ()]
        rows = [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]
    finally:
        connection.close()
    return rows


def test_all_seven_proofs_are_here_with_no_literal_timestamp() -> None:
    assert len(SEED) == 8  # A to G; E is two statements
    assert not any("2026-01-09" in statement for statement in SEED.values())


def test_seed_statements_pass_on_a_healthy_xbot_database(postgres_url: str) -> None:
    engine = make_engine(postgres_url)
    world = World(engine, now=datetime.now(UTC))
    healthy(world)

    (boot,) = seed(engine, SEED["seed_a"])
    with engine.connect() as connection:
        declared = connection.execute(
            text("SELECT sha FROM deployments ORDER BY declared_at DESC LIMIT 1")
        ).scalar_one()
    assert boot["git_sha"] == declared == DEPLOYED_SHA  # A: running SHA is the declared one
    assert seed(engine, SEED["seed_b"])[0]["count"] >= 2  # B: worker alive
    fetch = seed(engine, SEED["seed_c"])[0]
    assert fetch["started"] >= 1  # C: fetch ran
    assert fetch["completed"] >= 1
    assert seed(engine, SEED["seed_d"])[0]["count"] >= 1  # D: a candidate waits
    assert seed(engine, SEED["seed_e_scheduler"])[0]["count"] >= 1  # E: the scheduler ran
    assert seed(engine, SEED["seed_e_permits"])[0]["count"] >= 1  # E: and created permits
    (traced,) = seed(engine, SEED["seed_f"])  # F: a traced post
    assert traced["permit_id"].startswith("pmt_")
    assert traced["decision_id"].startswith("dec_")
    assert traced["actual_tweet_id"]
    assert seed(engine, SEED["seed_g"])[0]["count"] == 0  # G: no ghosts since the boot

    report = certify(engine, now=world.now)  # and xbot's own checks agree
    engine.dispose()
    assert statuses(report) == "PPPPPPPPPP"


def test_seed_statements_show_the_seeds_failure(postgres_url: str) -> None:
    engine = make_engine(postgres_url)
    world = World(engine, now=datetime.now(UTC))
    world.account()
    world.deployment("fdf00f1e", world.now)
    world.boot("w-1", "e35a4371", world.now.replace(year=world.now.year - 1))
    (boot,) = seed(engine, SEED["seed_a"])
    assert boot["git_sha"] == "e35a4371"
    assert seed(engine, SEED["seed_b"])[0]["count"] == 0
    assert seed(engine, SEED["seed_f"]) == []
    report = certify(engine, now=world.now)
    engine.dispose()
    assert report.blocker is not None
    assert report.blocker.key == "A"
