"""The console's read model and actions over the database (`web.ports.Console`).

wiring.py builds one per serving process and hands it to the web app; `xbot status` uses the
same overview. Reads own their connection; actions go through `operations`.
"""

from __future__ import annotations

import functools
import json
import threading
import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Engine

from xbot import operations, operations_review
from xbot.certify.data import jsonable, report_data
from xbot.certify.run import run_certification
from xbot.config import Settings
from xbot.domain.errors import ConfigError
from xbot.store.engine import translated_errors
from xbot.store.queries import console as queries
from xbot.store.queries import controls, deployments, labels
from xbot.store.queries.common import database_now
from xbot.store.queries.ghosts import list_ghosts
from xbot.store.queries.job_runs import stalled_runs
from xbot.store.queries.status import queue_size
from xbot.views import trace_data
from xbot.web.ports import EventFilter, Page, ReplyFilter

#: how long a certification report is reused before the next request computes a fresh one
CERTIFY_CACHE_SECONDS = 5.0
#: how many of the newest posts the Overview lists
LAST_POSTS = 5
#: the pipeline's windows, the width of their chart's buckets, and how long a computed funnel is
#: reused: counting a week of a million permits takes seconds, and a minute-old weekly funnel
#: tells the operator the same thing
WINDOWS = {
    "1h": (timedelta(hours=1), 300, 5.0),
    "24h": (timedelta(hours=24), 3600, 30.0),
    "7d": (timedelta(days=7), 6 * 3600, 60.0),
}


class CachedReport:
    """One certification report, recomputed when older than `seconds` (one caller at a time)."""

    def __init__(self, compute: Callable[[], dict[str, Any]], seconds: float) -> None:
        self._compute = compute
        self._seconds = seconds
        self._lock = threading.Lock()
        self._report: dict[str, Any] | None = None
        self._at = 0.0

    def get(self, *, fresh: bool = False) -> dict[str, Any]:
        """Return the report, computing it when stale or when `fresh` is asked."""
        with self._lock:
            if fresh or self._report is None or time.monotonic() - self._at > self._seconds:
                self._report = self._compute()
                self._at = time.monotonic()
            return self._report


