"""The posting tests' world on the in-memory store: an account, permits, switches, a JobContext.

The twin of posting_rows.py for job unit tests that need no database file: rows go in through
the store port (accounts, candidates, decisions), and a permit's state is staged directly in the
twin's tables when a test needs one the pipeline would take a while to reach.
"""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import timedelta
from typing import Any

from posting_rows import T0, PermitRows
from xbot.config import AccountSettings, BudgetSettings, Settings
from xbot.domain.audit import NewEvent
from xbot.domain.candidates import CandidateStatus, NewCandidate
from xbot.domain.claims import KillSwitch
from xbot.domain.decisions import Decided, NewDecision
from xbot.domain.permits import Permit, PermitStatus
from xbot.domain.ports import Platform
from xbot.jobs.base import Account, JobContext, WorkerIdentity
from xbot.store.memory import MemoryStore

__all__ = ["T0", "PermitRows"]


def make_store() -> MemoryStore:
    """Return an empty in-memory store whose clock reads T0."""
    return MemoryStore(clock=lambda: T0)


def add_account(store: MemoryStore, handle: str = "bot") -> int:
    """Add an X account; return its id."""
    enabled = store.accounts.sync([AccountSettings(platform="x", handle=handle)])
    return next(row.account_id for row in enabled if row.handle == handle)


def _no_events(_decided: Decided) -> list[NewEvent]:
    return []


def add_permit(
    store: MemoryStore,
    account_id: int,
    *,
    now: Any = T0,
    expires_in: timedelta = timedelta(hours=1),
    text: str | None = None,
    **fields: Any,
) -> PermitRows:
    """Add a candidate, its decision and a PENDING permit (unless `fields` say else)."""
    target = str(uuid.uuid4().int % 10**18)
    text = text or f"Thanks for asking! ({target})"
    found = NewCandidate(
        account_id=account_id, candidate_post_id=target, author_id="42", author_handle="ann",
        text="@bot what is this?", posted_at=now, conversation_id=None, in_reply_to_post_id=None,
        summoned=True, target_meta={}, created_at=now, status=CandidateStatus.QUEUED, score=0.9,
        expires_at=now + timedelta(hours=1),
    )  # fmt: skip
    store.candidates.add(account_id, [found], keep=10_000, watermark=None)
    candidate_id = max(store.tables.candidates)
    decision = NewDecision(
        account_id=account_id, candidate_id=candidate_id, target_post_id=target, reply_text=text,
        generator="bank", generator_meta={}, permit_expires_at=now + expires_in,
    )  # fmt: skip
    decided = store.decisions.decide(decision, now, _no_events)
    if decided is None:
        raise AssertionError("the decision was not written")
    if fields:
        set_permit(store, decided.permit_id, **fields)
    return PermitRows(candidate_id=candidate_id, decision_id=decided.decision_id,
                      permit_id=decided.permit_id, target_post_id=target, text=text)  # fmt: skip


def load_permit(store: MemoryStore, permit_id: str) -> Permit:
    """Return the permit as stored."""
    return store.tables.permits[permit_id]


def set_permit(store: MemoryStore, permit_id: str, **fields: Any) -> None:
    """Overwrite fields of a permit (to stage a state the jobs must handle)."""
    if isinstance(fields.get("status"), str):
        fields["status"] = PermitStatus(fields["status"])
    with store.tables.transaction() as tables:
        tables.permits[permit_id] = replace(tables.permits[permit_id], **fields)


def candidate_status(store: MemoryStore, candidate_id: int) -> str:
    """Return a candidate's status."""
    return store.tables.candidates[candidate_id].status.value


def events(store: MemoryStore, event_type: str | None = None) -> list[dict[str, Any]]:
    """Return events (oldest first) as dicts with their data merged in, optionally of one type."""
    return [
        {
            **event.data,
            "event_type": event.event_type,
            "worker_id": event.worker_id,
            "severity": event.severity,
            "created_at": event.created_at,
        }
        for event in store.tables.events
        if event_type in (None, event.event_type)
    ]


def declare_deployment(store: MemoryStore, sha: str) -> None:
    """Do what `xbot deploy mark --sha` does."""
    event = NewEvent(event_type="deployment_marked", data={"sha": sha})
    store.accounts.mark_deployment(sha, "test", None, event)


def set_kill_switch(store: MemoryStore, *, on: bool, drain: bool = False) -> None:
    """Do what `xbot pause` / `xbot resume` do."""
    event = NewEvent(event_type="kill_switch_set", data={"on": on, "drain": drain})
    store.accounts.set_kill_switch(KillSwitch(on=on, drain=drain), "test", event)


def make_context(
    store: MemoryStore,
    account_id: int,
    platform: Platform,
    *,
    now: Any = T0,
    git_sha: str = "abc123",
    role: str = "worker",
    per_hour: int = 1000,
    settings: Settings | None = None,
    account_settings: AccountSettings | None = None,
) -> JobContext:
    """Return the context the runner would hand a per-account job, on the memory store."""
    budgets = BudgetSettings(per_hour=per_hour, per_day=10_000, min_gap_seconds=0)
    mine = account_settings or AccountSettings(platform="x", handle="bot", budgets=budgets)
    account = Account(account_id=account_id, platform="x", handle="bot",
                      platform_user_id="1000", settings=mine)  # fmt: skip
    worker = WorkerIdentity(worker_id="worker-1", role=role, git_sha=git_sha, sha_source="test",
                            host="test", pid=1)  # fmt: skip
    return JobContext(
        store=store,
        settings=settings or Settings(lease_seconds=60.0),
        worker=worker,
        now=now,
        account=account,
        platform_for=lambda _account: platform,
    )
