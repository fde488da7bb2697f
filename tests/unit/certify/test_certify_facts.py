"""Each check's typed facts print the JSON keys the report has always had, in the same order."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from xbot.certify.data import jsonable
from xbot.certify.facts_accounts import AccountRow, AccountsFacts
from xbot.certify.facts_compliance import ComplianceFacts, Violation
from xbot.certify.facts_deploy import RunningShaFacts, WorkerAliveFacts
from xbot.certify.facts_pipeline import (
    AcceptedPermit,
    FetchFacts,
    QueueFacts,
    SchedulerFacts,
    TraceChain,
    TraceChainFacts,
)
from xbot.certify.facts_safety import Duplicate, Ghost, GhostFacts, StuckFacts
from xbot.certify.model import CheckResult, JobRuns, NoFacts, Status, facts_of
from xbot.domain.account_state import PostingState

AT = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
RUNS = ["started", "completed", "failed", "last_started_at", "last_completed_at"]
PERMIT = AcceptedPermit(permit_id="pmt_1", decision_id="dec_1", status="PENDING", created_at=AT)
CHAIN = TraceChain(
    decision_id="dec_1",
    permit_id="pmt_1",
    posted_id="p1",
    used_at=AT,
    claimed_sha="abc",
    candidate_id=7,
    candidate_post_id="c1",
    target_post_id="t1",
)


def test_running_sha_keys() -> None:
    row = {"git_sha": "abc", "declared_sha": "def", "booted_at": AT, "declared_at": "no"}
    facts = RunningShaFacts.from_row(row, expect_sha=None, require_deploy_mark=True)
    assert list(facts.as_data()) == [
        "running_sha",
        "sha_source",
        "worker_id",
        "host",
        "booted_at",
        "declared_sha",
        "declared_at",
        "declared_by",
        "expected_sha",
        "expected_from",
        "require_deploy_mark",
    ]
    assert (facts.expected_sha, facts.expected_from, facts.declared_at) == (
        "def",
        "deployment",
        None,
    )
    given = RunningShaFacts.from_row(row, expect_sha="123", require_deploy_mark=False)
    assert (given.expected_sha, given.expected_from) == ("123", "--expect-sha")


def test_worker_alive_keys() -> None:
    facts = WorkerAliveFacts.from_row({"reports": 2, "workers": None, "last_report_at": AT})
    assert facts.as_data() == {
        "reports": 2,
        "workers": 0,
        "last_report_at": AT,
        "sha_booted_at": None,
    }


def test_fetch_keys_add_the_failure_only_when_read_and_streams_only_when_any() -> None:
    plain = ["found_new", "queued"]
    assert list(FetchFacts(runs=JobRuns(completed=1)).as_data()) == [*RUNS, *plain]
    failed = FetchFacts(runs=JobRuns(failed=2), failure_reason=None, streams="x connected")
    assert list(failed.as_data()) == [*RUNS, *plain, "failure_reason", "streams"]
    assert failed.as_data()["failure_reason"] is None


def test_queue_keys_add_the_recent_counts_only_when_nothing_is_queued() -> None:
    queued = QueueFacts(queued_unexpired=3, newest_queued_at=AT)
    assert list(queued.as_data()) == ["queued_unexpired", "newest_queued_at"]
    empty = QueueFacts(recent={"selected": 2}, taken=2, settled=2)
    assert empty.as_data() == {
        "queued_unexpired": 0,
        "newest_queued_at": None,
        "recent": {"selected": 2},
        "taken": 2,
        "settled": 2,
    }


def test_scheduler_keys_add_permits_by_status_only_without_an_accepted_permit() -> None:
    keys = ["started", "completed", "failed", "attempts_created"]
    keys += ["last_started_at", "last_completed_at", "since", "permit"]
    accepted = SchedulerFacts(since=AT, permit=PERMIT).as_data()
    assert list(accepted) == keys
    assert list(accepted["permit"]) == [
        "permit_id",
        "decision_id",
        "status",
        "created_at",
        "not_before",
    ]
    refused = SchedulerFacts(since=AT, permits_by_status={"FAILED": 1}).as_data()
    assert list(refused) == [*keys, "permits_by_status"]


def test_trace_chain_keys() -> None:
    facts = TraceChainFacts(chain=CHAIN, permit="pmt_1", since=AT).as_data()
    assert list(facts) == ["chain", "permit", "since"]
    assert list(facts["chain"]) == [
        "decision_id",
        "permit_id",
        "posted_id",
        "used_at",
        "claimed_sha",
        "candidate_id",
        "candidate_post_id",
        "target_post_id",
    ]
    assert TraceChainFacts(since=AT).as_data()["chain"] is None


def test_ghost_keys() -> None:
    ghost = Ghost.from_row(
        {"id": 3, "handle": "acme", "post_id": "9", "classification": "manual", "detected_at": AT}
    )
    facts = GhostFacts(accounts=("acme",), ghosts=(ghost,), blocked={"posting_blocked_budget": 1})
    data = facts.as_data()
    assert list(data) == ["accounts", "unscanned", "ghosts", "blocked"]
    assert data["ghosts"] == [
        {
            "id": 3,
            "handle": "acme",
            "post_id": "9",
            "classification": "manual",
            "detected_at": AT,
            "text": None,
        }
    ]


def test_stuck_keys() -> None:
    duplicate = Duplicate.from_row(
        {"account_id": 1, "target_post_id": "t", "answers": 2, "used_permits": 1}
    )
    data = StuckFacts(stuck=("pmt_1",), duplicates=(duplicate,)).as_data()
    assert list(data) == [
        "stuck",
        "reconciling",
        "duplicates",
        "reviewed_posts",
        "review_violations",
    ]
    assert data["duplicates"] == [
        {
            "account_id": 1,
            "target_post_id": "t",
            "answers": 2,
            "used_permits": 1,
            "ghost_replies": 0,
            "first_permit_id": None,
            "last_permit_id": None,
        }
    ]


def test_accounts_keys() -> None:
    row = AccountRow(account="x:acme", state=PostingState.POSTING, posts_today=2, per_day=30)
    data = AccountsFacts(accounts=(row,), explains=("F",)).as_data()
    assert list(data) == ["accounts", "explains", "shadow_accounts"]
    assert jsonable(data["accounts"])[0]["state"] == "posting"
    assert json.dumps(jsonable(data["accounts"])[0]["mode"]) == '"live"'
    assert list(data["accounts"][0]) == [
        "account",
        "state",
        "reason",
        "detail",
        "since",
        "until",
        "posts_today",
        "per_day",
        "mode",
    ]


def test_compliance_keys() -> None:
    violation = Violation(permit_id="pmt_1", account="x:acme", rule="link", detail="a link")
    data = ComplianceFacts(since=AT, posts=1, violations=(violation,)).as_data()
    assert list(data) == [
        "since",
        "posts",
        "violations",
        "unlabelled",
        "unchecked",
        "accounts",
        "overspent",
        "spend",
    ]
    assert jsonable(data["violations"]) == [
        {"permit_id": "pmt_1", "account": "x:acme", "rule": "link", "detail": "a link"}
    ]


def test_facts_of_names_a_check_that_recorded_another_type() -> None:
    result = CheckResult(key="B", title="B", status=Status.PASS, explanation="")
    assert result.facts == NoFacts()
    assert result.facts.as_data() == {}
    with pytest.raises(TypeError, match="check B recorded NoFacts, not WorkerAliveFacts"):
        facts_of(result, WorkerAliveFacts)
