"""What every job gets and returns; the runner (jobs/runner.py) calls `run_once` on a cadence."""

from __future__ import annotations

import threading
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

import structlog

from xbot.config import AccountSettings, Settings
from xbot.domain.audit import NewEvent, Severity
from xbot.domain.errors import XbotError
from xbot.domain.job_runs import WorkerIdentity
from xbot.domain.meter import Meter
from xbot.domain.ports import Platform, ReplyGenerator
from xbot.domain.stores import Store
from xbot.events import EventType, JobPrefix
from xbot.jobs.wakeups import Wakeups

log = structlog.get_logger("xbot.jobs")

__all__ = ["Account", "JobContext", "JobSpec", "WorkerIdentity", "log_event", "run_event"]


@dataclass(frozen=True, kw_only=True, slots=True)
class Account:
    """One row of `accounts` with its settings from xbot.toml."""

    account_id: int
    platform: str
    handle: str
    platform_user_id: str | None
    settings: AccountSettings

    @property
    def key(self) -> str:
        """Return "platform:handle", the name reports and options use."""
        return f"{self.platform}:{self.handle}"


@dataclass(frozen=True, kw_only=True, slots=True)
class JobContext:
    """Everything one run of a job may use. Jobs read the clock once: `now`."""

    #: the store port; jobs read and write through it (xbot.domain.stores)
    store: Store
    settings: Settings
    worker: WorkerIdentity
    now: datetime
    #: None for jobs that are not per account (watchdog)
    account: Account | None = None
    #: builds (and caches) the account's platform adapter; the composition root provides it
    platform_for: Callable[[Account], Platform] | None = None
    #: builds the account's reply generator
    generator_for: Callable[[Account], ReplyGenerator] | None = None
    #: tells a person that a permit waits for review; returns why it failed, or None
    notify_review: Callable[[Mapping[str, Any]], str | None] | None = None
    #: the tally of the account's priced platform calls (xbot.domain.meter); None: not priced
    meter_for: Callable[[Account], Meter] | None = None
    #: set when the worker is stopping; long jobs check it between items
    stop: threading.Event = field(default_factory=threading.Event)
    #: the `job_runs` row and slot this run executes, when run by the runner
    job_run_id: int | None = None
    slot: int | None = None
    #: "run this job for this account now", taken by this worker's runner (xbot.jobs.wakeups)
    wakeups: Wakeups = field(default_factory=Wakeups)


class JobSummary(Protocol):
    """A run's typed result (a frozen dataclass); the runner stores `as_data()`."""

    def as_data(self) -> dict[str, object]:
        """Return the summary as the JSON the runner stores and logs."""
        ...


#: what `run_once` returns: xbot's jobs a typed summary (xbot.jobs.summaries); a job with nothing
#: to type (a test's or a bench's stand-in) may return the JSON-able mapping itself
JobResult = JobSummary | Mapping[str, object]


class JobFunction(Protocol):
    """`run_once(context) -> summary`: one pass, a small JSON-able summary."""

    def __call__(self, context: JobContext) -> JobResult:
        """Do one pass and return its summary."""
        ...


def summary_data(result: JobResult) -> dict[str, object]:
    """Return a run's summary as the JSON the runner stores."""
    return dict(result) if isinstance(result, Mapping) else result.as_data()


@dataclass(frozen=True, kw_only=True, slots=True)
class JobSpec:
    """A job the runner knows: its name, cadence and whether it runs per account."""

    name: str
    interval_seconds: float
    per_account: bool
    run_once: JobFunction
    #: events `<prefix>_started` / `_completed` / `_failed` around every run; None: only failures
    event_prefix: JobPrefix | None = None
    #: every run calls the platform: a refusal blocks the account, a completed run unblocks it
    calls_platform: bool = False
    #: the accounts with work for this job, read once per scheduling pass: they open every
    #: slot, the idle ones one slot each in turn (about one run per interval for all of them)
    busy_accounts: Callable[[Store], Collection[int]] | None = None


def require_account(context: JobContext) -> Account:
    """Return the run's account; a per-account job run without one is a wiring bug."""
    if context.account is None:
        raise XbotError("this job runs per account, but the run has no account")
    return context.account


def wake(context: JobContext, job: str, account: Account) -> None:
    """Bring the account's next run of `job` forward to the runner's next pass in this worker."""
    context.wakeups.wake(job, account.account_id)


def require_platform(context: JobContext, account: Account) -> Platform:
    """Return the account's platform adapter from the composition root."""
    if context.platform_for is None:
        raise XbotError("no platform adapters are wired into this process")
    return context.platform_for(account)


def account_meter(context: JobContext, account: Account) -> Meter | None:
    """Return the account's meter, or None when this process prices no calls."""
    return context.meter_for(account) if context.meter_for is not None else None


def require_generator(context: JobContext, account: Account) -> ReplyGenerator:
    """Return the account's reply generator from the composition root."""
    if context.generator_for is None:
        raise XbotError("no reply generators are wired into this process")
    return context.generator_for(account)


def run_event(  # noqa: PLR0913 - the event's parts, as job_event takes them
    context: JobContext,
    event_type: EventType,
    data: Mapping[str, Any],
    *,
    component: str,
    account_id: int | None,
    severity: Severity = "info",
) -> NewEvent:
    """Return an event written by this run's worker at the run's `now`, for a store method.

    Log it with `log_event` once the method stored it.
    """
    return NewEvent(
        event_type=event_type, data=data, now=context.now, severity=severity,
        component=component, account_id=account_id, worker_id=context.worker.worker_id,
    )  # fmt: skip


def log_event(  # noqa: PLR0913 - the event's parts, as job_event takes them
    context: JobContext,
    event_type: str,
    data: Mapping[str, Any],
    *,
    component: str,
    account_id: int | None,
    severity: Severity = "info",
) -> None:
    """Log one event the run wrote (through a store method, or a statement) for operators."""
    account = context.account.key if context.account is not None else None
    fields = {"account": account, "account_id": account_id, "component": component, **data}
    getattr(log, severity)(str(event_type), **fields)
