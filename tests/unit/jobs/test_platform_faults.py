"""Which job failures block an account: refused credentials and a misconfigured endpoint only."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from structlog.testing import capture_logs

from xbot.config import AccountSettings, Settings
from xbot.domain.account_state import BlockReason
from xbot.domain.errors import (
    AuthFailed,
    ConfigError,
    PlatformMisconfigured,
    RateLimited,
    Transient,
)
from xbot.jobs.base import JobContext, WorkerIdentity
from xbot.jobs.platform_faults import fault_reason, note_platform_outcome
from xbot.store.memory import MemoryStore

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("error", "reason"),
    [
        (AuthFailed("Unauthorized", status=401), BlockReason.CREDENTIALS_REFUSED),
        (AuthFailed("Forbidden", status=403), BlockReason.CREDENTIALS_REFUSED),
        (PlatformMisconfigured(), BlockReason.PLATFORM_MISCONFIGURED),
        (ConfigError("set the environment variable X"), BlockReason.PLATFORM_MISCONFIGURED),
        (RateLimited(), None),
        (Transient(), None),
        (RuntimeError("bug"), None),
        (None, None),
    ],
)
def test_fault_reason(error: BaseException | None, reason: BlockReason | None) -> None:
    assert fault_reason(error) is reason


def _context(store: MemoryStore) -> JobContext:
    worker = WorkerIdentity(worker_id="w1", role="worker", git_sha="abc1234", sha_source="env",
                            host="h", pid=1)  # fmt: skip
    # no database: the job reads and writes only through the in-memory store
    return JobContext(store=store, settings=Settings(), worker=worker, now=T0)


def test_a_refusal_blocks_the_account_once_and_a_completed_run_unblocks_it() -> None:
    store = MemoryStore()
    (account,) = store.accounts.sync([AccountSettings(platform="x", handle="bot")])
    context = _context(store)
    refused = AuthFailed("Unauthorized", status=401)
    with capture_logs() as logs:
        note_platform_outcome(context, "fetch", account.account_id, refused)
        note_platform_outcome(context, "fetch", account.account_id, refused)
        note_platform_outcome(context, "fetch", account.account_id, Transient())
        assert store.accounts.faults()[account.account_id].reason is BlockReason.CREDENTIALS_REFUSED
        note_platform_outcome(context, "fetch", account.account_id, None)
        note_platform_outcome(context, "fetch", account.account_id, None)
    assert store.accounts.faults() == {}
    events = store.events.recent(account_id=account.account_id)
    assert [event.event_type for event in events] == ["account_unblocked", "account_blocked"]
    assert (events[1].severity, events[1].data["job"]) == ("error", "fetch")
    assert [entry["event"] for entry in logs] == ["account_blocked", "account_unblocked"]
