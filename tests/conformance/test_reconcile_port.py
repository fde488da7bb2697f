"""What reconcile and the ghost scan read and write behaves the same on every store."""

from __future__ import annotations

from dataclasses import replace

from permit_world import LEASE, T0, account, decided_permit, posting_permit
from xbot.domain.audit import NewEvent
from xbot.domain.candidates import CandidateMark, CandidateStatus
from xbot.domain.cost import AccountCharges, Charge, Spend
from xbot.domain.ghosts import GhostScan
from xbot.domain.permit_changes import PermitChange
from xbot.domain.permits import Permit, PermitStatus
from xbot.domain.rate_card import EndpointClass
from xbot.domain.stores import Store


def _unknown(permit: Permit) -> Permit:
    return replace(permit, status=PermitStatus.UNKNOWN, fence=permit.fence + 1,
                   failure_reason="lease_expired", updated_at=T0 + LEASE)  # fmt: skip


def _used(permit: Permit, post_id: str) -> Permit:
    return replace(permit, status=PermitStatus.USED, fence=permit.fence + 1,
                   actual_tweet_id=post_id, used_at=T0, reconciled=True,
                   updated_at=T0 + LEASE)  # fmt: skip


def _event(name: str, permit: Permit) -> NewEvent:
    return NewEvent(event_type=name, data={"permit_id": permit.permit_id}, now=T0,
                    account_id=permit.account_id, component="reconcile")  # fmt: skip


def test_posting_permits_are_past_their_lease_once_it_runs_out(store: Store) -> None:
    account_id = account(store)
    permit = posting_permit(store, account_id)
    assert store.permits.posting_past_lease(account_id, T0 + LEASE / 2) == []
    (stale,) = store.permits.posting_past_lease(account_id, T0 + LEASE)
    assert (stale.permit_id, stale.status, stale.fence, stale.claimed_by) == (
        permit.permit_id, PermitStatus.POSTING, 1, "w0",
    )  # fmt: skip
    assert store.permits.posting_past_lease(account_id + 1, T0 + LEASE) == []


def test_unknown_permits_come_back_with_their_text_and_target(store: Store) -> None:
    account_id = account(store)
    first = posting_permit(store, account_id, "100", "two minutes")
    posting_permit(store, account_id, "101", "still posting")
    assert store.permits.unknown_replies(account_id) == []
    lost = store.permits.settle([PermitChange(before=first, after=_unknown(first))])
    assert lost == set()
    (reply,) = store.permits.unknown_replies(account_id)
    assert (reply.permit.permit_id, reply.permit.status, reply.permit.fence) == (
        first.permit_id, PermitStatus.UNKNOWN, 2,
    )  # fmt: skip
    assert (reply.target_post_id, reply.target_author_handle, reply.reply_text) == (
        "100", "ann100", "two minutes",
    )  # fmt: skip
    assert reply.target_meta == {"summoned": True}


def test_settling_writes_at_the_fence_with_events_and_charges_at_once(store: Store) -> None:
    account_id = account(store)
    permit = posting_permit(store, account_id)
    used = _used(permit, "9001")
    mark = CandidateMark(status=CandidateStatus.REPLIED)
    change = PermitChange(before=permit, after=used, candidate=mark,
                          events=(_event("permit_reconciled", permit),))  # fmt: skip
    read = Charge(endpoint_class=EndpointClass.OWNED_READ, units=3, cost_micro=15_000)
    charges = AccountCharges(account_id=account_id, charges=(read, read), at=T0)
    assert store.permits.settle([change], charges) == set()
    assert store.permits.used_post_ids(account_id, ["9001", "9002"]) == {"9001"}
    assert store.permits.used_post_ids(account_id + 1, ["9001"]) == set()
    assert store.status.permits_by_status() == {"USED": 1}
    (event,) = store.events.recent(event_type="permit_reconciled")
    assert event.data == {"permit_id": permit.permit_id}
    assert store.usage.spend(account_id, T0) == Spend(
        account_day=30_000, account_month=30_000, global_day=30_000, global_month=30_000
    )
    # settled again from the old state: the permit moved on, so nothing of it is written
    assert store.permits.settle([change]) == {permit.permit_id}
    assert len(store.events.recent(event_type="permit_reconciled")) == 1


