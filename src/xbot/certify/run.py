"""`run_certification`: checks A to I in dependency order on one consistent snapshot."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import Engine
from sqlalchemy.engine import Connection

from xbot.certify.accounts import resolve_account
from xbot.certify.advice import next_actions, shadow_actions
from xbot.certify.check_accounts import check_accounts
from xbot.certify.check_compliance import check_compliance
from xbot.certify.check_deploy import check_running_sha, check_worker_alive, sha_under_test
from xbot.certify.check_pipeline import check_fetch, check_queue, check_scheduler, check_trace_chain
from xbot.certify.check_safety import check_ghosts, check_stuck
from xbot.certify.context import FALLBACK_SINCE, Context
from xbot.certify.evidence import QueryRunner
from xbot.certify.model import CertifyOptions, CheckResult, Report
from xbot.certify.queries import load_queries
from xbot.certify.verdict import blocker_of, verdict_of
from xbot.certify.windows import derive_windows
from xbot.config import Settings
from xbot.domain.clock import ensure_utc
from xbot.domain.errors import DatabaseUnreachable
from xbot.redact import redact_url
from xbot.store.engine import translated_errors
from xbot.store.migrate import verify_schema
from xbot.store.queries.common import database_now

Check = Callable[[QueryRunner, Context, dict[str, CheckResult]], CheckResult]

#: B to J, in dependency order; A runs first because it settles the SHA and "since deploy"
LATER_CHECKS: tuple[Check, ...] = (
    check_worker_alive,
    check_fetch,
    check_queue,
    check_scheduler,
    check_trace_chain,
    check_ghosts,
    check_stuck,
    check_accounts,
    check_compliance,
)


def run_certification(
    engine: Engine, settings: Settings, options: CertifyOptions | None = None
) -> Report:
    """Run checks A to H against `engine` and return the report; StoreError if it cannot run."""
    options = options or CertifyOptions()
    _require_database_file(engine)
    verify_schema(engine)
    with translated_errors(), _snapshot(engine) as connection:
        # the workers stamp events with the database's clock on PostgreSQL: judge by the same one
        now = ensure_utc(options.now) if options.now else database_now(connection)
        context = Context(
            now=now,
            windows=derive_windows(settings.jobs, options.window),
            intervals=settings.jobs,
            lease=timedelta(seconds=settings.lease_seconds),
            account=None,
            expect_sha=options.expect_sha.strip() if options.expect_sha else None,
            settings=settings,
            require_deploy_mark=settings.require_deploy_mark,
        )
        run = QueryRunner(connection, load_queries(engine.dialect.name))
        context = dataclasses.replace(context, account=resolve_account(run, options.account))
        checks, context = run_checks(run, context, options)
    return _report(engine, context, checks)


def run_checks(
    run: QueryRunner, context: Context, options: CertifyOptions
) -> tuple[tuple[CheckResult, ...], Context]:
    """Run A, settle the SHA and "since deploy" from it, then B to H in order."""
    running = check_running_sha(run, context)
    context = dataclasses.replace(
        context, sha=sha_under_test(running), since=_since(running, options, context.now)
    )
    prior: dict[str, CheckResult] = {"A": running}
    for check in LATER_CHECKS:
        result = check(run, context, prior)
        prior[result.key] = result
    return tuple(prior.values()), context


def _since(running: CheckResult, options: CertifyOptions, now: datetime) -> datetime:
    # "since deploy": --since, else the active deployment, else the newest boot, else a day.
    if options.since is not None:
        return ensure_utc(options.since)
    for key in ("declared_at", "booted_at"):
        moment = running.facts.get(key)
        if isinstance(moment, datetime):
            return moment
    return now - FALLBACK_SINCE


def _require_database_file(engine: Engine) -> None:
    # Connecting to a missing SQLite file would create an empty one; certify must not.
    database = engine.url.database
    in_file = engine.dialect.name == "sqlite" and database not in {None, "", ":memory:"}
    if in_file and not Path(str(database)).exists():
        raise DatabaseUnreachable(
            f"there is no SQLite database at {database}. "
            "Check XBOT_DATABASE_URL, or create it with `xbot migrate`."
        )


@contextmanager
def _snapshot(engine: Engine) -> Iterator[Connection]:
    # One read-only snapshot, so the checks agree with each other while workers keep writing.
    # (SQLite's engine begins every transaction IMMEDIATE: certify holds its lock for milliseconds.)
    with engine.connect() as connection:
        if engine.dialect.name == "postgresql":
            connection.execution_options(
                isolation_level="REPEATABLE READ", postgresql_readonly=True
            )
        with connection.begin():
            yield connection


def _report(engine: Engine, context: Context, checks: tuple[CheckResult, ...]) -> Report:
    blocker = blocker_of(checks)
    facts = checks[0].facts
    return Report(
        generated_at=context.now,
        dialect=engine.dialect.name,
        database=redact_url(engine.url.render_as_string(hide_password=False)),
        account=context.account,
        expected_sha=facts["expected_sha"],
        running_sha=facts["running_sha"],
        sha_source=facts["sha_source"],
        since=context.since_deploy(),
        windows=context.windows,
        checks=checks,
        verdict=verdict_of(checks),
        blocker=blocker,
        next_actions=shadow_actions(checks) + next_actions(blocker),
    )
