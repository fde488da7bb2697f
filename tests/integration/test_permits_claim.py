"""Permit queries on SQLite and PostgreSQL: the claim, its gates, fenced writes, budget counts."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest
from sqlalchemy import Engine

from posting_rows import (
    T0,
    add_account,
    add_permit,
    candidate_status,
    declare_deployment,
    load_permit,
    set_kill_switch,
    set_permit,
)
from xbot.domain.candidates import CandidateStatus
from xbot.domain.errors import LeaseLost
from xbot.domain.permits import Accepted, Permit, PermitStatus, transition
from xbot.store.queries import permits as queries
from xbot.store.queries.events import append_event

LEASE = T0 + timedelta(seconds=60)


def claim(engine: Engine, account_id: int, worker: str = "w1", now=T0) -> Permit | None:
    with engine.begin() as connection:
        gates = queries.read_claim_gates(connection)
        return queries.claim_permit(
            connection,
            account_id=account_id,
            worker_id=worker,
            git_sha="abc",
            now=now,
            lease_until=now + timedelta(seconds=60),
            gates=gates,
        )


def test_claim_takes_the_oldest_claimable_permit(engine: Engine) -> None:
    account_id = add_account(engine)
    add_permit(engine, account_id, now=T0 - timedelta(minutes=9), not_before=T0 + timedelta(1))
    add_permit(engine, account_id, now=T0 - timedelta(minutes=8), expires_in=timedelta(minutes=1))
    oldest = add_permit(engine, account_id, now=T0 - timedelta(minutes=7))
    add_permit(engine, account_id, now=T0 - timedelta(minutes=6))
    other_account = add_account(engine, handle="other")
    add_permit(engine, other_account, now=T0 - timedelta(minutes=10))
    claimed = claim(engine, account_id)
    assert claimed is not None
    assert claimed.permit_id == oldest.permit_id
    assert claimed.status is PermitStatus.POSTING
    assert (claimed.claimed_by, claimed.claimed_sha, claimed.lease_until) == ("w1", "abc", LEASE)
    assert (claimed.fence, claimed.attempts, claimed.updated_at) == (1, 1, T0)
    assert load_permit(engine, oldest.permit_id) == claimed


def test_claim_bumps_fence_and_attempts_and_counts_from_now(engine: Engine) -> None:
    account_id = add_account(engine)
    rows = add_permit(engine, account_id, fence=3, attempts=1, failure_reason="transient: 503")
    before = load_permit(engine, rows.permit_id)
    claimed = claim(engine, account_id)
    assert claimed == replace(
        before,
        status=PermitStatus.POSTING,
        claimed_by="w1",
        claimed_sha="abc",
        lease_until=LEASE,
        fence=4,
        attempts=2,
        updated_at=T0,
        claimed_at=T0,
    )
    assert isinstance(transition(claimed, Accepted(post_id="77"), T0), Permit)


@pytest.mark.parametrize(
    "status", [status for status in PermitStatus if status is not PermitStatus.PENDING]
)
def test_claim_takes_only_a_pending_permit(engine: Engine, status: PermitStatus) -> None:
    account_id = add_account(engine)
    add_permit(engine, account_id, status=status.value, lease_until=T0 - timedelta(seconds=1))
    assert claim(engine, account_id) is None


@pytest.mark.parametrize(
    ("columns", "claimable"),
    [
        ({"not_before": T0 + timedelta(seconds=1)}, False),
        ({"not_before": T0}, True),
        ({"expires_in": timedelta(0)}, False),
        ({"expires_in": timedelta(seconds=-1)}, False),
        ({"expires_in": None, "not_before": None}, True),
    ],
)
def test_claim_waits_for_the_backoff_and_stops_at_expiry(
    engine: Engine, columns: dict[str, object], claimable: bool
) -> None:
    account_id = add_account(engine)
    add_permit(engine, account_id, **columns)
    with engine.connect() as connection:
        found = queries.next_claimable_permit_id(connection, account_id, T0)
    assert (found is not None) is claimable
    assert (claim(engine, account_id) is not None) is claimable


def test_claim_returns_none_when_nothing_is_claimable(engine: Engine) -> None:
    account_id = add_account(engine)
    add_permit(engine, account_id, status="UNKNOWN")
    add_permit(engine, account_id, not_before=T0 + timedelta(seconds=1))
    assert claim(engine, account_id) is None
    with engine.connect() as connection:
        assert queries.next_claimable_permit_id(connection, account_id, T0) is None


def test_each_permit_is_claimed_once(engine: Engine) -> None:
    account_id = add_account(engine)
    ids = {add_permit(engine, account_id).permit_id for _ in range(3)}
    claimed = [claim(engine, account_id, worker=f"w{n}") for n in range(4)]
    assert {permit.permit_id for permit in claimed if permit} == ids
    assert claimed[-1] is None


def test_a_write_at_an_old_fence_is_refused(engine: Engine) -> None:
    account_id = add_account(engine)
    add_permit(engine, account_id)
    held = claim(engine, account_id)
    assert held is not None
    used = transition(held, Accepted(post_id="77"), T0)
    assert isinstance(used, Permit)
    set_permit(engine, held.permit_id, fence=held.fence + 1)  # someone took it over
    with engine.begin() as connection, pytest.raises(LeaseLost):
        queries.write_transition(connection, held, used)
    set_permit(engine, held.permit_id, fence=held.fence)
    with engine.begin() as connection:
        queries.write_transition(connection, held, used)
    assert load_permit(engine, held.permit_id) == used


def test_a_write_from_the_wrong_status_is_refused(engine: Engine) -> None:
    account_id = add_account(engine)
    add_permit(engine, account_id)
    held = claim(engine, account_id)
    assert held is not None
    set_permit(engine, held.permit_id, status="UNKNOWN")
    used = transition(held, Accepted(post_id="77"), T0)
    assert isinstance(used, Permit)
    with engine.begin() as connection, pytest.raises(LeaseLost):
        queries.write_transition(connection, held, used)


def test_gates_read_the_declared_deployment_and_the_kill_switch(engine: Engine) -> None:
    with engine.connect() as connection:
        empty = queries.read_claim_gates(connection)
    assert (empty.declared_sha, empty.deployments_seen, empty.kill_switch.on) == (None, 0, False)
    declare_deployment(engine, "old", now=T0 - timedelta(hours=1))
    declare_deployment(engine, "new", now=T0)
    set_kill_switch(engine, on=True, drain=True)
    with engine.connect() as connection:
        gates = queries.read_claim_gates(connection)
    assert gates.declared_sha == "new"
    assert gates.deployments_seen == 2
    assert (gates.kill_switch.on, gates.kill_switch.drain) == (True, True)
    assert gates.kill_switch_seen == T0


@pytest.mark.parametrize("change", ["deploy", "kill_switch"])
def test_a_gate_changed_after_it_was_read_makes_the_claim_take_nothing(
    engine: Engine, change: str
) -> None:
    account_id = add_account(engine)
    rows = add_permit(engine, account_id)
    set_kill_switch(engine, on=False, now=T0 - timedelta(minutes=1))
    with engine.connect() as connection:
        gates = queries.read_claim_gates(connection)
        connection.rollback()
    if change == "deploy":
        declare_deployment(engine, "newer")
    else:
        set_kill_switch(engine, on=True)
    with engine.begin() as connection:
        claimed = queries.claim_permit(
            connection,
            account_id=account_id,
            worker_id="w1",
            git_sha="abc",
            now=T0,
            lease_until=LEASE,
            gates=gates,
        )
    assert claimed is None
    assert load_permit(engine, rows.permit_id).status is PermitStatus.PENDING


def test_posting_times_count_permits_that_may_have_posted(engine: Engine) -> None:
    account_id = add_account(engine)
    hour, day = timedelta(hours=1), timedelta(days=1)
    add_permit(engine, account_id, status="USED", used_at=T0 - hour / 2, actual_tweet_id="1")
    add_permit(engine, account_id, status="USED", used_at=T0 - hour * 5, actual_tweet_id="2")
    add_permit(engine, account_id, status="USED", used_at=T0 - day * 2, actual_tweet_id="3")
    add_permit(engine, account_id, status="POSTING", updated_at=T0 - hour / 4)
    add_permit(engine, account_id, status="UNKNOWN", updated_at=T0 - hour * 3)
    add_permit(engine, account_id, status="FAILED", updated_at=T0)
    add_permit(engine, account_id)
    add_permit(
        engine, add_account(engine, handle="b"), status="USED", used_at=T0, actual_tweet_id="4"
    )
    with engine.connect() as connection:
        times = queries.posting_times(connection, account_id, T0 - day)
    assert sorted(times) == [T0 - hour * 5, T0 - hour * 3, T0 - hour / 2, T0 - hour / 4]


def test_reads_for_expiry_leases_and_reconciliation(engine: Engine) -> None:
    account_id = add_account(engine)
    stale = add_permit(engine, account_id, expires_in=timedelta(seconds=0))
    lapsed = add_permit(engine, account_id, status="POSTING", lease_until=T0)
    live = add_permit(engine, account_id, status="POSTING", lease_until=T0 + timedelta(1))
    unknown = add_permit(engine, account_id, status="UNKNOWN", attempts=1)
    with engine.connect() as connection:
        expired = queries.expired_pending_permits(connection, account_id, T0)
        past_lease = queries.posting_past_lease(connection, account_id, T0)
        to_reconcile = queries.unknown_replies(connection, account_id)
        pending = queries.pending_permits(connection, account_id)
    assert [permit.permit_id for permit in expired] == [stale.permit_id]
    assert [permit.permit_id for permit in past_lease] == [lapsed.permit_id]
    assert live.permit_id not in {permit.permit_id for permit in past_lease}
    [reply] = to_reconcile
    assert reply.permit.permit_id == unknown.permit_id
    assert (reply.target_post_id, reply.reply_text) == (unknown.target_post_id, unknown.text)
    assert reply.target_author_handle == "ann"
    assert [permit.permit_id for permit in pending] == [stale.permit_id]


def test_recently_blocked_finds_the_permit_in_event_data(engine: Engine) -> None:
    with engine.begin() as connection:
        append_event(connection, "posting_blocked_budget", {"permit_id": "pmt_a"}, now=T0)
    with engine.connect() as connection:
        assert queries.recently_blocked(connection, "posting_blocked_budget", "pmt_a", T0)
        assert not queries.recently_blocked(connection, "posting_blocked_budget", "pmt_b", T0)
        later = T0 + timedelta(seconds=1)
        assert not queries.recently_blocked(connection, "posting_blocked_budget", "pmt_a", later)


def test_mark_candidate_follows_the_decision(engine: Engine) -> None:
    account_id = add_account(engine)
    rows = add_permit(engine, account_id)
    with engine.begin() as connection:
        queries.mark_candidate(
            connection, rows.decision_id, CandidateStatus.SKIPPED, "permit_failed"
        )
    assert candidate_status(engine, rows.candidate_id) == "skipped"


def test_claim_locks_are_per_account_and_free_on_sqlite(engine: Engine) -> None:
    with engine.begin() as connection:
        queries.lock_account_for_claims(connection, 1)
        queries.lock_account_for_claims(connection, 2**40)  # large ids wrap into the key
