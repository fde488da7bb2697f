"""`xbot trace ID`: candidate -> decision -> permit -> post -> read-back, found from any id."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from typing import Any

from sqlalchemy import ColumnElement, func, or_, select
from sqlalchemy.engine import Connection, RowMapping

from xbot.domain.clock import ensure_utc
from xbot.domain.rate_card import WRITES
from xbot.store.tables import (
    ghost_scans,
    ghost_tweets,
    platform_usage,
    post_attempts,
    reply_candidate_queue,
    reply_decisions,
    system_events,
    workers,
)

#: ghost scans looked at after the post, to find the one that read it back
SCANS_CONSIDERED = 50


@dataclass(frozen=True, kw_only=True, slots=True)
class Trace:
    """Everything xbot recorded about one reply, each part None when it does not exist."""

    candidate: RowMapping | None = None
    decision: RowMapping | None = None
    permit: RowMapping | None = None
    #: events about the decision or permit, oldest first, with the worker's git_sha
    events: list[RowMapping] = field(default_factory=list)
    #: the ghost scan that read the post back, if one did
    read_back: RowMapping | None = None
    #: the ghost row when the id is a post no permit explains
    ghost: RowMapping | None = None
    #: what the reply cost: its write, and its share of the day's reads
    cost: ReplyCost | None = None


@dataclass(frozen=True, kw_only=True, slots=True)
class ReplyCost:
    """One reply's cost in micro-dollars: the publish, plus the reads that found it, shared.

    Reads are attributed evenly: the account's read cost on the candidate's UTC day divided by
    the candidates it fetched that day.
    """

    write_micro: int
    billed_as: str | None
    reads_micro: int
    reads_shared_by: int

    @property
    def total_micro(self) -> int:
        """Return write and attributed reads together."""
        return self.write_micro + self.reads_micro


def _one(connection: Connection, table: Any, condition: ColumnElement[bool]) -> RowMapping | None:
    return connection.execute(select(table).where(condition).limit(1)).mappings().first()


def find_trace(connection: Connection, identifier: str) -> Trace | None:
    """Return the chain for a candidate id or post id, decision id, permit id or posted id."""
    identifier = identifier.strip()
    permit = _one(
        connection,
        post_attempts,
        or_(post_attempts.c.permit_id == identifier, post_attempts.c.actual_tweet_id == identifier),
    )
    decision = _find_decision(connection, identifier, permit)
    candidate = _find_candidate(connection, identifier, decision)
    if decision is None and candidate is not None:
        decision = _one(connection, reply_decisions, reply_decisions.c.candidate_id == candidate.id)
    if decision is not None and permit is None:
        permit = _one(
            connection, post_attempts, post_attempts.c.decision_id == decision.decision_id
        )
    ghost = _one(connection, ghost_tweets, ghost_tweets.c.tweet_id == identifier)
    if not any((candidate, decision, permit, ghost)):
        return None
    events = _events(connection, decision, permit)
    return Trace(
        candidate=candidate,
        decision=decision,
        permit=permit,
        events=events,
        read_back=_read_back(connection, permit),
        ghost=ghost,
        cost=_reply_cost(connection, candidate, events),
    )


def _reply_cost(
    connection: Connection, candidate: RowMapping | None, events: list[RowMapping]
) -> ReplyCost | None:
    if candidate is None:
        return None
    # the publish's outcome event carries what the write cost: reply_posted, or permit_unknown
    # when the answer was lost after the request was sent (billed all the same)
    charged = [data for event in events if "cost_micro_usd" in (data := event["event_data"] or {})]
    write_micro = sum(int(data["cost_micro_usd"]) for data in charged)
    billed_as = str(charged[-1]["billed_as"]) if charged and "billed_as" in charged[-1] else None
    day = ensure_utc(candidate.created_at).date()
    start = datetime.combine(day, time(), tzinfo=UTC)
    reads = connection.execute(
        select(func.coalesce(func.sum(platform_usage.c.cost_micro_usd), 0)).where(
            platform_usage.c.account_id == candidate.account_id,
            platform_usage.c.day == day,
            platform_usage.c.endpoint_class.not_in([name.value for name in WRITES]),
        )
    ).scalar_one()
    shared = connection.execute(
        select(func.count()).where(
            reply_candidate_queue.c.account_id == candidate.account_id,
            reply_candidate_queue.c.created_at >= start,
            reply_candidate_queue.c.created_at < start + timedelta(days=1),
        )
    ).scalar_one()
    return ReplyCost(
        write_micro=write_micro,
        billed_as=billed_as,
        reads_micro=int(reads) // max(int(shared), 1),
        reads_shared_by=int(shared),
    )


def newest_post_id(connection: Connection) -> str | None:
    """Return the post id of the newest USED permit, read-back ones first; None when none."""
    value = connection.execute(
        select(post_attempts.c.actual_tweet_id)
        .where(post_attempts.c.status == "USED")
        .order_by(post_attempts.c.reconciled.desc(), post_attempts.c.used_at.desc())
        .limit(1)
    ).scalar()
    return str(value) if value else None


def _find_decision(
    connection: Connection, identifier: str, permit: RowMapping | None
) -> RowMapping | None:
    if permit is not None:
        return _one(
            connection, reply_decisions, reply_decisions.c.decision_id == permit.decision_id
        )
    return _one(
        connection,
        reply_decisions,
        or_(
            reply_decisions.c.decision_id == identifier,
            reply_decisions.c.target_post_id == identifier,
        ),
    )


def _find_candidate(
    connection: Connection, identifier: str, decision: RowMapping | None
) -> RowMapping | None:
    if decision is not None:
        return _one(
            connection, reply_candidate_queue, reply_candidate_queue.c.id == decision.candidate_id
        )
    matches = reply_candidate_queue.c.candidate_post_id == identifier
    if identifier.isdigit() and len(identifier) < 12:
        matches = or_(matches, reply_candidate_queue.c.id == int(identifier))
    return _one(connection, reply_candidate_queue, matches)


def _events(
    connection: Connection, decision: RowMapping | None, permit: RowMapping | None
) -> list[RowMapping]:
    conditions = []
    if decision is not None:
        decision_id = system_events.c.event_data["decision_id"].as_string()
        conditions.append(decision_id == decision.decision_id)
    if permit is not None:
        conditions.append(system_events.c.event_data["permit_id"].as_string() == permit.permit_id)
    if not conditions:
        return []
    # An event about a permit or decision belongs to its account (or to none, like an operator's
    # action): the (account_id, id) index narrows ten million events to that account's few
    # before the JSON fields are compared, instead of reading every event.
    owner = next(row["account_id"] for row in (permit, decision) if row is not None)
    events = system_events.c
    query = (
        select(system_events, workers.c.git_sha)
        .select_from(system_events.outerjoin(workers, workers.c.worker_id == events.worker_id))
        .where(or_(events.account_id == owner, events.account_id.is_(None)), or_(*conditions))
        .order_by(system_events.c.created_at, system_events.c.id)
    )
    return list(connection.execute(query).mappings())


def _read_back(connection: Connection, permit: RowMapping | None) -> RowMapping | None:
    if permit is None or permit.actual_tweet_id is None or permit.used_at is None:
        return None
    query = (
        select(ghost_scans, workers.c.git_sha)
        .select_from(ghost_scans.outerjoin(workers, workers.c.worker_id == ghost_scans.c.worker_id))
        .where(
            ghost_scans.c.account_id == permit.account_id,
            ghost_scans.c.created_at >= permit.used_at,
        )
        .order_by(ghost_scans.c.created_at, ghost_scans.c.id)
        .limit(SCANS_CONSIDERED)
    )
    for scan in connection.execute(query).mappings():
        if _reaches(scan.watermark, permit.actual_tweet_id):
            return scan
    return None


def _reaches(watermark: str | None, post_id: str) -> bool:
    """Return True when a scan's watermark is at or past the post (ids compare as integers)."""
    if watermark is None:
        return False
    if watermark.isdigit() and post_id.isdigit():
        return int(watermark) >= int(post_id)
    return watermark >= post_id
