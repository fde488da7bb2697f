"""Opt-outs against the fake X over loopback, on SQLite and PostgreSQL (issue 15).

A stop message gets no reply and opts its author out; the author's queued mention is dropped at
the next schedule pass; no account of the platform answers them again until an operator removes
the opt-out.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, select

from compliance_world import Wired, candidates, wired
from xbot import operations_optouts
from xbot.operations import Actor
from xbot.sim.core.clock import SimClock
from xbot.sim.core.world import build_world
from xbot.sim.x.fake import FakeX
from xbot.sim.x.settings import XFakeSettings
from xbot.store.tables import opt_outs, post_attempts, system_events

BOTS = ("replybot", "helpbot")


@pytest.fixture
def fake() -> FakeX:
    world = build_world(seed=7, bot_handles=BOTS)
    return FakeX(world, clock=SimClock(speed=0), settings=XFakeSettings(history_posts_per_bot=0))


@pytest.fixture
def world(engine: Engine, fake: FakeX) -> Iterator[Wired]:
    credentials = {bot: fake.credentials(bot) for bot in BOTS}
    with wired(engine, fake, "x", handles=BOTS, credentials=credentials) as done:
        yield done


def humans(fake: FakeX) -> list[str]:
    return [user.handle for user in fake.world.users if not user.automated]


def permits(engine: Engine) -> int:
    with engine.connect() as connection:
        return len(connection.execute(select(post_attempts.c.permit_id)).all())


def test_a_stop_message_opts_out_and_gets_no_reply(engine: Engine, world: Wired) -> None:
    fake = world.fake
    ann = humans(fake)[0]
    question = fake.post_as(ann, "@replybot how do python generators work?")
    assert world.fetch("replybot").queued == 1
    stop = fake.post_as(ann, "@replybot STOP")

    fetched = world.fetch("replybot")
    assert fetched.skipped == {"opted_out": 1}
    assert candidates(engine)[stop["id"]] == ("skipped", "opted_out")

    scheduled = world.schedule("replybot")
    assert scheduled.skipped == {"opted_out": 1}
    assert candidates(engine)[question["id"]] == ("skipped", "opted_out")
    assert permits(engine) == 0

    with engine.connect() as connection:
        [row] = connection.execute(select(opt_outs)).all()
        events = connection.execute(
            select(system_events.c.event_data).where(
                system_events.c.event_type == "opt_out_recorded"
            )
        ).all()
    assert (row.platform, row.how, row.author_handle) == ("x", "stop_word", ann)
    assert [event.event_data["how"] for event in events] == ["stop_word"]

    # every account of the platform: the other bot never answers ann either
    later = fake.post_as(ann, "@helpbot a python question for you")
    assert world.fetch("helpbot").skipped == {"opted_out": 1}
    assert candidates(engine)[later["id"]] == ("skipped", "opted_out")


def test_an_operator_opt_out_holds_until_removed(engine: Engine, world: Wired) -> None:
    fake = world.fake
    ben = humans(fake)[1]
    ben_id = fake.world.user(ben).user_id
    first = fake.post_as(ben, "@replybot python question one")
    actor = Actor(name="ops")
    assert operations_optouts.add_opt_out(engine, actor, "x", ben_id, handle=ben)
    assert not operations_optouts.add_opt_out(engine, actor, "x", ben_id)

    assert world.fetch("replybot").skipped == {"opted_out": 1}
    assert candidates(engine)[first["id"]] == ("skipped", "opted_out")

    removed = operations_optouts.remove_opt_out(engine, actor, "X", f"@{ben}")
    assert [row["author_id"] for row in removed] == [ben_id]
    second = fake.post_as(ben, "@replybot python question two")
    assert world.fetch("replybot").queued == 1
    assert candidates(engine)[second["id"]] == ("queued", None)
    assert world.schedule("replybot").permits_created == 1
