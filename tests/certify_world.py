"""Hand-made database states that follow the runtime's data contract, for the certify tests.

`healthy(world)` writes a state in which every check passes; each test then breaks one thing.
"""

from __future__ import annotations

import itertools
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Engine, insert, update

from xbot.certify import CertifyOptions, CheckResult, Report, run_certification
from xbot.config import Settings
from xbot.store.queries.events import append_event
from xbot.store.tables import (
    accounts,
    deployments,
    ghost_scans,
    ghost_tweets,
    post_attempts,
    reply_candidate_queue,
    reply_decisions,
    workers,
)

CANDIDATE_TTL = timedelta(minutes=30)
NOW = datetime(2026, 1, 9, 19, 55, tzinfo=UTC)
DEPLOYED_SHA = "5a8a81ca3f0e4c7d9b2a1e6f8c0d4b3a2e1f0a9b"
OLD_SHA = "e35a4371d2c9b8a7f6e5d4c3b2a1f0e9d8c7b6a5"
JOBS = {
    "fetch": 300,
    "schedule": 60,
    "post": 5,
    "reconcile": 60,
    "ghost_scan": 900,
    "watchdog": 300,
}


def minutes(value: float) -> timedelta:
    return timedelta(minutes=value)


@dataclass
class World:
    """Writes rows the way xbot's jobs write them, at chosen times."""

    engine: Engine
    now: datetime = NOW
    _posts: itertools.count[int] = field(default_factory=lambda: itertools.count(1000))

    def execute(self, statement: Any) -> None:
        with self.engine.begin() as connection:
            connection.execute(statement)

    def insert_returning_id(self, statement: Any) -> int:
        with self.engine.begin() as connection:
            return int(connection.execute(statement).scalar_one())

    def account(self, handle: str = "acme", platform: str = "x", *, enabled: bool = True) -> int:
        return self.insert_returning_id(
            insert(accounts)
            .values(
                platform=platform,
                handle=handle,
                enabled=enabled,
                created_at=self.now - minutes(600),
            )
            .returning(accounts.c.id)
        )

    def deployment(self, sha: str, at: datetime, by: str = "ci") -> None:
        self.execute(insert(deployments).values(sha=sha, declared_at=at, declared_by=by))

    def event(
        self,
        event_type: str,
        at: datetime,
        *,
        worker_id: str | None = None,
        account_id: int | None = None,
        data: dict[str, Any] | None = None,
    ) -> None:
        with self.engine.begin() as connection:
            append_event(
                connection,
                event_type,
                data or {},
                now=at,
                worker_id=worker_id,
                account_id=account_id,
                component="test",
            )

    def boot(
        self,
        worker_id: str,
        sha: str,
        at: datetime,
        *,
        role: str = "worker",
        sha_source: str = "env:RAILWAY_GIT_COMMIT_SHA",
        host: str = "web-1",
    ) -> None:
        """A worker's row in `workers` and its production_watchdog_boot event."""
        values = {
            "role": role,
            "git_sha": sha,
            "sha_source": sha_source,
            "host": host,
            "pid": 4242,
            "booted_at": at,
            "heartbeat_at": at,
        }
        with self.engine.begin() as connection:
            exists = connection.execute(
                update(workers).where(workers.c.worker_id == worker_id).values(**values)
            ).rowcount
            if not exists:
                connection.execute(insert(workers).values(worker_id=worker_id, **values))
        self.event(
            "production_watchdog_boot",
            at,
            worker_id=worker_id,
            data={
                "git_sha": sha,
                "sha_source": sha_source,
                "role": role,
                "worker_id": worker_id,
                "host": host,
                "pid": 4242,
                "jobs": list(JOBS),
            },
        )

    def reports(self, worker_id: str, sha: str, times: list[datetime]) -> None:
        for at in times:
            self.event(
                "production_watchdog_report",
                at,
                worker_id=worker_id,
                data={
                    "git_sha": sha,
                    "worker_id": worker_id,
                    "jobs": {},
                    "posting_allowed": True,
                    "reasons": [],
                },
            )
            self.execute(
                update(workers).where(workers.c.worker_id == worker_id).values(heartbeat_at=at)
            )

    def fetch(
        self,
        worker_id: str,
        account_id: int,
        at: datetime,
        *,
        new: int = 2,
        queued: int = 2,
        completed: bool = True,
    ) -> None:
        self.event("reply_v2_fetch_job_started", at, worker_id=worker_id, account_id=account_id)
        if completed:
            self.event(
                "reply_v2_fetch_job_completed",
                at + timedelta(seconds=2),
                worker_id=worker_id,
                account_id=account_id,
                data={
                    "fetched": new + 3,
                    "new": new,
                    "evaluated": new,
                    "queued": queued,
                    "duration_ms": 2000,
                },
            )

    def fetch_failed(self, worker_id: str, account_id: int, at: datetime, reason: str) -> None:
        self.event("reply_v2_fetch_job_started", at, worker_id=worker_id, account_id=account_id)
        self.event(
            "reply_v2_fetch_job_failed",
            at + timedelta(seconds=1),
            worker_id=worker_id,
            account_id=account_id,
            data={"reason": reason},
        )

    def schedule(self, worker_id: str, account_id: int, at: datetime) -> None:
        self.event("reply_v2_scheduler_job_started", at, worker_id=worker_id, account_id=account_id)
        self.event(
            "reply_v2_scheduler_job_completed",
            at + timedelta(seconds=1),
            worker_id=worker_id,
            account_id=account_id,
        )

    def candidate(
        self,
        account_id: int,
        at: datetime,
        *,
        status: str = "queued",
        ttl: timedelta = CANDIDATE_TTL,
        skip_reason: str | None = None,
    ) -> int:
        post_id = str(next(self._posts))
        return self.insert_returning_id(
            insert(reply_candidate_queue)
            .values(
                account_id=account_id,
                candidate_post_id=post_id,
                author_id="u" + post_id,
                author_handle="someone",
                text="@acme how do I reset it?",
                summoned=True,
                score=0.8,
                tier="A",
                status=status,
                skip_reason=skip_reason,
                expires_at=at + ttl,
                created_at=at,
            )
            .returning(reply_candidate_queue.c.id)
        )

    def decision(
        self, account_id: int, candidate_id: int, at: datetime, target_post_id: str | None = None
    ) -> str:
        decision_id = "dec_" + uuid.uuid4().hex
        self.execute(
            insert(reply_decisions).values(
                decision_id=decision_id,
                account_id=account_id,
                candidate_id=candidate_id,
                target_post_id=target_post_id or f"target-{candidate_id}",
                reply_text="Hold the button for ten seconds.",
                generator="bank",
                created_at=at,
            )
        )
        return decision_id

    def permit(
        self,
        account_id: int,
        decision_id: str,
        at: datetime,
        *,
        status: str = "PENDING",
        worker_id: str | None = None,
        **values: Any,
    ) -> str:
        permit_id = "pmt_" + uuid.uuid4().hex
        self.execute(
            insert(post_attempts).values(
                permit_id=permit_id,
                decision_id=decision_id,
                account_id=account_id,
                pipeline_source="reply_v2_scheduler",
                status=status,
                created_at=at,
                expires_at=at + minutes(30),
                **values,
            )
        )
        self.event(
            "reply_v2_attempt_created",
            at,
            worker_id=worker_id,
            account_id=account_id,
            data={"decision_id": decision_id, "permit_id": permit_id, "candidate_id": 0},
        )
        return permit_id

    def reply(
        self, account_id: int, worker_id: str, at: datetime, *, status: str = "USED", **values: Any
    ) -> tuple[str, str]:
        """A candidate selected and replied to: its decision and permit. Returns both ids."""
        candidate_id = self.candidate(account_id, at - minutes(2), status="replied")
        decision_id = self.decision(account_id, candidate_id, at - minutes(1))
        if status == "USED":
            values = {
                "actual_tweet_id": str(next(self._posts)),
                "used_at": at,
                "claimed_sha": DEPLOYED_SHA,
                "claimed_by": worker_id,
                "fence": 1,
                **values,
            }
        permit_id = self.permit(
            account_id, decision_id, at - minutes(1), status=status, worker_id=worker_id, **values
        )
        if status == "USED":
            self.event(
                "reply_posted",
                at,
                worker_id=worker_id,
                account_id=account_id,
                data={"permit_id": permit_id, "post_id": values["actual_tweet_id"]},
            )
        return decision_id, permit_id

    def label_check(self, account_id: int, at: datetime, state: str = "attested") -> None:
        """The bot-label check a worker writes at boot (X: the operator's attestation)."""
        ok = state in {"verified", "applied", "attested"}
        data = {"state": state, "ok": ok, "live": True, "detail": "", "by": "w-new"}
        self.event("account_label_checked", at, worker_id="w-new", account_id=account_id, data=data)

    def ghost_scan(self, account_id: int, at: datetime, worker_id: str = "w-new") -> None:
        self.execute(
            insert(ghost_scans).values(
                account_id=account_id,
                scanned=20,
                ghosts=0,
                watermark="1999",
                worker_id=worker_id,
                created_at=at,
            )
        )
        self.event(
            "ghost_scan_completed",
            at,
            worker_id=worker_id,
            account_id=account_id,
            data={"scanned": 20, "ghosts": 0, "watermark": "1999"},
        )

    def ghost(
        self,
        account_id: int,
        at: datetime,
        *,
        acknowledged: bool = False,
        in_reply_to: str | None = None,
        tweet_id: str | None = None,
    ) -> int:
        tweet_id = tweet_id or str(next(self._posts))
        ghost_id = self.insert_returning_id(
            insert(ghost_tweets)
            .values(
                account_id=account_id,
                tweet_id=tweet_id,
                text="buy now",
                in_reply_to=in_reply_to,
                detected_at=at,
                classification="unexplained",
                acknowledged_at=at if acknowledged else None,
                acknowledged_by="ops" if acknowledged else None,
            )
            .returning(ghost_tweets.c.id)
        )
        self.event(
            "ghost_tweet_detected",
            at,
            worker_id="w-new",
            account_id=account_id,
            data={"tweet_id": tweet_id},
        )
        return ghost_id


