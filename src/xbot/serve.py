"""Boot and run a serving process (`xbot worker`, `xbot run`, `xbot web`).

This is the long-running half of the composition root. Order (DESIGN §2): health is already
listening; then the schema; then the boot heartbeat; then jobs.
"""

from __future__ import annotations

import os
import signal
import socket
import threading
import uuid
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from types import FrameType
from typing import Any

import structlog
from pydantic import SecretStr
from sqlalchemy import Engine

from xbot.config import Settings
from xbot.domain.account_state import overall_posting_allowed
from xbot.domain.errors import XbotError
from xbot.domain.policy import GeneratorKind, PlatformName, XTier, policy_summary
from xbot.domain.readiness import DEPLOY_UNMARKED, posting_blockers, posting_notes
from xbot.events import EventType
from xbot.jobs import watchdog
from xbot.jobs.account_states import read_account_states
from xbot.jobs.base import Account, JobContext, JobSpec, WorkerIdentity
from xbot.jobs.loop import WorkerLoop
from xbot.jobs.runner import JobRunner
from xbot.provenance import running_sha
from xbot.redact import redact_url
from xbot.store.engine import make_engine, translated_errors
from xbot.store.migrate import upgrade, verify_schema
from xbot.store.queries import accounts as account_queries
from xbot.store.queries import controls, deployments, workers
from xbot.store.queries.common import database_now
from xbot.store.queries.events import append_event
from xbot.store.secretbox import SessionCipher
from xbot.store.sessions import verify_sessions
from xbot.web.health import HealthServer, HealthState, current

log = structlog.get_logger("xbot.serve")

#: the /ready reason when accounts exist and none of them may post now (each says why)
NO_ACCOUNT_POSTING = "no_account_posting"

#: a stopping worker gets this long to finish its job before it abandons it (SIGTERM → exit < 10 s)
STOP_GRACE_SECONDS = 7.0


def identity(settings: Settings, role: str) -> WorkerIdentity:
    """Return who this process is, with the SHA and the source that answered."""
    provenance = running_sha(configured=settings.git_sha)
    host = socket.gethostname()
    pid = os.getpid()
    worker_id = settings.worker_id or f"{host}-{pid}-{uuid.uuid4().hex[:6]}"
    return WorkerIdentity(
        worker_id=worker_id,
        role=role,
        git_sha=provenance.git_sha,
        sha_source=provenance.sha_source,
        host=host,
        pid=pid,
    )


def prepare_schema(engine: Engine, secret_key: SecretStr | None = None) -> str:
    """SQLite migrates itself; PostgreSQL must already be at head (`xbot migrate`)."""
    if engine.dialect.name == "sqlite":
        upgrade(engine, secret_key)
    return verify_schema(engine)


def load_accounts(engine: Engine, settings: Settings) -> list[Account]:
    """Sync configured accounts into `accounts` and return the enabled ones."""
    by_key = {(item.platform, item.handle.lower()): item for item in settings.accounts}
    with translated_errors(), engine.begin() as connection:
        rows = account_queries.sync_accounts(
            connection, settings.accounts, database_now(connection)
        )
    return [
        Account(
            account_id=row.id,
            platform=row.platform,
            handle=row.handle,
            platform_user_id=row.platform_user_id,
            settings=by_key[(row.platform, row.handle)],
        )
        for row in rows
        if (row.platform, row.handle) in by_key
    ]