class ConsoleService:
    """Reads for every console page and the operator's actions, on one engine."""

    def __init__(self, engine: Engine, settings: Settings) -> None:
        self.engine = engine
        self.settings = settings
        self._report = CachedReport(self._certify, CERTIFY_CACHE_SECONDS)
        self._pipelines = {
            window: CachedReport(functools.partial(self._pipeline, window), reuse)
            for window, (_span, _bucket, reuse) in WINDOWS.items()
        }

    def overview(self) -> dict[str, Any]:
        """Return the verdict and blocker, the SHAs, the kill switch and each account's state."""
        report = self._report.get()
        with translated_errors(), self.engine.connect() as connection:
            switch = controls.kill_switch_state(connection)
            deployment = deployments.active_deployment(connection)
            drain = controls.kill_switch(connection)["drain"]
            queued = queue_size(connection, database_now(connection))
            names = queries.account_names(connection)
            posts = queries.replies_page(connection, status="USED", limit=LAST_POSTS)
            checked = labels.newest_label_checks(connection)
        by_name = {name: checked.get(account_id) for account_id, name in names.items()}
        accounts = [
            {**account, "label": labels.label_summary(by_name.get(account["account"]))}
            for account in report["accounts"]
        ]
        last = [{**jsonable(row), "account": names.get(row["account_id"])} for row in posts]
        return {
            "generated_at": report["generated_at"],
            "verdict": report["verdict"],
            "blocker": report["blocker"],
            "next_actions": report["next_actions"],
            "running_sha": report["running_sha"],
            "sha_source": report["sha_source"],
            "declared_sha": deployment.sha if deployment else None,
            "kill_switch": {"on": switch.on, "drain": drain, "by": switch.by,
                            "since": jsonable(switch.since)},
            "accounts": accounts,
            "queue": queued,
            "last_posts": last[:LAST_POSTS],
        }  # fmt: skip

    def pipeline(self, window: str) -> dict[str, Any]:
        """Return the funnel per account and the posts/skips series over `window` (cached)."""
        if window not in WINDOWS:
            raise ConfigError(f"unknown window {window!r}: choose one of {', '.join(WINDOWS)}")
        return self._pipelines[window].get()

    def _pipeline(self, window: str) -> dict[str, Any]:
        span, seconds, _reuse = WINDOWS[window]
        with translated_errors(), self.engine.connect() as connection:
            now = database_now(connection)
            since = now - span
            names = queries.account_names(connection)
            funnel = _funnel(
                names,
                candidates=queries.candidate_counts(connection, since),
                decisions=queries.decision_counts(connection, since),
                permits=queries.permit_counts(connection, since),
                posted=queries.posted_counts(connection, since),
            )
            posts = queries.post_series(connection, since, seconds)
            skips = queries.skip_series(connection, since, seconds)
        first = int(since.timestamp()) // seconds
        buckets = range(first, int(now.timestamp()) // seconds + 1)
        series = [
            {"start": jsonable(datetime.fromtimestamp(key * seconds, UTC)),
             "posts": posts.get(key, 0), "skips": skips.get(key, 0)}
            for key in buckets
        ]  # fmt: skip
        return {"window": window, "since": jsonable(since), "counted_at": jsonable(now),
                "accounts": funnel, "series": series}  # fmt: skip

    def replies(self, wanted: ReplyFilter) -> Page:
        """Return one page of replies, newest first, with their mention and permit."""
        with translated_errors(), self.engine.connect() as connection:
            names = queries.account_names(connection)
            rows = queries.replies_page(
                connection,
                account_id=_account_id(names, wanted.account),
                status=wanted.state or None,
                text=wanted.text or None,
                before=_reply_cursor(wanted.before),
                limit=wanted.limit,
            )
        items = [{**jsonable(row), "account": names.get(row["account_id"])} for row in rows]
        more = len(items) > wanted.limit
        items = items[: wanted.limit]
        last = items[-1] if more else None
        cursor = f"{last['created_at']}|{last['permit_id']}" if last else None
        return {"items": items, "next": cursor, "accounts": sorted(names.values())}

    def trace(self, identifier: str) -> dict[str, Any] | None:
        """Return the chain any id names (as `xbot trace --json`), or None."""
        found = operations.trace(self.engine, identifier)
        return None if found is None else trace_data(found)

    def ghosts(self, *, include_acknowledged: bool) -> Page:
        """Return ghosts, newest first."""
        with translated_errors(), self.engine.connect() as connection:
            rows = list_ghosts(connection, include_acknowledged=include_acknowledged)
        return {"items": jsonable(rows), "next": None}

    def certify(self) -> dict[str, Any]:
        """Return the cached certification report."""
        return self._report.get()

    def workers(self, before: int | None) -> dict[str, Any]:
        """Return workers, job health over a day, stalled runs and one page of job runs."""
        with translated_errors(), self.engine.connect() as connection:
            now = database_now(connection)
            names = queries.account_names(connection)
            page = queries.job_runs_page(connection, before_id=before)
            result = {
                "now": jsonable(now),
                "workers": jsonable(queries.worker_rows(connection)),
                "jobs": jsonable(queries.job_health(connection, now - timedelta(days=1))),
                "stalled": stalled_runs(connection, now),
            }
        for row in (*result["jobs"], *page):
            row["account"] = names.get(row["account_id"], "-")
        more = len(page) > 50
        runs = jsonable(page[:50])
        return {**result, "runs": runs, "next": runs[-1]["id"] if more else None}

    def events(self, wanted: EventFilter) -> Page:
        """Return one page of events, newest first."""
        with translated_errors(), self.engine.connect() as connection:
            names = queries.account_names(connection)
            rows = queries.events_page(
                connection,
                event_type=wanted.event_type or None,
                severity=wanted.severity or None,
                account_id=_account_id(names, wanted.account),
                before_id=wanted.before,
                limit=wanted.limit,
            )
        items = [{**jsonable(_decoded(row)), "account": names.get(row["account_id"])}
                 for row in rows[: wanted.limit]]  # fmt: skip
        cursor = items[-1]["id"] if len(rows) > wanted.limit else None
        return {"items": items, "next": cursor, "accounts": sorted(names.values())}

    def pause(self, by: str, *, drain: bool) -> None:
        """Turn the kill switch on, recording `by` through the web door."""
        operations.pause(self.engine, operations.Actor(name=by, via="web"), drain=drain)

    def resume(self, by: str) -> None:
        """Turn the kill switch off, recording `by` through the web door."""
        operations.resume(self.engine, operations.Actor(name=by, via="web"))

    def acknowledge_ghost(self, identifier: str, by: str, reason: str) -> dict[str, Any] | None:
        """Acknowledge a ghost with who and why; None when there is no such ghost."""
        actor = operations.Actor(name=by, via="web")
        ghost = operations.acknowledge_ghost(self.engine, actor, identifier, reason=reason)
        if ghost is None:
            return None
        return {"ghost_id": ghost.ghost_id, "post_id": ghost.post_id,
                "acknowledged_by": ghost.acknowledged_by}  # fmt: skip

    def certify_now(self) -> dict[str, Any]:
        """Run certification now and return the report."""
        return self._report.get(fresh=True)

    def reviews(self) -> dict[str, Any]:
        """Return the replies waiting for review (xbot.operations_review.list_reviews)."""
        return {"items": operations_review.list_reviews(self.engine)}

    def review_approve(self, permit_id: str, by: str, sha256: str | None) -> dict[str, Any]:
        """Approve the exact text through the web door."""
        actor = operations.Actor(name=by, via="web")
        done = operations_review.approve(self.engine, actor, permit_id, sha256)
        return {"permit_id": permit_id, "status": done.permit.status.value,
                "approved_sha256": done.permit.approved_sha256, "approved_by": by}  # fmt: skip

    def review_reject(self, permit_id: str, by: str, reason: str) -> dict[str, Any]:
        """Reject the reply through the web door."""
        actor = operations.Actor(name=by, via="web")
        done = operations_review.reject(self.engine, actor, permit_id, reason)
        return {"permit_id": permit_id, "status": done.permit.status.value,
                "reason": done.permit.failure_reason}  # fmt: skip

    def _certify(self) -> dict[str, Any]:
        return report_data(run_certification(self.engine, self.settings))


def _funnel(
    names: Mapping[int, str],
    *,
    candidates: list[dict[str, Any]],
    decisions: Mapping[int, int],
    permits: list[dict[str, Any]],
    posted: Mapping[int, int],
) -> list[dict[str, Any]]:
    rows: dict[int, dict[str, Any]] = {
        account_id: {"account": name, "fetched": 0, "queued": 0, "skipped": {},
                     "decided": decisions.get(account_id, 0), "permits": {},
                     "posted": posted.get(account_id, 0)}
        for account_id, name in sorted(names.items(), key=lambda item: item[1])
    }  # fmt: skip
    for row in candidates:
        entry = rows.get(row["account_id"])
        if entry is None:
            continue
        entry["fetched"] += row["n"]
        if row["status"] == "queued":
            entry["queued"] += row["n"]
        if row["status"] in {"skipped", "expired"}:
            reason = row["skip_reason"] or row["status"]
            entry["skipped"][reason] = entry["skipped"].get(reason, 0) + row["n"]
    for row in permits:
        if row["account_id"] in rows:
            rows[row["account_id"]]["permits"][row["status"]] = row["n"]
    return list(rows.values())


def _account_id(names: Mapping[int, str], account: str | None) -> int | None:
    if not account:
        return None
    for account_id, name in names.items():
        if name == account:
            return account_id
    example = next(iter(names.values()), "x:replybot")
    raise ConfigError(f"no account {account!r}: give platform:handle, e.g. {example}")


def _reply_cursor(cursor: str | None) -> tuple[datetime, str] | None:
    if not cursor:
        return None
    moment, _, permit_id = cursor.partition("|")
    try:
        return datetime.fromisoformat(moment), permit_id
    except ValueError:
        raise ConfigError(f"bad cursor {cursor!r}: follow the page's 'next' link") from None


def _decoded(row: Mapping[str, Any]) -> dict[str, Any]:
    data = row.get("event_data")
    if isinstance(data, str):  # SQLite hands JSON back as text on some paths
        data = json.loads(data)
    return {**row, "event_data": data}
