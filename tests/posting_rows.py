"""Rows the posting tests need (account, candidate, decision, permit) and a JobContext to run jobs.

The schedule job normally writes candidates, decisions and permits; these helpers write the same
rows directly so the posting protocol can be tested on its own.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Engine, insert, select, update

from xbot.config import AccountSettings, BudgetSettings, Settings
from xbot.domain.permits import Permit
from xbot.domain.ports import Platform
from xbot.jobs.base import Account, JobContext, WorkerIdentity
from xbot.store.queries.controls import KILL_SWITCH, set_control
from xbot.store.queries.deployments import mark_deployment
from xbot.store.sql import SqlStore
from xbot.store.tables import (
    accounts,
    post_attempts,
    reply_candidate_queue,
    reply_decisions,
    system_events,
)

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


@dataclass(frozen=True, kw_only=True, slots=True)
class PermitRows:
    """The ids of one candidate -> decision -> permit chain."""

    candidate_id: int
    decision_id: str
    permit_id: str
    target_post_id: str
    text: str


def add_account(engine: Engine, handle: str = "bot", created_at: datetime | None = None) -> int:
    """Insert an X account row; return its id."""
    with engine.begin() as connection:
        return int(
            connection.execute(
                insert(accounts)
                .values(
                    platform="x",
                    handle=handle,
                    platform_user_id="1000",
                    created_at=created_at or T0 - timedelta(days=30),
                )
                .returning(accounts.c.id)
            ).scalar_one()
        )


def add_permit(
    engine: Engine,
    account_id: int,
    *,
    target: str | None = None,
    text: str | None = None,
    now: datetime = T0,
    expires_in: timedelta | None = timedelta(hours=1),
    **permit_columns: Any,
) -> PermitRows:
    """Insert a candidate, its decision and a PENDING permit (unless permit_columns say else)."""
    target = target or str(uuid.uuid4().int % 10**18)
    text = text or f"Thanks for asking! ({target})"
    decision_id, permit_id = "dec_" + uuid.uuid4().hex, "pmt_" + uuid.uuid4().hex
    with engine.begin() as connection:
        candidate_id = int(
            connection.execute(
                insert(reply_candidate_queue)
                .values(
                    account_id=account_id,
                    candidate_post_id=target,
                    author_id="42",
                    author_handle="ann",
                    text="@bot what is this?",
                    posted_at=now,
                    summoned=True,
                    score=0.9,
                    tier="A",
                    status="selected",
                    created_at=now,
                    expires_at=now + timedelta(hours=1),
                )
                .returning(reply_candidate_queue.c.id)
            ).scalar_one()
        )
        connection.execute(
            insert(reply_decisions).values(
                decision_id=decision_id,
                account_id=account_id,
                candidate_id=candidate_id,
                target_post_id=target,
                reply_text=text,
                generator="bank",
                created_at=now,
            )
        )
        connection.execute(
            insert(post_attempts).values(
                permit_id=permit_id,
                decision_id=decision_id,
                account_id=account_id,
                created_at=now,
                expires_at=now + expires_in if expires_in is not None else None,
                **permit_columns,
            )
        )
    return PermitRows(
        candidate_id=candidate_id,
        decision_id=decision_id,
        permit_id=permit_id,
        target_post_id=target,
        text=text,
    )


def load_permit(engine: Engine, permit_id: str) -> Permit:
    """Return the permit as stored."""
    with engine.connect() as connection:
        row = (
            connection.execute(select(post_attempts).where(post_attempts.c.permit_id == permit_id))
            .mappings()
            .one()
        )
    return Permit.from_row(dict(row))


def set_permit(engine: Engine, permit_id: str, **values: Any) -> None:
    """Overwrite columns of a permit (to stage a state the jobs must handle)."""
    with engine.begin() as connection:
        connection.execute(
            update(post_attempts).where(post_attempts.c.permit_id == permit_id).values(**values)
        )


def candidate_status(engine: Engine, candidate_id: int) -> str:
    """Return a candidate's status."""
    with engine.connect() as connection:
        return str(
            connection.execute(
                select(reply_candidate_queue.c.status).where(
                    reply_candidate_queue.c.id == candidate_id
                )
            ).scalar_one()
        )


def events(engine: Engine, event_type: str | None = None) -> list[dict[str, Any]]:
    """Return events (oldest first) as dicts with event_data merged in, optionally of one type."""
    query = select(system_events).order_by(system_events.c.id)
    if event_type is not None:
        query = query.where(system_events.c.event_type == event_type)
    with engine.connect() as connection:
        rows = connection.execute(query).mappings().all()
    return [
        {
            **row["event_data"],
            "event_type": row["event_type"],
            "worker_id": row["worker_id"],
            "severity": row["severity"],
        }
        for row in rows
    ]


def declare_deployment(engine: Engine, sha: str, now: datetime = T0) -> None:
    """Do what `xbot deploy mark --sha` does."""
    with engine.begin() as connection:
        mark_deployment(connection, sha, now=now, declared_by="test", note=None)


def set_kill_switch(engine: Engine, *, on: bool, drain: bool = False, now: datetime = T0) -> None:
    """Do what `xbot pause` / `xbot resume` do."""
    with engine.begin() as connection:
        set_control(connection, KILL_SWITCH, {"on": on, "drain": drain}, now=now, updated_by="test")


def make_context(
    engine: Engine,
    account_id: int,
    platform: Platform,
    *,
    now: datetime = T0,
    worker_id: str = "worker-1",
    git_sha: str = "abc123",
    role: str = "worker",
    per_hour: int = 1000,
    per_day: int = 10000,
    lease_seconds: float = 60.0,
) -> JobContext:
    """Return the context the runner would hand a per-account job."""
    settings = Settings(lease_seconds=lease_seconds)
    budgets = BudgetSettings(per_hour=per_hour, per_day=per_day, min_gap_seconds=0)
    account = Account(
        account_id=account_id,
        platform="x",
        handle="bot",
        platform_user_id="1000",
        settings=AccountSettings(platform="x", handle="bot", budgets=budgets),
    )
    worker = WorkerIdentity(
        worker_id=worker_id, role=role, git_sha=git_sha, sha_source="test", host="test", pid=1
    )
    return JobContext(
        store=SqlStore(engine),
        settings=settings,
        worker=worker,
        now=now,
        account=account,
        platform_for=lambda _account: platform,
    )