class Service:
    """One serving process: its settings, database, identity, health and jobs."""

    def __init__(  # noqa: PLR0913 - the composition root hands over every collaborator here
        self,
        settings: Settings,
        *,
        role: str,
        specs: Sequence[JobSpec],
        platform_for: Callable[[Account], Any] | None = None,
        generator_for: Callable[[Account], Any] | None = None,
        health: HealthServer | None = None,
    ) -> None:
        self.settings = settings
        self.role = role
        self.specs = [spec for spec in specs if _enabled(settings, spec.name)]
        self.platform_for = platform_for
        self.generator_for = generator_for
        self.health = health or current()
        self.state = self.health.state if self.health else HealthState()
        token = settings.admin_token
        # the listener was bound before the settings existed (entry.py); its token arrives here
        self.state.set_admin_token(token.get_secret_value() if token else None)
        self.stop = threading.Event()
        self.engine = make_engine(settings.database_url)
        self.worker = identity(settings, role)
        self.accounts: list[Account] = []

    def boot(self) -> None:
        """Verify the schema, write the boot heartbeat, sync accounts, then declare readiness."""
        revision = prepare_schema(self.engine, self.settings.secret_key)
        self.accounts = load_accounts(self.engine, self.settings)
        if self.role != "web":
            verify_sessions(self.engine, SessionCipher(self.settings.secret_key))
            with translated_errors(), self.engine.begin() as connection:
                watchdog.write_boot(
                    connection,
                    self.worker,
                    [spec.name for spec in self.specs],
                    database_now(connection),
                )
        log.info(
            "booted",
            worker_id=self.worker.worker_id,
            role=self.role,
            git_sha=self.worker.git_sha,
            sha_source=self.worker.sha_source,
            schema=revision,
            accounts=len(self.accounts),
        )
        readiness = self.readiness()
        if DEPLOY_UNMARKED in readiness["reasons"]:
            log.warning(
                DEPLOY_UNMARKED,
                posting_allowed=readiness["posting_allowed"],
                next_action=f"xbot deploy mark --sha {self.worker.git_sha}",
            )
        self.state.set_ready(ready=True, readiness=readiness)

    def readiness(self) -> dict[str, Any]:
        """Return the JSON that /ready serves."""
        posting = self.posting_state()
        return {
            "role": self.role,
            "worker_id": self.worker.worker_id,
            "git_sha": self.worker.git_sha,
            "sha_source": self.worker.sha_source,
            "database": redact_url(self.settings.database_url),
            "jobs": [spec.name for spec in self.specs] if self.role != "web" else [],
            **posting,
            "accounts": [
                {**self._account_policy(account), **state}
                for account, state in zip(self.accounts, posting["accounts"], strict=True)
            ],
        }

    def _account_policy(self, account: Account) -> dict[str, object]:
        """Return the platform policy in force for one account (DESIGN §9), for /ready."""
        settings = account.settings
        policy = policy_summary(
            PlatformName(account.platform), GeneratorKind(settings.generator),
            x_tier=XTier(self.settings.x.tier), opt_in_only=settings.opt_in_only,
            ai_replies_approved=self.settings.x.ai_replies_approved,
        )  # fmt: skip
        return {"handle": account.handle, **policy}

    def refresh_readiness(self) -> None:
        """Re-read what /ready reports (kill switch, deployment) once per poll."""
        self.state.set_ready(ready=True, readiness=self.readiness())

    def posting_state(self) -> Mapping[str, Any]:
        """Whether this process may post now and each account's state, with the reasons."""
        with translated_errors(), self.engine.connect() as connection:
            deployment = deployments.active_deployment(connection)
            switch = controls.kill_switch(connection)
            declared = deployment.sha if deployment else None
            required = self.settings.require_deploy_mark
            reasons = posting_blockers(
                role=self.role,
                running_sha=self.worker.git_sha,
                declared_sha=declared,
                kill_switch_on=switch["on"],
                require_deploy_mark=required,
            )
            states = read_account_states(
                connection, self.accounts, self.settings,
                fence=[reason for reason in reasons if reason != "wrong_role"],
                fence_since=deployment.declared_at if deployment else None,
                now=database_now(connection),
            )  # fmt: skip
        notes = posting_notes(declared_sha=declared, require_deploy_mark=required)
        if self.accounts and not reasons and not overall_posting_allowed(states):
            reasons.append(NO_ACCOUNT_POSTING)
        return {
            "posting_allowed": not reasons,
            "reasons": reasons + notes,
            "declared_sha": declared,
            "accounts": [state.as_data() for state in states],
        }

    def context(self) -> JobContext:
        """Return the base context of every job run (the runner fills in `now` and the account)."""
        return JobContext(
            engine=self.engine,
            settings=self.settings,
            worker=self.worker,
            now=datetime.now(UTC),
            platform_for=self.platform_for,
            generator_for=self.generator_for,
            stop=self.stop,
        )

    def runner(self) -> JobRunner:
        """Return a job runner over this service's jobs and accounts."""
        return JobRunner(self.context(), self.specs, lambda: self.accounts)

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
        self._install_signal_handlers()
        if self.role == "web":
            self.stop.wait()
            return 0
        runner = self.runner()
        failure: list[BaseException] = []
        thread = threading.Thread(
            target=self._run_loop, args=(runner, failure), name="job-runner", daemon=True
        )
        thread.start()
        while thread.is_alive() and not self.stop.is_set():
            self.stop.wait(0.5)
        if failure or not self.stop.is_set():
            reason = f"job runner died: {failure[0] if failure else 'unknown'}"
            self.state.set_dead(reason)
            log.error("runner_died", reason=reason)
            return 1
        return self._shut_down(runner, thread)

    def start_in_background(self) -> tuple[JobRunner, threading.Thread, list[BaseException]]:
        """Run the jobs in a thread (the demo's way; `serve_forever` is the process's)."""
        runner = self.runner()
        failure: list[BaseException] = []
        thread = threading.Thread(target=self._run_loop, args=(runner, failure),
                                  name="job-runner", daemon=True)  # fmt: skip
        thread.start()
        return runner, thread, failure

    def stop_background(self, runner: JobRunner, thread: threading.Thread) -> None:
        """Stop the background jobs the way SIGTERM stops a worker."""
        self.stop.set()
        self._shut_down(runner, thread)

    def _run_loop(self, runner: JobRunner, failure: list[BaseException]) -> None:
        try:
            WorkerLoop(runner, self.posting_state, self.refresh_readiness).run()
        except BaseException as exc:
            failure.append(exc)
            log.exception("runner_crashed")

    def _shut_down(self, runner: JobRunner, thread: threading.Thread) -> int:
        thread.join(STOP_GRACE_SECONDS)
        abandoned = thread.is_alive() and runner.current_run is not None
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
        with translated_errors(), self.engine.begin() as connection:
            now = database_now(connection)
            workers.mark_stopped(connection, self.worker.worker_id, now)
            append_event(
                connection,
                EventType.WORKER_STOPPED,
                {
                    "abandoned_job": abandoned,
                    "released_lease": released,
                    "git_sha": self.worker.git_sha,
                },
                now=now,
                component="serve",
                worker_id=self.worker.worker_id,
            )
        log.info("worker_stopped", abandoned_job=abandoned, released_lease=released)

    def _install_signal_handlers(self) -> None:
        def request_stop(signum: int, _frame: FrameType | None) -> None:
            log.info("stop_requested", signal=signal.Signals(signum).name)
            self.stop.set()

        signal.signal(signal.SIGTERM, request_stop)
        signal.signal(signal.SIGINT, request_stop)


def _enabled(settings: Settings, job: str) -> bool:
    if settings.enabled_jobs:
        return job in settings.enabled_jobs
    return job != "probe"
