"""The fake Bluesky as a PDS: listRecords, and a PDS with no AppView configured."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from test_bluesky_fake import POST, START, Raw, error_of

from xbot.sim.bluesky.fake import FakeBluesky
from xbot.sim.bluesky.ids import tid_at
from xbot.sim.bluesky.settings import BlueskyFakeSettings
from xbot.sim.core.clock import SimClock
from xbot.sim.core.world import build_world

LIST = "com.atproto.repo.listRecords"


@pytest.fixture
def fake() -> FakeBluesky:
    settings = BlueskyFakeSettings(
        notification_delay_seconds=0, view_delay_seconds=0, history_posts_per_bot=0
    )
    return FakeBluesky(build_world(5), clock=SimClock(start=START, speed=0), settings=settings)


@pytest.fixture
def raw(fake: FakeBluesky) -> Iterator[Raw]:
    client = Raw(fake)
    yield client
    client.close()


def rkeys(answer: dict[str, object]) -> list[str]:
    records = answer["records"]
    assert isinstance(records, list)
    return [str(record["uri"]).rsplit("/", 1)[1] for record in records]


def test_list_records_pages_by_record_key_newest_first(raw: Raw, fake: FakeBluesky) -> None:
    made = []
    for n in range(5):
        made.append(fake.ghost(f"note {n}"))
        fake.advance(1)
    did = fake.bot().did
    first = raw.get(LIST, repo=did, collection=POST, limit=2)
    assert first.status_code == 200
    body = first.json()
    assert set(body) == {"records", "cursor"}
    assert body["records"][0] == {
        "uri": made[4]["id"],
        "cid": made[4]["cid"],
        "value": fake.store.get(made[4]["id"]).value,  # type: ignore[union-attr]
    }
    assert rkeys(body) == [made[4]["rkey"], made[3]["rkey"]]
    assert body["cursor"] == made[3]["rkey"]
    second = raw.get(LIST, repo=did, collection=POST, limit=2, cursor=body["cursor"]).json()
    third = raw.get(LIST, repo=did, collection=POST, limit=2, cursor=second["cursor"]).json()
    assert rkeys(second) + rkeys(third) == [made[2]["rkey"], made[1]["rkey"], made[0]["rkey"]]
    last = raw.get(LIST, repo=did, collection=POST, limit=2, cursor=third["cursor"]).json()
    assert last == {"records": []}


def test_list_records_in_reverse_and_by_handle(raw: Raw, fake: FakeBluesky) -> None:
    made = [fake.ghost(f"note {n}") for n in range(3)]
    handle = fake.bot_handle()
    body = raw.get(LIST, repo=handle, collection=POST, reverse="true", limit=2).json()
    assert rkeys(body) == [made[0]["rkey"], made[1]["rkey"]]
    rest = raw.get(LIST, repo=handle, collection=POST, reverse="true", cursor=body["cursor"])
    assert rkeys(rest.json()) == [made[2]["rkey"]]


def test_list_records_leaves_out_deleted_records_and_other_accounts(
    raw: Raw, fake: FakeBluesky
) -> None:
    kept = fake.ghost("kept")
    gone = fake.ghost("gone")
    fake.store.delete(gone["id"])
    fake.post_as(next(u.handle for u in fake.world.users if not u.is_bot_account), "hi")
    body = raw.get(LIST, repo=fake.bot().did, collection=POST).json()
    assert [record["uri"] for record in body["records"]] == [kept["id"]]
    other = raw.get(LIST, repo=fake.bot().did, collection="app.bsky.feed.like").json()
    assert other == {"records": []}


def test_list_records_orders_by_key_not_time(raw: Raw, fake: FakeBluesky) -> None:
    raw.login()
    old_key = tid_at(START.replace(year=2024), 3)
    assert raw.create("written now, keyed in 2024", rkey=old_key).status_code == 200
    fake.advance(5)
    newer = fake.ghost("a fresh TID")
    assert rkeys(raw.get(LIST, repo=fake.bot().did, collection=POST).json()) == [
        newer["rkey"],
        old_key,
    ]


@pytest.mark.parametrize(
    ("params", "error"),
    [
        ({"collection": POST}, 'Error: Params must have the property "repo"'),
        ({"repo": "nobody.example", "collection": POST}, "Could not find repo: nobody.example"),
        (
            {"repo": "replybot", "collection": POST, "limit": "0"},
            "Error: limit must be between 1 and 100",
        ),
        (
            {"repo": "replybot", "collection": POST, "reverse": "maybe"},
            "Error: reverse must be a boolean",
        ),
    ],
)
def test_list_records_refuses_bad_parameters(raw: Raw, params: dict[str, str], error: str) -> None:
    answer = raw.get(LIST, **params)
    assert error_of(answer) == (400, "InvalidRequest")
    assert answer.json()["message"] == error


@pytest.mark.parametrize(
    "nsid",
    [
        "app.bsky.feed.getAuthorFeed",
        "app.bsky.notification.listNotifications",
        "app.bsky.feed.searchPosts",
        "app.bsky.unspecced.getConfig",
    ],
)
def test_a_pds_without_an_appview_refuses_every_app_bsky_call(
    raw: Raw, fake: FakeBluesky, nsid: str
) -> None:
    raw.login()
    fake.configure(appview=False)
    answer = raw.get(nsid, actor=fake.bot().did)
    assert answer.status_code == 400
    assert answer.json() == {
        "error": "InvalidRequest",
        "message": f"No service configured for {nsid}",
    }


def test_a_pds_without_an_appview_still_serves_sessions_and_the_repository(
    raw: Raw, fake: FakeBluesky
) -> None:
    assert raw.http.post("/_sim/settings", json={"appview": False}).json()["appview"] is False
    raw.login()
    created = raw.create("still works")
    assert created.status_code == 200
    rkey = created.json()["uri"].rsplit("/", 1)[1]
    did = fake.bot().did
    assert raw.get("com.atproto.repo.getRecord", repo=did, collection=POST, rkey=rkey).is_success
    assert rkeys(raw.get(LIST, repo=did, collection=POST).json()) == [rkey]
    fake.configure(appview=True)
    assert raw.get("app.bsky.feed.getAuthorFeed", actor=did).status_code == 200


def test_the_plc_directory_publishes_each_accounts_did_document(
    raw: Raw, fake: FakeBluesky
) -> None:
    did = fake.bot().did
    document = raw.http.get(f"/plc/{did}").json()
    assert document["id"] == did
    assert document["alsoKnownAs"] == [f"at://{fake.bot_handle()}"]
    assert document["service"] == [
        {
            "id": "#atproto_pds",
            "type": "AtprotoPersonalDataServer",
            "serviceEndpoint": "http://bsky.sim",
        }
    ]
    fake.configure(pds_endpoint="https://pds.example.org")
    pds = raw.http.get(f"/plc/{did}").json()["service"][0]["serviceEndpoint"]
    assert pds == "https://pds.example.org"
    missing = raw.http.get("/plc/did:plc:aaaaaaaaaaaaaaaaaaaaaaaa")
    assert missing.status_code == 404
    assert missing.json() == {"message": "DID not registered: did:plc:aaaaaaaaaaaaaaaaaaaaaaaa"}
    assert raw.http.get(f"/plc/{fake.bot_handle()}").status_code == 404
