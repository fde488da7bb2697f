"""The audit log behaves the same on every store."""

from __future__ import annotations

from datetime import UTC, datetime

from xbot.domain.audit import NewEvent
from xbot.domain.stores import Store

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def test_appended_events_come_back_newest_first_with_their_fields(store: Store) -> None:
    first = store.events.append(NewEvent(event_type="a_happened", data={"n": 1}, now=T0))
    second = store.events.append(
        NewEvent(
            event_type="b_happened",
            data={"n": [2]},
            now=T0,
            severity="warning",
            component="post",
            worker_id="w1",
        )
    )
    assert second > first
    newest = store.events.recent()
    assert [event.event_type for event in newest] == ["b_happened", "a_happened"]
    assert newest[0].data == {"n": [2]}
    assert (newest[0].severity, newest[0].component, newest[0].worker_id) == (
        "warning",
        "post",
        "w1",
    )
    assert newest[0].created_at == T0


def test_recent_filters_by_type_and_limit(store: Store) -> None:
    for number in range(3):
        store.events.append(NewEvent(event_type="tick", data={"n": number}, now=T0))
    store.events.append(NewEvent(event_type="tock", data={}, now=T0))
    ticks = store.events.recent(event_type="tick", limit=2)
    assert [event.data["n"] for event in ticks] == [2, 1]


def test_an_event_without_a_time_gets_the_stores_clock(store: Store) -> None:
    before = store.now()
    store.events.append(NewEvent(event_type="now_event", data={}))
    (event,) = store.events.recent(event_type="now_event")
    assert before <= event.created_at <= store.now()


def test_url_passwords_in_event_data_are_masked(store: Store) -> None:
    url = "postgresql://xbot:hunter2secret@db.example/xbot"
    store.events.append(NewEvent(event_type="leaky", data={"url": url}, now=T0))
    (event,) = store.events.recent(event_type="leaky")
    assert "hunter2secret" not in str(event.data)
