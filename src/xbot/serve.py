"""Boot and run a serving process (`xbot worker`, `xbot run`, `xbot web`, the demo).

`wiring.build_service` builds the Service with all its parts. Order (DESIGN §2): health is
already listening; then the schema; then the boot heartbeat; then jobs.
"""

from __future__ import annotations

import signal
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from types import FrameType
from typing import Any, Protocol

import structlog
from pydantic import SecretStr
from sqlalchemy import Engine

from xbot.config import AccountSettings, Settings
from xbot.domain.audit import NewEvent
from xbot.domain.errors import XbotError
from xbot.domain.meter import Meter
from xbot.domain.ports import Platform, ReplyGenerator
from xbot.domain.readiness import DEPLOY_UNMARKED
from xbot.domain.stores import Store
from xbot.events import EventType
from xbot.jobs import watchdog
from xbot.jobs.base import Account, JobContext, JobSpec, WorkerIdentity
from xbot.jobs.intake_threads import start_streams
from xbot.jobs.loop import WorkerLoop
from xbot.jobs.runner import JobRunner
from xbot.jobs.runner_pool import RunnerPool
from xbot.jobs.wakeups import Wakeups
from xbot.readiness import Readiness
from xbot.store.migrate import upgrade, verify_schema
from xbot.store.secretbox import SessionCipher
from xbot.store.sessions import verify_sessions
from xbot.web.health import HealthState

log = structlog.get_logger("xbot.serve")

#: a stopping worker gets this long to finish its job before it abandons it (SIGTERM → exit < 10 s)
STOP_GRACE_SECONDS = 7.0


def prepare_schema(engine: Engine, secret_key: SecretStr | None = None) -> str:
    """SQLite migrates itself; PostgreSQL must already be at head (`xbot migrate`)."""
    if engine.dialect.name == "sqlite":
        upgrade(engine, secret_key)
    return verify_schema(engine)


def load_accounts(store: Store, settings: Settings) -> list[Account]:
    """Sync configured accounts into `accounts` and return the enabled ones."""
    by_key: dict[tuple[str, str], AccountSettings] = {
        (item.platform, item.handle.lower()): item for item in settings.accounts
    }
    rows = store.accounts.sync(settings.accounts)
    return [
        Account(
            account_id=row.account_id,
            platform=row.platform,
            handle=row.handle,
            platform_user_id=row.platform_user_id,
            settings=by_key[(row.platform, row.handle)],
        )
        for row in rows
        if (row.platform, row.handle) in by_key
    ]


class Platforms(Protocol):
    """Each account's platform adapter, built on first use; closed with the service."""

    def __call__(self, account: Account) -> Platform:
        """Return the account's adapter."""

    def close(self) -> None:
        """Close every adapter's connections."""

    def meter(self, account: Account) -> Meter:
        """Return the tally of the account's priced calls."""


