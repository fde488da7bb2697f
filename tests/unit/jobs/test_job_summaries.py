"""Typed job summaries become the same JSON the runner stored before they were typed."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from xbot.domain.job_runs import JobRunStatus, LastRun, StalledRun, WorkerIdentity
from xbot.jobs.base import summary_data
from xbot.jobs.summaries import (
    FetchSummary,
    PermitCreated,
    PostSummary,
    ProbeSummary,
    ReconcileSummary,
    Recorded,
    Resolution,
    ScanSkipped,
    ScanSummary,
    SchedulePolicyBlocked,
    ScheduleSummary,
)
from xbot.jobs.watchdog import WatchdogReport


def test_a_fetch_summary_keeps_the_keys_certify_sums() -> None:
    summary = FetchSummary(
        fetched=5, new=4, evaluated=4, queued=3, skipped={"own_post": 1}, trimmed=0, watermark="9"
    )
    data = summary_data(summary)
    assert data == {
        "fetched": 5,
        "new": 4,
        "evaluated": 4,
        "queued": 3,
        "skipped": {"own_post": 1},
        "trimmed": 0,
        "watermark": "9",
    }
    assert json.loads(json.dumps(data)) == data


def test_a_scan_summary_and_a_skipped_scan_are_plain_json() -> None:
    scan = ScanSummary(
        scanned=2, ghosts=1, reconciled=0, watermark="7", previous_watermark=None, truncated=False
    )
    assert summary_data(scan) == {
        "scanned": 2,
        "ghosts": 1,
        "reconciled": 0,
        "watermark": "7",
        "previous_watermark": None,
        "truncated": False,
    }
    assert summary_data(ScanSkipped()) == {"skipped": "another worker is scanning this account"}
    assert summary_data(ProbeSummary(slot=3)) == {"slot": 3}


def test_a_mapping_summary_is_stored_as_it_is() -> None:
    assert summary_data({"claimed": 0, "expired": 1}) == {"claimed": 0, "expired": 1}


def test_a_schedule_summary_keeps_its_two_shapes() -> None:
    summary = ScheduleSummary(
        expired=1,
        queued=3,
        kept_for_hold=0,
        permits_created=1,
        permit_ids=("p1",),
        skipped={"min_gap": 1},
        waiting=1,
        budget=None,
    )
    assert summary_data(summary) == {
        "expired": 1,
        "queued": 3,
        "kept_for_hold": 0,
        "permits_created": 1,
        "permit_ids": ["p1"],
        "skipped": {"min_gap": 1},
        "waiting": 1,
        "budget": None,
        "review_expired": 0,
    }
    blocked = SchedulePolicyBlocked(expired=0, queued=2, kept_for_hold=0, blocked_by="policy")
    assert summary_data(blocked) == {
        "expired": 0,
        "queued": 2,
        "kept_for_hold": 0,
        "blocked_by": "policy",
        "permits_created": 0,
    }


def test_a_reconcile_summary_counts_each_resolution() -> None:
    resolutions = [Resolution.RECONCILED, Resolution.WAITING, Resolution.RECONCILED]
    summary = ReconcileSummary.of(lease_expired=1, read_back=7, resolutions=resolutions)
    assert (summary.unknown, summary.reconciled, summary.waiting, summary.failed) == (3, 2, 1, 0)
    data = summary_data(summary)
    assert (data["lease_expired"], data["read_back"], data["reconciled"]) == (1, 7, 2)
    assert set(data) == {"lease_expired", "unknown", "read_back", *(r.value for r in Resolution)}


def test_a_post_summary_keeps_its_shapes_in_order() -> None:
    assert list(summary_data(PostSummary(expired=2))) == ["expired", "claimed"]
    refused = PostSummary(expired=0, blocked="stale_code")
    assert summary_data(refused) == {"expired": 0, "claimed": 0, "blocked": "stale_code"}
    used = PostSummary.posted(expired=1, permit_id="pmt_1", recorded=Recorded(status="USED"))
    assert list(summary_data(used)) == ["expired", "claimed", "permit_id", "status"]
    assert summary_data(used) == {
        "expired": 1,
        "claimed": 1,
        "permit_id": "pmt_1",
        "status": "USED",
    }
    forbidden = Recorded(status="forbidden", reason="POSTING -> USED")
    data = summary_data(PostSummary.posted(expired=0, permit_id="pmt_2", recorded=forbidden))
    assert list(data) == ["expired", "claimed", "permit_id", "status", "reason"]


def test_a_watchdog_report_keeps_the_events_keys_and_warns_on_a_stall() -> None:
    at = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
    worker = WorkerIdentity(
        worker_id="w1", role="worker", git_sha="abc", sha_source="env", host="h", pid=7
    )
    last = LastRun(job="fetch", status=JobRunStatus.DONE, finished_at=at, error=None)
    report = WatchdogReport(
        worker=worker,
        jobs=(last,),
        stalled_runs=(),
        overdue_jobs=(),
        queue_size=2,
        permits_by_status={"USED": 1},
        streams=(),
        posting={"posting_allowed": True, "accounts": []},
    )
    data = report.as_data()
    assert list(data) == [
        "git_sha",
        "sha_source",
        "role",
        "worker_id",
        "host",
        "pid",
        "jobs",
        "stalled_runs",
        "overdue_jobs",
        "queue_size",
        "permits_by_status",
        "streams",
        "posting_allowed",
        "accounts",
    ]
    assert data["jobs"] == {
        "fetch": {"last_status": "done", "last_finished_at": at.isoformat(), "last_error": None}
    }
    assert report.severity == "info"
    stall = StalledRun(job_run_id=1, job="post", account_id=3, owner="w2", lease_until=None)
    stalled = WatchdogReport(**{**_fields(report), "stalled_runs": (stall,)})
    assert stalled.severity == "warning"
    assert stalled.as_data()["stalled_runs"] == [
        {"job_run_id": 1, "job": "post", "account_id": 3, "owner": "w2", "lease_until": None}
    ]


def _fields(report: object) -> dict[str, object]:
    return {name: getattr(report, name) for name in report.__slots__}


def test_a_fetch_summary_as_a_streams_backfill_keeps_its_counts() -> None:
    summary = FetchSummary(
        fetched=5, new=4, evaluated=4, queued=3, skipped={}, trimmed=0, watermark="9"
    )
    assert summary.backfill_data() == {"fetched": 5, "new": 4, "queued": 3}
    capped = FetchSummary(
        fetched=0, new=0, evaluated=0, queued=0, skipped={}, trimmed=0, watermark=None,
        cost_cap="daily cap reached",
    )  # fmt: skip
    assert list(capped.backfill_data()) == ["fetched", "new", "queued", "cost_cap"]


def test_a_created_permit_keeps_its_events_keys_and_says_when_it_awaits_review() -> None:
    created = PermitCreated(
        decision_id="dec_1", permit_id="pmt_1", candidate_id=7, target_post_id="t1",
        generator="bank",
    )  # fmt: skip
    assert created.as_data() == {
        "decision_id": "dec_1",
        "permit_id": "pmt_1",
        "candidate_id": 7,
        "target_post_id": "t1",
        "generator": "bank",
    }
    reviewed = PermitCreated(**{**_fields(created), "awaiting_review": True})
    assert list(reviewed.as_data())[-1] == "status"
    assert reviewed.as_data()["status"] == "AWAITING_REVIEW"
