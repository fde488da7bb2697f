"""Mastodon's rules against the fake (mastodon-mock) over loopback, on SQLite and PostgreSQL.

`#nobot` in an author's note or profile fields skips them `author_nobot`; a `bot: true`
author is skipped `known_bot`; an author who blocks the bot, or whom the bot's account mutes,
is recorded as an opt-out (relationships); the account's own `bot` flag is set with
update_credentials under `labels.apply` and then verified (issue 15).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import Engine, select

from compliance_world import Wired, candidates, wired
from xbot.config_compliance import LabelSettings
from xbot.domain.labels import LabelState
from xbot.operations import Actor
from xbot.operations_labels import check_labels
from xbot.sim.core.clock import SimClock
from xbot.sim.core.world import build_world
from xbot.sim.mastodon.fake import FakeMastodon, MastodonFakeSettings
from xbot.store.tables import opt_outs


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeMastodon]:
    made = FakeMastodon(
        build_world(seed=7), clock=SimClock(speed=0),
        settings=MastodonFakeSettings(history_posts_per_bot=0),
    )  # fmt: skip
    yield made
    made.close()


def _wire(engine: Engine, fake: FakeMastodon, **settings_changes: Any) -> Any:
    fake.reset()
    bot = fake.world.bot_accounts[0].handle
    return wired(engine, fake, "mastodon", credentials={bot: fake.credentials(bot)},
                 settings_changes=settings_changes)  # fmt: skip


@pytest.fixture
def world(engine: Engine, fake: FakeMastodon) -> Iterator[Wired]:
    with _wire(engine, fake) as done:
        yield done


def people(fake: FakeMastodon, *, automated: bool) -> list[str]:
    return [user.handle for user in fake.world.users if user.automated == automated]


def test_nobot_and_bot_authors_are_skipped(engine: Engine, world: Wired) -> None:
    fake = world.fake
    ann, ben, cat = people(fake, automated=False)[:3]
    robot = people(fake, automated=True)[0]
    fake.update_profile(ann, note="<p>Human. Please no automated replies #NoBot</p>")
    fake.update_profile(ben, **{"fields_attributes[0][name]": "bots",
                                "fields_attributes[0][value]": "#nobot"})  # fmt: skip
    by_ann = fake.post_as(ann, "@replybot python question")
    by_ben = fake.post_as(ben, "@replybot python question")
    by_cat = fake.post_as(cat, "@replybot python question")
    by_robot = fake.post_as(robot, "@replybot python python")

    fetched = world.fetch()
    found = candidates(engine)
    assert found[by_ann["id"]] == ("skipped", "author_nobot")
    assert found[by_ben["id"]] == ("skipped", "author_nobot")
    assert found[by_robot["id"]] == ("skipped", "known_bot")
    assert found[by_cat["id"]] == ("queued", None)
    assert fetched.skipped == {"author_nobot": 2, "known_bot": 1}


def test_the_bot_flag_is_set_then_verified(engine: Engine, fake: FakeMastodon) -> None:
    actor = Actor(name="test")
    with _wire(engine, fake) as world:
        fake.update_profile(fake.world.bot_accounts[0].handle, bot="false")
        context = world.context()
        assert context.account is not None
        assert context.platform_for is not None
        [missing] = check_labels(engine, world.settings, [context.account],
                                 context.platform_for, actor)  # fmt: skip
        assert missing.state is LabelState.MISSING
        applying = world.settings.model_copy(update={"labels": LabelSettings(apply=True)})
        [applied] = check_labels(engine, applying, [context.account], context.platform_for, actor)
        assert applied.state is LabelState.APPLIED
        [verified] = check_labels(engine, world.settings, [context.account],
                                  context.platform_for, actor)  # fmt: skip
        assert verified.state is LabelState.VERIFIED
    patches = fake.requests(method="PATCH", path="/api/v1/accounts/update_credentials")
    assert len(patches) == 1


def test_an_author_who_blocks_the_bot_or_whom_it_mutes_is_opted_out(
    engine: Engine, world: Wired
) -> None:
    fake = world.fake
    bot = fake.world.bot_accounts[0].handle
    ann, ben, cat = people(fake, automated=False)[:3]
    by_ann = fake.post_as(ann, "@replybot python question")
    by_ben = fake.post_as(ben, "@replybot python question")
    by_cat = fake.post_as(cat, "@replybot python question")
    fake.board.relate(ann, bot, "block")  # ann blocks the bot: the API says `blocked_by`
    fake.board.relate(bot, ben, "mute")  # the operator mutes ben from the bot's account

    fetched = world.fetch()
    found = candidates(engine)
    assert found[by_ann["id"]] == ("skipped", "opted_out")
    assert found[by_ben["id"]] == ("skipped", "opted_out")
    assert found[by_cat["id"]] == ("queued", None)
    assert fetched.skipped == {"opted_out": 2}
    with engine.connect() as connection:
        rows = connection.execute(select(opt_outs.c.author_handle, opt_outs.c.how)).all()
    assert sorted((str(handle).split("@")[0], how) for handle, how in rows) == sorted(
        [(ann, "block"), (ben, "mute")]
    )
    asked = fake.requests(method="GET", path="/api/v1/accounts/relationships")
    assert len(asked) == 1  # one lookup for the fetch's three authors

    # the opt-out outlives the relationship: unblocking does not make ann answerable again
    fake.board.relate(ann, bot, "unblock")
    again = fake.post_as(ann, "@replybot python again")
    world.fetch()
    assert candidates(engine)[again["id"]] == ("skipped", "opted_out")
