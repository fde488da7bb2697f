"""`run_certification`: checks A to I in dependency order on one consistent snapshot."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Protocol

from xbot.certify.accounts import resolve_account
from xbot.certify.advice import next_actions, shadow_actions
from xbot.certify.check_accounts import check_accounts
from xbot.certify.check_compliance import check_compliance
from xbot.certify.check_deploy import check_running_sha, check_worker_alive, sha_under_test
from xbot.certify.check_pipeline import check_fetch, check_queue, check_scheduler, check_trace_chain
from xbot.certify.check_safety import check_ghosts, check_stuck
from xbot.certify.context import FALLBACK_SINCE, Context
from xbot.certify.evidence import QueryRunner
from xbot.certify.facts_deploy import RunningShaFacts
from xbot.certify.model import CertifyOptions, CheckResult, Report, facts_of
from xbot.certify.queries import load_queries
from xbot.certify.verdict import blocker_of, verdict_of
from xbot.certify.windows import derive_windows
from xbot.config import Settings
from xbot.domain.clock import ensure_utc
from xbot.redact import redact_url
from xbot.store.revisions import require_head, single_revision
from xbot.store.snapshot import Snapshot, open_snapshot

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


class _Url(Protocol):
    def render_as_string(self, *, hide_password: bool = ...) -> str: ...


class _Engine(Protocol):
    """A SQLAlchemy engine, as far as certify cares: where it points."""

    @property
    def url(self) -> _Url: ...


def run_certification(
    database: str | _Engine, settings: Settings, options: CertifyOptions | None = None
) -> Report:
    """Run checks A to J against `database` (a URL or an engine) and return the report.

    One read-only snapshot on the driver alone (xbot.store.snapshot); StoreError if it cannot run.
    """
    options = options or CertifyOptions()
    url = (
        database
        if isinstance(database, str)
        else database.url.render_as_string(hide_password=False)
    )
    with open_snapshot(url) as snapshot:
        revisions = snapshot.revisions()
        require_head(single_revision(revisions) if revisions is not None else None)
        # the workers stamp events with the database's clock on PostgreSQL: judge by the same one
        now = ensure_utc(options.now) if options.now else snapshot.now()
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
        run = QueryRunner(snapshot, load_queries(snapshot.dialect))
        context = dataclasses.replace(context, account=resolve_account(run, options.account))
        checks, context = run_checks(run, context, options)
    return _report(snapshot, url, context, checks)


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
    facts = facts_of(running, RunningShaFacts)
    return facts.declared_at or facts.booted_at or now - FALLBACK_SINCE


def _report(
    snapshot: Snapshot, url: str, context: Context, checks: tuple[CheckResult, ...]
) -> Report:
    blocker = blocker_of(checks)
    facts = facts_of(checks[0], RunningShaFacts)
    return Report(
        generated_at=context.now,
        dialect=snapshot.dialect,
        database=redact_url(url),
        account=context.account,
        expected_sha=facts.expected_sha,
        running_sha=facts.running_sha,
        sha_source=facts.sha_source,
        since=context.since_deploy(),
        windows=context.windows,
        checks=checks,
        verdict=verdict_of(checks),
        blocker=blocker,
        next_actions=shadow_actions(checks) + next_actions(blocker),
    )
