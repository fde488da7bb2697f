"""A claim reserves its reply's price against the cost caps, on every store (issue 15).

The caps count what claims not yet recorded reserved (POSTING permits), so claims of different
accounts made at the same moment cannot together pass a global cap; the reservation ends with
the outcome: a posted reply's charge replaces it, a reply not sent releases it.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

from xbot.config import AccountSettings
from xbot.domain.audit import NewEvent
from xbot.domain.budgets import BudgetRules
from xbot.domain.candidates import CandidateStatus, NewCandidate
from xbot.domain.claiming import ClaimPlan, ClaimRead, ClaimRequest, ClaimResult, Take
from xbot.domain.cost import Charge, CostCaps, cap_block
from xbot.domain.decisions import Decided, NewDecision
from xbot.domain.permits import Accepted, NotSent, Permit, PermitReply, transition
from xbot.domain.rate_card import EndpointClass
from xbot.domain.stores import Store

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
TTL = timedelta(minutes=30)
PRICE = 10_000  # a summoned reply on X, in micro-dollars (platform-facts §5.1)


def _account(store: Store, handle: str) -> int:
    enabled = store.accounts.sync([AccountSettings(platform="x", handle=handle)])
    return next(row.account_id for row in enabled if row.handle == handle)


def _no_events(_decided: Decided) -> list[NewEvent]:
    return []


def _permit(store: Store, account_id: int, post_id: str) -> None:
    found = NewCandidate(
        account_id=account_id, candidate_post_id=post_id, author_id="a" + post_id,
        author_handle="ann", text="tea?", posted_at=T0, conversation_id=None,
        in_reply_to_post_id=None, summoned=True, target_meta={"summoned": True}, created_at=T0,
        status=CandidateStatus.QUEUED, score=1.0, expires_at=T0 + TTL,
    )  # fmt: skip
    store.candidates.add(account_id, [found], keep=100, watermark=None)
    (waiting,) = [
        c for c in store.candidates.queued(account_id, T0) if c.candidate_post_id == post_id
    ]
    decision = NewDecision(
        account_id=account_id, candidate_id=waiting.candidate_id, target_post_id=post_id,
        reply_text=f"reply to {post_id}", generator="bank", generator_meta={},
        permit_expires_at=T0 + TTL,
    )  # fmt: skip
    assert store.decisions.decide(decision, T0, _no_events) is not None


def _request(account_id: int) -> ClaimRequest:
    return ClaimRequest(
        account_id=account_id, worker_id=f"w{account_id}", git_sha="abc", now=T0,
        lease=timedelta(minutes=1), rules=BudgetRules(), global_caps=True,
    )  # fmt: skip


def _take(read: ClaimRead) -> ClaimPlan:
    if read.claimable is None:
        return ClaimPlan()
    data = {"permit_id": read.claimable.permit.permit_id}
    event = NewEvent(event_type="permit_claimed", data=data, now=T0, account_id=None)
    return ClaimPlan(step=Take(event=event, reserve_micro=PRICE))


def _read(store: Store, account_id: int) -> ClaimRead:
    return store.permits.claim_next(_request(account_id), lambda _read: ClaimPlan()).read


def _claimed(result: ClaimResult) -> PermitReply:
    assert result.claimed is not None
    return result.claimed


def _record(store: Store, claimed: Permit, outcome: Accepted | NotSent) -> None:
    after = transition(claimed, outcome, T0)
    assert isinstance(after, Permit)
    event = NewEvent(event_type="outcome", data={}, now=T0, account_id=claimed.account_id)
    posted = isinstance(outcome, Accepted)
    charge = Charge(endpoint_class=EndpointClass.SUMMONED_REPLY, cost_micro=PRICE)
    store.permits.record(claimed, after, None, event, [charge] if posted else [])


def test_a_claim_reserves_its_price_until_its_outcome_is_recorded(store: Store) -> None:
    first, second = _account(store, "first"), _account(store, "second")
    for post_id in ("100", "101", "102"):
        _permit(store, first, post_id)
    _permit(store, second, "200")
    posted = _claimed(store.permits.claim_next(_request(first), _take)).permit
    mine, theirs = _read(store, first).spend, _read(store, second).spend
    assert (mine.account_reserved, mine.global_reserved) == (PRICE, PRICE)
    assert (theirs.account_reserved, theirs.global_reserved) == (0, PRICE)
    assert theirs.global_day == 0  # reserved, not spent
    _record(store, posted, Accepted(post_id="900"))
    after_post = _read(store, second).spend
    assert (after_post.global_reserved, after_post.global_day) == (0, PRICE)
    refused = _claimed(store.permits.claim_next(_request(first), _take)).permit
    assert _read(store, second).spend.global_reserved == PRICE
    _record(store, refused, NotSent(reason="429", retry_at=T0, needs_operator=False))
    after_refusal = _read(store, second).spend
    assert (after_refusal.global_reserved, after_refusal.global_day) == (0, PRICE)


def test_concurrent_claims_of_different_accounts_stop_exactly_at_the_global_cap(
    store: Store,
) -> None:
    accounts = [_account(store, f"bot{number}") for number in range(6)]
    for account_id in accounts:
        _permit(store, account_id, f"{account_id}00")
    observer = _account(store, "observer")
    _permit(store, observer, "999")
    caps = CostCaps(global_daily=3 * PRICE)
    start = threading.Barrier(len(accounts))
    claimed: list[int] = []

    def take_under_cap(read: ClaimRead) -> ClaimPlan:
        # every claim has read its spend before any writes: the race a lock must close
        threading.Event().wait(0.1)
        if cap_block(read.spend, caps, next_cost=PRICE, now=T0) is not None:
            return ClaimPlan()
        return _take(read)

    def worker(account_id: int) -> None:
        start.wait()
        result = store.permits.claim_next(_request(account_id), take_under_cap)
        if result.claimed is not None:
            claimed.append(account_id)

    threads = [threading.Thread(target=worker, args=(account_id,)) for account_id in accounts]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(claimed) == 3
    assert _read(store, observer).spend.global_reserved == 3 * PRICE