class Service:
    """One serving process, complete when built (`wiring.build_service` builds it)."""

    def __init__(  # noqa: PLR0913 - the composition root hands over every collaborator here
        self,
        settings: Settings,
        *,
        role: str,
        engine: Engine,
        store: Store,
        worker: WorkerIdentity,
        specs: Sequence[JobSpec],
        state: HealthState,
        platform_for: Platforms | None = None,
        generator_for: Callable[[Account], ReplyGenerator] | None = None,
        notify_review: Callable[[Mapping[str, Any]], str | None] | None = None,
    ) -> None:
        self.settings = settings
        self.role = role
        self.engine = engine
        self.store = store
        self.worker = worker
        self.specs = list(specs)
        self.state = state
        self.platform_for = platform_for
        self.generator_for = generator_for
        self.notify_review = notify_review
        self.stop = threading.Event()
        self.wakeups = Wakeups()
        #: runs once booted, just before /ready turns 200 (the CLI mounts the console here)
        self.before_ready: Callable[[], object] | None = None
        self.accounts: list[Account] = []
        #: the intake supervisors' threads, one per streaming account (xbot.jobs.intake)
        self.streams: list[threading.Thread] = []
        jobs = tuple(spec.name for spec in self.specs)
        self.readiness = Readiness(settings=settings, engine=engine, role=role, worker=worker,
                                   jobs=jobs)  # fmt: skip

    def boot(self) -> None:
        """Verify the schema, write the boot heartbeat, sync accounts, then declare readiness."""
        revision = prepare_schema(self.engine, self.settings.secret_key)
        self.accounts = load_accounts(self.store, self.settings)
        if self.role != "web":
            verify_sessions(self.engine, SessionCipher(self.settings.secret_key))
            watchdog.write_boot(self.store, self.worker, [spec.name for spec in self.specs])
        log.info(
            "booted",
            worker_id=self.worker.worker_id,
            role=self.role,
            git_sha=self.worker.git_sha,
            sha_source=self.worker.sha_source,
            schema=revision,
            accounts=len(self.accounts),
        )
        report = self.readiness.report(self.accounts)
        if DEPLOY_UNMARKED in report["reasons"]:
            log.warning(
                DEPLOY_UNMARKED,
                posting_allowed=report["posting_allowed"],
                next_action=f"xbot deploy mark --sha {self.worker.git_sha}",
            )
        if self.before_ready is not None:
            self.before_ready()
        self.state.set_ready(ready=True, readiness=report)
        if self.role != "web":
            self.check_labels()  # after /ready answers: a slow platform must not delay it

    def check_labels(self) -> None:
        """Check (and with `labels.apply` write) each account's bot label; never fails a boot."""
        from xbot.operations import Actor  # noqa: PLC0415 - operations load the store lazily
        from xbot.operations_labels import check_labels  # noqa: PLC0415

        if self.platform_for is None or not self.accounts:
            return
        actor = Actor(name=self.worker.worker_id, via="boot")
        for check in check_labels(self.engine, self.settings, self.accounts, self.platform_for,
                                  actor):  # fmt: skip
            level = log.info if check.state.ok else log.warning
            level("label_checked", account=check.account.key, state=check.state.value,
                  detail=check.detail)  # fmt: skip

    def refresh_readiness(self) -> None:
        """Re-read what /ready reports (kill switch, deployment) once per poll."""
        self.state.set_ready(ready=True, readiness=self.readiness.report(self.accounts))

    def posting_state(self) -> Mapping[str, Any]:
        """Whether this process may post now and each account's state, with the reasons."""
        return self.readiness.posting_state(self.accounts)

    def context(self) -> JobContext:
        """Return the base context of every job run (the runner fills in `now` and the account)."""
        return JobContext(
            store=self.store,
            settings=self.settings,
            worker=self.worker,
            now=datetime.now(UTC),
            platform_for=self.platform_for,
            generator_for=self.generator_for,
            notify_review=self.notify_review,
            meter_for=self.platform_for.meter if self.platform_for is not None else None,
            stop=self.stop,
            wakeups=self.wakeups,
        )

    def runner(self) -> JobRunner:
        """Return a job runner over this service's jobs and accounts."""
        return JobRunner(self.context(), self.specs, lambda: self.accounts)

    def runner_pool(self) -> RunnerPool:
        """Return the serving loop's lanes: `worker.concurrency` runs in flight at once."""
        return RunnerPool(
            self.context(), self.specs, lambda: self.accounts, self.settings.worker.concurrency
        )

    def run_once(self) -> list[dict[str, Any]]:
        """Run every due job once (`xbot run --once`)."""
        outcomes = self.runner().run_due()
        names = {account.account_id: account.key for account in self.accounts}
        return [
            {
                "job": item.job,
                "account_id": item.account_id,
                "account": names.get(item.account_id),
                "status": item.status,
                "error": item.error,
                **item.summary,
            }
            for item in outcomes
        ]

    def serve_forever(self) -> int:
        """Run jobs until SIGTERM/SIGINT; return the exit code."""
        self.install_signal_handlers()
        if self.role == "web":
            self.stop.wait()
            return 0
        runner = self.runner_pool()
        failure: list[BaseException] = []
        thread = threading.Thread(
            target=self._run_loop, args=(runner, failure), name="job-runner", daemon=True
        )
        thread.start()
        self.start_streams()
        while thread.is_alive() and not self.stop.is_set():
            self.stop.wait(0.5)
        if failure or not self.stop.is_set():
            reason = f"job runner died: {failure[0] if failure else 'unknown'}"
            self.stop.set()  # the intake supervisors stop with it
            self.state.set_dead(reason)
            log.error("runner_died", reason=reason)
            return 1
        return self._shut_down(runner, thread)

    def start_in_background(self) -> tuple[RunnerPool, threading.Thread, list[BaseException]]:
        """Run the jobs in a thread (the demo's way; `serve_forever` is the process's)."""
        runner = self.runner_pool()
        failure: list[BaseException] = []
        thread = threading.Thread(target=self._run_loop, args=(runner, failure),
                                  name="job-runner", daemon=True)  # fmt: skip
        thread.start()
        self.start_streams()
        return runner, thread, failure

    def start_streams(self) -> None:
        """Start the intake supervisors where this process fetches (xbot.jobs.intake_threads)."""
        fetches = any(spec.name == "fetch" for spec in self.specs)
        if self.role == "web" or not fetches or self.platform_for is None:
            return
        self.streams = start_streams(self.context(), self.accounts)

    def stop_background(self, runner: RunnerPool, thread: threading.Thread) -> None:
        """Stop the background jobs the way SIGTERM stops a worker."""
        self.stop.set()
        self._shut_down(runner, thread)

    def close(self) -> None:
        """Close the platform adapters' connections and the database pool."""
        if self.platform_for is not None:
            self.platform_for.close()
        self.engine.dispose()

    def _run_loop(self, runner: RunnerPool, failure: list[BaseException]) -> None:
        try:
            WorkerLoop(runner, self.posting_state, self.refresh_readiness).run()
        except BaseException as exc:
            failure.append(exc)
            log.exception("runner_crashed")

    def _shut_down(self, runner: RunnerPool, thread: threading.Thread) -> int:
        deadline = time.monotonic() + STOP_GRACE_SECONDS
        thread.join(STOP_GRACE_SECONDS)
        for stream in self.streams:  # each gives its lease back as it ends
            stream.join(max(0.1, deadline - time.monotonic()))
        abandoned = thread.is_alive() and bool(runner.in_flight)
        released = False
        try:
            if abandoned:
                released = runner.release_current()
            self._record_stop(abandoned=abandoned, released=released)
        except XbotError as exc:
            log.exception("stop_not_recorded", error=str(exc))
        self.state.set_dead("stopped")
        return 0

    def _record_stop(self, *, abandoned: bool, released: bool) -> None:
        now = self.store.now()
        stopped = NewEvent(
            event_type=EventType.WORKER_STOPPED,
            data={"abandoned_job": abandoned, "released_lease": released,
                  "git_sha": self.worker.git_sha},
            now=now, component="serve", worker_id=self.worker.worker_id,
        )  # fmt: skip
        self.store.workers.mark_stopped(self.worker.worker_id, now, [stopped])
        log.info("worker_stopped", abandoned_job=abandoned, released_lease=released)

    def install_signal_handlers(self) -> None:
        """Turn SIGTERM and SIGINT into a clean stop (before boot, so /ready never races it)."""

        def request_stop(signum: int, _frame: FrameType | None) -> None:
            log.info("stop_requested", signal=signal.Signals(signum).name)
            self.stop.set()

        signal.signal(signal.SIGTERM, request_stop)
        signal.signal(signal.SIGINT, request_stop)
