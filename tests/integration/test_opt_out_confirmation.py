"""The one confirmation of a stop message, against the fakes over loopback, SQLite and PostgreSQL.

With `opt_outs.confirmation` on, the stop message that opts its author out gets exactly one reply,
the configured text, through decision, permit and publish; then nothing more, not even to a
second stop message. Off (the default), it gets none. Certify's check J reads the confirmation as
allowed and still flags any other reply to the opted-out author (issue 15). Mastodon's rules
allow it as well: one reply to the stop message, by the fake Mastodon.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, insert, select

from compliance_world import Wired, candidates, wired
from xbot.certify.check_compliance import violations
from xbot.certify.evidence import QueryRunner
from xbot.certify.facts_compliance import Violation
from xbot.certify.queries import load_queries
from xbot.config_compliance import OptOutSettings
from xbot.jobs import post
from xbot.sim.core.clock import SimClock
from xbot.sim.core.world import build_world
from xbot.sim.mastodon.fake import FakeMastodon, MastodonFakeSettings
from xbot.sim.x.fake import FakeX
from xbot.sim.x.settings import XFakeSettings
from xbot.store.snapshot import open_snapshot
from xbot.store.tables import opt_outs, post_attempts, reply_candidate_queue, reply_decisions

TEXT = "Done: you will get no more replies from me."


@pytest.fixture
def fake() -> FakeX:
    world = build_world(seed=7, bot_handles=("replybot",))
    return FakeX(world, clock=SimClock(speed=0), settings=XFakeSettings(history_posts_per_bot=0))


def _wired(engine: Engine, fake: FakeX, *, confirmation: bool) -> Any:
    settings = OptOutSettings(confirmation=confirmation, confirmation_text=TEXT)
    return wired(engine, fake, "x", handles=("replybot",),
                 credentials={"replybot": fake.credentials("replybot")},
                 settings_changes={"opt_outs": settings})  # fmt: skip


@pytest.fixture
def confirming(engine: Engine, fake: FakeX) -> Iterator[Wired]:
    with _wired(engine, fake, confirmation=True) as done:
        yield done


def _ann(fake: FakeX) -> str:
    return next(user.handle for user in fake.world.users if not user.automated)


def _replies(fake: FakeX) -> list[dict[str, Any]]:
    return [entry.body for entry in fake.requests(method="POST", path="/2/tweets")]


def _run_everything(world: Wired) -> None:
    world.fetch()
    world.schedule()
    post.run_once(world.context())


def _compliance_violations(engine: Engine) -> list[Violation]:
    url = engine.url.render_as_string(hide_password=False)
    with open_snapshot(url) as snapshot:
        run = QueryRunner(snapshot, load_queries(snapshot.dialect))
        since = datetime.now(UTC) - timedelta(days=1)
        rows = run("compliance_posts", since=since, account=None).rows
    assert rows, "no USED permit in the window"
    return [found for row in rows for found in violations(row, {})]


def test_a_stop_message_gets_one_confirmation_then_nothing(
    engine: Engine, confirming: Wired
) -> None:
    fake = confirming.fake
    ann = _ann(fake)
    question = fake.post_as(ann, "@replybot how do python generators work?")
    assert confirming.fetch().queued == 1
    stop = fake.post_as(ann, "@replybot STOP")
    assert confirming.fetch().queued == 1  # the stop message, flagged as its confirmation
    scheduled = confirming.schedule()
    assert (scheduled.permits_created, scheduled.skipped) == (1, {"opted_out": 1})
    assert candidates(engine)[question["id"]] == ("skipped", "opted_out")
    assert post.run_once(confirming.context()).status == "USED"
    assert _replies(fake) == [{"text": TEXT, "reply": {"in_reply_to_tweet_id": stop["id"]}}]
    assert candidates(engine)[stop["id"]] == ("replied", None)

    again = fake.post_as(ann, "@replybot stop")  # the opt-out is not new: no second confirmation
    more = fake.post_as(ann, "@replybot python question anyway?")
    for _ in range(2):
        _run_everything(confirming)
    assert candidates(engine)[again["id"]] == ("skipped", "opted_out")
    assert candidates(engine)[more["id"]] == ("skipped", "opted_out")
    assert len(_replies(fake)) == 1
    with engine.connect() as connection:
        generators = connection.execute(select(reply_decisions.c.generator)).scalars().all()
        (opt_out,) = connection.execute(select(opt_outs)).all()
    assert generators == ["confirmation"]
    assert (opt_out.how, opt_out.post_id) == ("stop_word", stop["id"])

    # check J allows the confirmation, and flags a second reply planted to the opted-out author
    assert _compliance_violations(engine) == []
    planted = _plant_reply(engine, more["id"])
    assert [(item.permit_id, item.rule) for item in _compliance_violations(engine)] == [
        (planted, "opted_out")
    ]


def test_without_the_setting_a_stop_message_gets_no_reply(engine: Engine, fake: FakeX) -> None:
    with _wired(engine, fake, confirmation=False) as world:
        stop = fake.post_as(_ann(fake), "@replybot STOP")
        for _ in range(2):
            _run_everything(world)
    assert candidates(engine)[stop["id"]] == ("skipped", "opted_out")
    assert _replies(fake) == []
    with engine.connect() as connection:
        assert connection.execute(select(post_attempts)).all() == []


def _plant_reply(engine: Engine, target_post_id: str) -> str:
    """A USED reply to the opted-out author's other post, as a buggy worker would leave it."""
    now = datetime.now(UTC)
    with engine.begin() as connection:
        candidate = connection.execute(
            select(reply_candidate_queue).where(
                reply_candidate_queue.c.candidate_post_id == target_post_id
            )
        ).one()
        connection.execute(
            insert(reply_decisions).values(
                decision_id="dec_planted", account_id=candidate.account_id,
                candidate_id=candidate.id, target_post_id=target_post_id,
                reply_text="A second reply.", generator="bank", created_at=now,
            )
        )  # fmt: skip
        connection.execute(
            insert(post_attempts).values(
                permit_id="permit_planted", decision_id="dec_planted",
                account_id=candidate.account_id, status="USED", created_at=now, used_at=now,
                actual_tweet_id="999999", fence=1, attempts=1,
            )
        )  # fmt: skip
    return "permit_planted"


def test_mastodon_s_rules_allow_the_confirmation_too(engine: Engine) -> None:
    fake = FakeMastodon(build_world(seed=7), clock=SimClock(speed=0),
                        settings=MastodonFakeSettings(history_posts_per_bot=0))  # fmt: skip
    bot = fake.world.bot_accounts[0].handle
    settings = OptOutSettings(confirmation=True, confirmation_text=TEXT)
    try:
        with wired(engine, fake, "mastodon", credentials={bot: fake.credentials(bot)},
                   settings_changes={"opt_outs": settings}) as world:  # fmt: skip
            ann = next(user.handle for user in fake.world.users if not user.automated)
            stop = fake.post_as(ann, f"@{bot} stop")
            for _ in range(2):
                _run_everything(world)
    finally:
        fake.close()
    posted = [entry.body for entry in fake.requests(method="POST", path="/api/v1/statuses")]
    assert [(body["status"], body["in_reply_to_id"]) for body in posted] == [(TEXT, stop["id"])]
    assert candidates(engine)[stop["id"]] == ("replied", None)
