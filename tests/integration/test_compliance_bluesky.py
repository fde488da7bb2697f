"""Bluesky's rules against the fake over loopback, on SQLite and PostgreSQL (issue 15).

A bot author (the `bot` self-label) is skipped; a thread whose root's threadgate does not let
the account reply is skipped `threadgate`; the account's own `bot` label is reported missing,
written with `labels.apply` (keeping the profile's other fields) and then verified.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import Engine

from compliance_world import Wired, candidates, wired
from xbot.domain.labels import LabelState
from xbot.operations import Actor
from xbot.operations_labels import check_labels, label_states
from xbot.sim.bluesky.fake import FakeBluesky
from xbot.sim.bluesky.settings import BlueskyFakeSettings
from xbot.sim.core.clock import SimClock
from xbot.sim.core.world import build_world

MENTION_RULE = {"$type": "app.bsky.feed.threadgate#mentionRule"}
FOLLOWING_RULE = {"$type": "app.bsky.feed.threadgate#followingRule"}


@pytest.fixture
def fake() -> FakeBluesky:
    settings = BlueskyFakeSettings(
        history_posts_per_bot=0, notification_delay_seconds=0, view_delay_seconds=0
    )
    return FakeBluesky(build_world(seed=7), clock=SimClock(speed=0), settings=settings)


def _wire(engine: Engine, fake: FakeBluesky, **settings_changes: Any) -> Any:
    login = fake.credentials()
    return wired(
        engine, fake, "bluesky", handles=(login["identifier"],),
        credentials={login["identifier"]: {"app_password": login["password"]}},
        settings_changes=settings_changes,
    )  # fmt: skip


@pytest.fixture
def world(engine: Engine, fake: FakeBluesky) -> Iterator[Wired]:
    with _wire(engine, fake) as done:
        yield done


def people(fake: FakeBluesky, *, automated: bool) -> list[str]:
    return [user.handle for user in fake.world.users if user.automated == automated]


def test_a_bot_author_is_skipped(engine: Engine, world: Wired) -> None:
    fake = world.fake
    human, robot = people(fake, automated=False)[0], people(fake, automated=True)[0]
    asked = fake.post_as(human, "@replybot how do python generators work?")
    looped = fake.post_as(robot, "@replybot python python python")
    fetched = world.fetch()
    assert (fetched.queued, fetched.skipped) == (1, {"known_bot": 1})
    found = candidates(engine)
    assert found[looped["id"]] == ("skipped", "known_bot")
    assert found[asked["id"]] == ("queued", None)


def test_a_threadgated_thread_is_skipped(engine: Engine, world: Wired) -> None:
    fake = world.fake
    ann, ben, cat = people(fake, automated=False)[:3]
    closed = fake.post_as(ann, "a python thread only the people I follow may answer")
    fake.gate_thread(closed["id"], [FOLLOWING_RULE])
    gated = fake.post_as(ben, "@replybot what do you think about python here?",
                         in_reply_to=closed["id"])  # fmt: skip
    invited = fake.post_as(cat, "@replybot python question: mentioned people may answer")
    fake.gate_thread(invited["id"], [MENTION_RULE])
    nobody = fake.post_as(ann, "@replybot python, but nobody may reply")
    fake.gate_thread(nobody["id"], [])

    fetched = world.fetch()
    found = candidates(engine)
    assert found[gated["id"]] == ("skipped", "threadgate")
    assert found[nobody["id"]] == ("skipped", "threadgate")
    assert found[invited["id"]] == ("queued", None)  # the gate lets mentioned accounts reply
    assert fetched.skipped == {"threadgate": 2}
    # one getPosts for the three thread roots, not one read per candidate
    assert len(fake.requests(path="/xrpc/app.bsky.feed.getPosts")) == 1


def test_labels_are_reported_applied_then_verified(engine: Engine, fake: FakeBluesky) -> None:
    bot = fake.bot()
    profile = {"$type": "app.bsky.actor.profile", "displayName": "Reply Bot", "description": "hi"}
    fake.set_profile(bot.user.handle, profile)
    actor = Actor(name="test")
    with _wire(engine, fake) as world:
        [account] = [context.account for context in world.contexts.values()]
        assert account is not None
        platforms = world.context().platform_for
        assert platforms is not None
        [missing] = check_labels(engine, world.settings, [account], platforms, actor)
        assert missing.state is LabelState.MISSING
        assert "labels.apply" in missing.detail
        assert fake.store.self_labels(bot.did) == []
    with _wire(engine, fake, labels={"apply": True}) as world:
        account = world.context().account
        platforms = world.context().platform_for
        assert account is not None
        assert platforms is not None
        [applied] = check_labels(engine, world.settings, [account], platforms, actor)
        assert applied.state is LabelState.APPLIED
        [verified] = check_labels(engine, world.settings, [account], platforms, actor)
        assert verified.state is LabelState.VERIFIED
    assert fake.store.self_labels(bot.did) == ["bot"]
    written = fake.store.other(f"at://{bot.did}/app.bsky.actor.profile/self")
    assert written is not None
    assert (written.value["displayName"], written.value["description"]) == ("Reply Bot", "hi")
    assert len(fake.requests(method="POST", path="/xrpc/com.atproto.repo.putRecord")) == 1
    assert label_states(engine)[account.account_id]["state"] == "verified"
