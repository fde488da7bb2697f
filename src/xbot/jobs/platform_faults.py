"""Credentials refused or a misconfigured endpoint block the account until a platform call works.

The runner calls `note_platform_outcome` after each run of a job that always calls the
platform (fetch, ghost scan): a refusal sets the account's fault, a completed run clears it.
"""

from __future__ import annotations

import structlog

from xbot.domain.account_state import BlockReason
from xbot.domain.audit import NewEvent, Severity
from xbot.domain.errors import AuthFailed, ConfigError, PlatformMisconfigured
from xbot.events import EventType
from xbot.jobs.base import JobContext
from xbot.jobs.costs import spending_refused, stop_spending

log = structlog.get_logger("xbot.runner")


def fault_reason(error: BaseException | None) -> BlockReason | None:
    """Return the block an error from a platform call means, or None."""
    if isinstance(error, AuthFailed):
        return BlockReason.CREDENTIALS_REFUSED
    # a ConfigError here comes from building the adapter: a credential variable unset, a bad URL
    if isinstance(error, PlatformMisconfigured | ConfigError):
        return BlockReason.PLATFORM_MISCONFIGURED
    return None


def note_platform_outcome(
    context: JobContext, job: str, account_id: int, error: BaseException | None
) -> None:
    """Block the account on a refusal; clear its block when the run completed."""
    if spending_refused(error) and error is not None:
        stop_spending(context, account_id, error)  # until the next UTC day (xbot.jobs.costs)
        return
    reason = fault_reason(error)
    if error is not None and reason is None:
        return  # some other failure says nothing about the credentials
    accounts = context.store.accounts
    if reason is not None:
        event, data = EventType.ACCOUNT_BLOCKED, {"reason": reason.value, "detail": str(error)}
        record = _event(context, event, {"job": job, **data}, account_id, "error")
        by = context.worker.worker_id
        changed = accounts.set_fault(account_id, reason, str(error), by, record)
    else:
        event, data = EventType.ACCOUNT_UNBLOCKED, {}
        record = _event(context, event, {"job": job}, account_id, "info")
        changed = accounts.clear_fault(account_id, record)
    if changed:
        log.warning(event, job=job, account_id=account_id, **data)


def _event(
    context: JobContext, event: str, data: dict[str, str], account_id: int, severity: Severity
) -> NewEvent:
    return NewEvent(
        event_type=event, data=data, severity=severity, component="runner",
        account_id=account_id, worker_id=context.worker.worker_id,
    )  # fmt: skip
