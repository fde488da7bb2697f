"""`xbot demo`: the whole system in one command, offline, ending in a certification (issue 6).

Fake platform on loopback, a temporary SQLite database (or `--database-url`), two bot accounts,
the worker at a fast cadence, one ghost and one accepted-then-timed-out post injected on the
way, then `xbot certify`. The database holds real wall-clock times.
"""

from __future__ import annotations

import shutil
import tempfile
import time
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import tomli_w
from pydantic import SecretStr
from rich.console import Console
from rich.live import Live
from rich.table import Table

from xbot import operations, operations_review
from xbot.certify import run_certification
from xbot.config import AccountSettings, BudgetSettings, JobIntervals, Settings, load_settings
from xbot.demo_fakes import FAKES, DemoFake
from xbot.demo_output import (
    explain_acknowledgement,
    latency_line,
    print_certification,
    print_legend,
    report_path,
)
from xbot.platforms.http import HttpOptions
from xbot.provenance import UNKNOWN, running_sha
from xbot.serve import Service
from xbot.sim.core.clock import SimClock
from xbot.sim.core.server import SimServer
from xbot.sim.core.world import build_world
from xbot.store.secretbox import generate_key
from xbot.views import print_trace
from xbot.wiring import Overrides, build_service

#: demo cadences, in seconds: fast enough to see everything in a minute
CADENCE = JobIntervals(fetch=3, schedule=2, post=1, reconcile=3, ghost_scan=5, watchdog=5)
TOPICS = ["python", "databases", "postgres", "rust", "chess", "jazz", "gardening", "sourdough"]
#: the adapters wait this long for an answer (long enough for a busy machine: mastodon-mock's
#: answers took over 2 s at a load of 17 on two cores); the injected fault holds the answer longer
READ_TIMEOUT_SECONDS = 5.0
#: after --seconds, how long the worker may go on to settle in-flight posts by reading back
SETTLE_SECONDS = 30.0
#: who the demo's own operator actions name in their events
DEMO = operations.Actor(name="xbot demo", via="demo")
INJECTED = operations.Actor(name="xbot demo (injected on purpose)", via="demo")


@dataclass(frozen=True, kw_only=True, slots=True)
class DemoOptions:
    """What `xbot demo` was asked for."""

    seconds: float = 60.0
    platform: str = "x"
    database_url: str | None = None
    keep: bool = False
    seed: int = 7
    bots: tuple[str, ...] = ("replybot", "helperbot")
    #: print the whole certification report, SQL included, instead of its summary
    full: bool = False
    #: the first bot's replies wait for review; the demo approves one through the operations API
    review: bool = False


@dataclass(kw_only=True)
class _Run:
    """The demo's moving parts."""

    options: DemoOptions
    directory: Path
    fake: Any
    spec: DemoFake
    settings: Settings
    service: Service
    log: list[str]
    ghost_post_ids: list[str]
    #: the permit the demo approved (`--review`), traced at the end
    approved: str | None = None


def run_demo(options: DemoOptions, console: Console) -> int:
    """Run the demo and print the certification; return certify's exit code."""
    directory = Path(tempfile.mkdtemp(prefix="xbot-demo-"))
    spec = FAKES[options.platform]
    fake = spec.build(build_world(options.seed, bot_handles=options.bots), SimClock(speed=1))
    try:
        with SimServer(fake.app) as server:
            run = _prepare(options, directory, spec, fake, server.base_url)
            code = _execute(run, console)
    finally:
        if not options.keep:
            shutil.rmtree(directory, ignore_errors=True)
    return code


def _prepare(
    options: DemoOptions, directory: Path, spec: DemoFake, fake: Any, base_url: str
) -> _Run:
    logins = [spec.login(fake, bot) for bot in fake.describe()["bot_accounts"]]
    accounts = [_account(options.platform, handle, base_url) for handle, _ in logins]
    if options.review:  # the first bot waits for a person; the others post as usual
        accounts[0] = accounts[0].model_copy(update={"review": "required"})
    database_url = options.database_url or f"sqlite:///{directory / 'xbot.db'}"
    sha = running_sha().git_sha
    settings = load_settings(  # a bad --database-url is one line, not a traceback
        database_url=database_url,
        jobs=CADENCE,
        poll_interval=0.2,
        lease_seconds=10,
        accounts=accounts,
        git_sha="" if sha != UNKNOWN else "de70000000000000",  # "demo", in hex
        # a fresh key per run: the demo's sessions are encrypted like a real deployment's
        secret_key=SecretStr(generate_key()),
        # the fake's bot accounts are automated accounts: the demo attests X's label for them
        x={"automated_label_attested": True},
        # the fake Bluesky serves its Jetstream on its own port
        bluesky={"jetstream_url": "ws" + base_url.removeprefix("http")},
    )
    _write_config(directory / "xbot.toml", settings)
    overrides = Overrides(
        credentials=dict(logins),
        visibility_grace_seconds=5,
        http=HttpOptions(read_timeout=READ_TIMEOUT_SECONDS),
    )
    service = build_service(settings, "all", overrides)
    return _Run(
        options=options,
        directory=directory,
        fake=fake,
        spec=spec,
        settings=settings,
        service=service,
        log=[],
        ghost_post_ids=[],
    )


def _account(platform: str, handle: str, base_url: str) -> AccountSettings:
    budgets = BudgetSettings(
        per_hour=60, per_day=500, author_cooldown_minutes=0.5, min_gap_seconds=5
    )
    return AccountSettings(
        platform=platform,
        handle=handle,
        base_url=base_url,
        topics=TOPICS,
        budgets=budgets,
        max_candidate_age_hours=1,
    )