def healthy(
    world: World,
    *,
    found_new: int = 2,
    queued: bool = True,
    replies: tuple[float, ...] = (20, 8),
    scans: bool = True,
) -> int:
    """Write an operational production, deployed 50 minutes ago; return the account id.

    `found_new` is what each fetch found (and queued), `queued` leaves one candidate waiting,
    `replies` are the minutes ago of traced replies, `scans` records ghost scans.
    """
    now = world.now
    account_id = world.account()
    # the previous release, now gone: its rows must not count for the new SHA
    world.deployment(OLD_SHA, now - minutes(300))
    world.boot("w-old", OLD_SHA, now - minutes(290), host="web-0")
    world.reports("w-old", OLD_SHA, [now - minutes(290 - 5 * step) for step in range(49)])
    world.deployment(DEPLOYED_SHA, now - minutes(50))
    world.boot("w-new", DEPLOYED_SHA, now - minutes(45))
    world.label_check(account_id, now - minutes(45))
    world.reports("w-new", DEPLOYED_SHA, [now - minutes(45 - 5 * step) for step in range(9)])
    for step in range(9):
        world.fetch(
            "w-new", account_id, now - minutes(44 - 5 * step), new=found_new, queued=found_new
        )
    for step in range(1, 45):
        world.schedule("w-new", account_id, now - minutes(step))
    if queued:
        world.candidate(account_id, now - minutes(4))
    for ago in replies:
        world.reply(account_id, "w-new", now - minutes(ago))
    if scans:
        for step in range(3):
            world.ghost_scan(account_id, now - minutes(40 - 15 * step))
    return account_id


def certify(engine: Engine, **options: Any) -> Report:
    """Certify at the world's moment (NOW unless `now` is given) with default cadences."""
    options.setdefault("now", NOW)
    return run_certification(engine, Settings(), CertifyOptions(**options))


def statuses(report: Report) -> str:
    """Return the statuses as one string, A to H: P pass, F fail, I inconclusive."""
    return "".join(check.status.value[0] for check in report.checks)


def result(report: Report, key: str) -> CheckResult:
    """Return one check's result."""
    return next(check for check in report.checks if check.key == key)
