"""The claim's one-statement read on SQLite and PostgreSQL agrees with the domain's own rules."""

from __future__ import annotations

import random
from datetime import timedelta

import pytest
from sqlalchemy import Connection, Engine, insert

from posting_rows import T0, add_account, add_permit, set_kill_switch
from xbot.domain.budgets import BudgetRules, budget_usage, usage_refusal
from xbot.domain.claiming import ClaimGates, ClaimRead, ClaimRequest
from xbot.domain.claims import KillSwitch
from xbot.domain.permits import PermitStatus
from xbot.store.queries import claims, permits
from xbot.store.tables import ghost_tweets

COUNTED = ("USED", "POSTING", "UNKNOWN")
OTHER = ("FAILED", "EXPIRED")


def _read(connection: Connection, account_id: int, rules: BudgetRules, *, drain: bool) -> ClaimRead:
    switch = KillSwitch(on=drain, drain=drain)
    gates = ClaimGates(
        declared_sha=None, deployments_seen=0, kill_switch=switch, kill_switch_seen=None
    )
    request = ClaimRequest(
        account_id=account_id, worker_id="worker-1", git_sha="abc123", now=T0,
        lease=timedelta(minutes=1), rules=rules,
    )  # fmt: skip
    return claims.read_claim(connection, request, gates)


def _history(engine: Engine, account_id: int, seed: int) -> None:
    rng = random.Random(seed)
    for number in range(rng.randint(0, 14)):
        status = rng.choice(COUNTED + OTHER)
        claimed = T0 - timedelta(minutes=rng.randint(-5, 26 * 60))
        extra = {"actual_tweet_id": str(number)} if status == "USED" else {}
        add_permit(engine, account_id, status=status, claimed_at=claimed, **extra)
    add_permit(engine, account_id, now=T0 - timedelta(minutes=1))


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize(
    ("per_hour", "per_day", "gap"), [(3, 8, 60), (1, 2, 3600), (0, 5, 0), (50, 100, 600)]
)
def test_budget_usage_counted_in_sql_is_the_domains(
    engine: Engine, seed: int, per_hour: int, per_day: int, gap: int
) -> None:
    account_id = add_account(engine)
    _history(engine, account_id, seed)
    add_permit(engine, add_account(engine, handle="other"), status="USED", claimed_at=T0)
    rules = BudgetRules(per_hour=per_hour, per_day=per_day, min_gap=timedelta(seconds=gap))
    with engine.begin() as connection:
        read = _read(connection, account_id, rules, drain=False)
        times = permits.posting_times(connection, account_id, T0 - timedelta(days=1))
    expected = budget_usage(times, rules, now=T0)
    assert read.usage == expected
    assert read.posts_in_day == len(times)
    assert usage_refusal(read.usage, rules, now=T0) == usage_refusal(expected, rules, now=T0)


def test_the_read_splits_stale_permits_from_the_next_claimable(engine: Engine) -> None:
    account_id = add_account(engine)
    expired = add_permit(engine, account_id, now=T0 - timedelta(hours=2))
    deferred = add_permit(
        engine, account_id, now=T0 - timedelta(minutes=9), not_before=T0 + timedelta(hours=2)
    )
    oldest = add_permit(engine, account_id, now=T0 - timedelta(minutes=8))
    add_permit(engine, account_id, now=T0 - timedelta(minutes=7))
    add_permit(engine, account_id, now=T0 - timedelta(minutes=6), not_before=T0 + timedelta(0, 60))
    with engine.begin() as connection:
        read = _read(connection, account_id, BudgetRules(), drain=False)
    assert [permit.permit_id for permit in read.stale] == [expired.permit_id, deferred.permit_id]
    assert read.claimable is not None
    assert read.claimable.permit.permit_id == oldest.permit_id
    assert (read.claimable.target_post_id, read.claimable.reply_text) == (
        oldest.target_post_id,
        oldest.text,
    )
    assert read.answered_by is None


def test_a_drain_reads_every_pending_permit_as_stale(engine: Engine) -> None:
    account_id = add_account(engine)
    rows = [add_permit(engine, account_id, now=T0 - timedelta(minutes=m)) for m in (3, 2)]
    add_permit(engine, account_id, status=PermitStatus.USED.value, actual_tweet_id="9")
    with engine.begin() as connection:
        read = _read(connection, account_id, BudgetRules(), drain=True)
    assert [permit.permit_id for permit in read.stale] == [row.permit_id for row in rows]
    assert (read.claimable, read.usage) == (None, None)


def test_the_read_names_the_oldest_ghost_answering_the_target_but_not_our_own_post(
    engine: Engine,
) -> None:
    account_id = add_account(engine)
    rows = add_permit(engine, account_id)
    add_permit(engine, account_id, status="USED", actual_tweet_id="ours")
    with engine.begin() as connection:
        for tweet_id in ("ours", "g1", "g2"):
            connection.execute(
                insert(ghost_tweets).values(
                    account_id=account_id,
                    tweet_id=tweet_id,
                    in_reply_to=rows.target_post_id,
                    classification="ghost",
                    detected_at=T0,
                )
            )
        read = _read(connection, account_id, BudgetRules(), drain=False)
    assert read.answered_by == "g1"


def test_lock_and_read_gates_reads_what_read_claim_gates_reads(engine: Engine) -> None:
    set_kill_switch(engine, on=True)
    with engine.begin() as connection:
        locked = claims.lock_and_read_gates(connection, 7)
        assert locked == permits.read_claim_gates(connection)
    assert locked.kill_switch.on
    assert locked.kill_switch_seen == T0