def test_one_moved_permit_does_not_stop_the_others_in_the_same_settle(store: Store) -> None:
    account_id = account(store)
    first = posting_permit(store, account_id, "100", "one")
    second = posting_permit(store, account_id, "101", "two")
    store.permits.settle([PermitChange(before=first, after=_unknown(first))])
    changes = [
        PermitChange(before=first, after=_used(first, "1"), events=(_event("a", first),)),
        PermitChange(before=second, after=_used(second, "2"), events=(_event("b", second),)),
    ]
    assert store.permits.settle(changes) == {first.permit_id}
    assert [event.event_type for event in store.events.recent()] == ["b"]
    assert store.permits.used_post_ids(account_id, ["1", "2"]) == {"2"}
    assert store.status.permits_by_status() == {"UNKNOWN": 1, "USED": 1}


def test_charges_alone_are_added_to_their_day(store: Store) -> None:
    account_id = account(store)
    other = account(store, "other")
    read = Charge(endpoint_class=EndpointClass.OWNED_READ, units=1, cost_micro=5_000)
    store.permits.settle([], AccountCharges(account_id=account_id, charges=(read,), at=T0))
    store.permits.settle([], AccountCharges(account_id=other, charges=(read,), at=T0))
    assert store.usage.spend(account_id, T0) == Spend(
        account_day=5_000, account_month=5_000, global_day=10_000, global_month=10_000
    )


def test_open_replies_are_the_permits_whose_post_may_be_out(store: Store) -> None:
    account_id = account(store)
    decided_permit(store, account_id, "100", "never claimed")
    posting = posting_permit(store, account_id, "101", "posting")
    unknown = posting_permit(store, account_id, "102", "unknown")
    store.permits.settle([PermitChange(before=unknown, after=_unknown(unknown))])
    retried = posting_permit(store, account_id, "103", "retried")
    again = replace(retried, status=PermitStatus.PENDING, fence=retried.fence + 1,
                    claimed_by=None, lease_until=None)  # fmt: skip
    used = posting_permit(store, account_id, "104", "used")
    store.permits.settle([PermitChange(before=retried, after=again),
                          PermitChange(before=used, after=_used(used, "5"))])  # fmt: skip
    replies = store.permits.open_replies(account_id)
    assert {reply.reply_text: reply.permit.status for reply in replies} == {
        "posting": PermitStatus.POSTING,
        "unknown": PermitStatus.UNKNOWN,
        "retried": PermitStatus.PENDING,
    }
    assert {reply.target_post_id for reply in replies} == {"101", "102", "103"}
    assert posting.permit_id in {reply.permit.permit_id for reply in replies}
    assert store.permits.open_replies(account_id + 1) == []


def test_decision_texts_are_every_text_decided_since(store: Store) -> None:
    account_id = account(store)
    decided_permit(store, account_id, "100", "one")
    decided_permit(store, account_id, "101", "two")
    assert sorted(store.ghosts.decision_texts(account_id, T0)) == ["one", "two"]
    assert store.ghosts.decision_texts(account_id, T0 + LEASE) == []
    assert store.ghosts.decision_texts(account_id + 1, T0) == []


def test_a_scan_is_recorded_with_the_charges_of_its_read(store: Store) -> None:
    account_id = account(store)
    scan = GhostScan(account_id=account_id, scanned=2, ghosts=0, watermark="9", worker_id="w1",
                     at=T0)  # fmt: skip
    done = NewEvent(event_type="ghost_scan_completed", data={"scanned": 2}, now=T0)
    read = Charge(endpoint_class=EndpointClass.OWNED_READ, units=2, cost_micro=10_000)
    store.ghosts.record_scan(scan, done, AccountCharges(account_id=account_id, charges=(read,),
                                                        at=T0))  # fmt: skip
    assert store.ghosts.watermark(account_id)[0] == "9"
    assert store.usage.spend(account_id, T0).account_day == 10_000
    store.ghosts.record_scan(scan, done)
    assert store.usage.spend(account_id, T0).account_day == 10_000
