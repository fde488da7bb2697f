"""Permits seeded through the port alone, so every store starts from the same state."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from xbot.config import AccountSettings
from xbot.domain.audit import NewEvent
from xbot.domain.candidates import CandidateStatus, NewCandidate
from xbot.domain.decisions import Decided, NewDecision
from xbot.domain.permits import Permit, PermitStatus
from xbot.domain.stores import Store

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
TTL = timedelta(minutes=30)
LEASE = timedelta(minutes=1)


def account(store: Store, handle: str = "bot") -> int:
    """Add one X account and return its id."""
    (record,) = store.accounts.sync([AccountSettings(platform="x", handle=handle)])
    return record.account_id


def _no_events(_decided: Decided) -> list[NewEvent]:
    return []


def decided_permit(store: Store, account_id: int, target: str, text: str) -> Permit:
    """Queue a candidate for `target`, decide `text` for it and return its permit as stored.

    The decision asks for review with a deadline at T0, so the port can read the permit back.
    """
    found = NewCandidate(
        account_id=account_id, candidate_post_id=target, author_id=f"a{target}",
        author_handle=f"ann{target}", text="tea?", posted_at=T0, conversation_id=None,
        in_reply_to_post_id=None, summoned=True, target_meta={"summoned": True}, created_at=T0,
        status=CandidateStatus.QUEUED, score=1.0, expires_at=T0 + TTL,
    )  # fmt: skip
    store.candidates.add(account_id, [found], keep=100, watermark=None)
    (waiting,) = [row for row in store.candidates.queued(account_id, T0)
                  if row.candidate_post_id == target]  # fmt: skip
    decision = NewDecision(
        account_id=account_id, candidate_id=waiting.candidate_id, target_post_id=target,
        reply_text=text, generator="bank", generator_meta={}, permit_expires_at=T0 + TTL,
        review_deadline=T0,
    )  # fmt: skip
    decided = store.decisions.decide(decision, T0, _no_events)
    assert decided is not None
    (permit,) = [permit for permit in store.permits.past_review_deadline(account_id, T0)
                 if permit.permit_id == decided.permit_id]  # fmt: skip
    return permit


def posting_permit(
    store: Store, account_id: int, target: str = "100", text: str = "two minutes"
) -> Permit:
    """Return a permit claimed by worker `w0` at T0 with a one-minute lease, as stored."""
    permit = decided_permit(store, account_id, target, text)
    claimed = replace(
        permit, status=PermitStatus.POSTING, fence=permit.fence + 1,
        attempts=permit.attempts + 1, claimed_by="w0", claimed_sha="abc1234",
        lease_until=T0 + LEASE, claimed_at=T0, updated_at=T0,
    )  # fmt: skip
    store.permits.transition(permit, claimed, None, [])
    return claimed


def unknown_permit(
    store: Store,
    account_id: int,
    target: str = "100",
    text: str = "two minutes",
    *,
    attempts: int = 1,
) -> Permit:
    """Return a permit whose publish went unanswered at T0 (UNKNOWN after `attempts` claims)."""
    claimed = posting_permit(store, account_id, target, text)
    unknown = replace(claimed, status=PermitStatus.UNKNOWN, fence=claimed.fence + 1,
                      attempts=attempts, failure_reason="ambiguous: timeout",
                      lease_until=None, updated_at=T0)  # fmt: skip
    store.permits.transition(claimed, unknown, None, [])
    return unknown