def _write_config(path: Path, settings: Settings) -> None:
    """Keep what certify needs to read the kept database the way the demo ran it."""
    text = tomli_w.dumps({
        "database_url": settings.database_url,
        "lease_seconds": settings.lease_seconds,
        "jobs": CADENCE.model_dump(),
    })  # fmt: skip
    tomllib.loads(text)  # what we write must read back
    path.write_text(text, encoding="utf-8")


def _execute(run: _Run, console: Console) -> int:
    try:
        return _run_and_certify(run, console)
    finally:
        run.service.close()


def _run_and_certify(run: _Run, console: Console) -> int:
    service = run.service
    operations.migrate(service.engine, run.settings.secret_key)
    service.boot()
    note = "declared by the demo"
    operations.mark_deployment(service.engine, DEMO, service.worker.git_sha, note=note)
    runner, thread, failure = service.start_in_background()
    try:
        _watch(run, console, failure)
    finally:
        service.stop_background(runner, thread)
    _acknowledge_ghosts(run)
    explain_acknowledgement(console, run.ghost_post_ids)
    report = run_certification(service.engine, run.settings)
    path = report_path(run.options.platform)
    print_certification(console, report, path, full=run.options.full)
    console.print(latency_line(operations.reply_latencies(service.engine)), markup=False)
    _show_trace(run, console)
    console.print(
        f"\nfull report, with every check's SQL and rows: {path}", markup=False, soft_wrap=True
    )
    if run.options.keep:
        _explain_kept(run, console)
    return report.exit_code


def _watch(run: _Run, console: Console, failure: list[BaseException]) -> None:
    started = time.monotonic()
    seconds = run.options.seconds
    plan = [(seconds / 4, _inject_ghost), (seconds / 3, _inject_timeout)]
    deadline = seconds + SETTLE_SECONDS
    print_legend(console)
    with Live(_table(run, 0.0)[0], console=console, refresh_per_second=4, transient=False) as live:
        while (elapsed := time.monotonic() - started) < deadline:
            if failure:
                raise failure[0]
            while plan and elapsed >= plan[0][0]:
                plan.pop(0)[1](run)
            if run.options.review and run.approved is None:
                _approve_one(run)
            table, counts = _table(run, elapsed)
            live.update(table)
            if elapsed >= seconds and counts["unknown"] + counts["posting"] == 0:
                break
            time.sleep(0.25)


def _inject_ghost(run: _Run) -> None:
    post = run.fake.ghost(
        "Posted by hand, outside xbot: the ghost scan must find this.", bot=run.options.bots[0]
    )
    post_id = str(post.get("id") or post.get("uri") or "?")
    run.ghost_post_ids.append(post_id)
    run.log.append(f"injected a ghost: post {post_id}")


def _approve_one(run: _Run) -> None:
    """Approve the oldest reply waiting for review, as a reviewer would (`xbot review approve`)."""
    waiting = operations_review.list_reviews(run.service.engine)
    if not waiting:
        return
    permit_id = waiting[0]["permit_id"]
    done = operations_review.approve(run.service.engine, DEMO, permit_id, waiting[0]["text_sha256"])
    run.approved = permit_id
    run.log.append(f"approved {permit_id} (sha256 {str(done.permit.approved_sha256)[:16]}…)")


def _inject_timeout(run: _Run) -> None:
    run.fake.inject(
        run.spec.write_endpoint, "accept_then_timeout", seconds=READ_TIMEOUT_SECONDS + 3, count=1
    )
    run.log.append(f"armed accepted-then-timed-out on {run.spec.write_endpoint}")


def _table(run: _Run, elapsed: float) -> tuple[Table, dict[str, int]]:
    counts = operations.pipeline_counts(run.service.engine)
    table = Table(
        title=f"xbot demo on fake {run.options.platform}: "
        f"{elapsed:4.0f} / {run.options.seconds:.0f} s"
    )
    for name in counts:
        table.add_column(name, justify="right")
    table.add_row(*(str(value) for value in counts.values()))
    settling = elapsed > run.options.seconds
    table.caption = "\n".join([*run.log, *(["settling: waiting for read-backs"] * settling)])
    return table, counts


def _acknowledge_ghosts(run: _Run) -> None:
    """Acknowledge the ghost the demo injected, and only that one: any other must fail G."""
    engine = run.service.engine
    for ghost in operations.list_ghosts(engine):
        if ghost["tweet_id"] in run.ghost_post_ids:
            operations.acknowledge_ghost(engine, INJECTED, str(ghost["id"]))


def _show_trace(run: _Run, console: Console) -> None:
    if run.approved is not None:
        console.rule("the approved reply: review → approval (hash) → permit → post")
        approved = operations.trace(run.service.engine, run.approved)
        if approved is not None:
            print_trace(approved, console)
    elif run.options.review:
        console.print("no reply waited for review during the run: nothing was approved")
    found = operations.newest_post_trace(run.service.engine)
    if found is None:
        console.print("no post to trace: nothing was published")
        return
    console.rule("one trace chain: mention → decision → permit → post")
    print_trace(found, console)


def _explain_kept(run: _Run, console: Console) -> None:
    config = run.directory / "xbot.toml"
    console.rule("kept")
    console.print(f"database and config kept in {run.directory}", markup=False)
    console.print(f"  XBOT_CONFIG={config} xbot certify", markup=False)
    console.print(f"  XBOT_CONFIG={config} xbot trace <permit, decision or post id>", markup=False)
