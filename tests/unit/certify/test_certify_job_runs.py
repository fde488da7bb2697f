"""Certify reads a job's run counts once, as typed fields, from the facts its query returned."""

from __future__ import annotations

from datetime import UTC, datetime

from xbot.certify.model import JobRuns

AT = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def test_counts_and_times_come_from_the_row() -> None:
    facts = {
        "started": 3,
        "completed": 2,
        "failed": 1,
        "last_started_at": AT,
        "last_completed_at": AT,
        "found_new": 5,
        "queued": 4,
    }
    runs = JobRuns.from_facts(facts)
    assert (runs.started, runs.completed, runs.failed) == (3, 2, 1)
    assert (runs.found_new, runs.queued) == (5, 4)
    assert runs.last_started_at == runs.last_completed_at == AT


def test_nulls_and_missing_columns_count_as_nothing() -> None:
    runs = JobRuns.from_facts({"started": None, "completed": "2", "last_started_at": None})
    assert runs == JobRuns(completed=2)
    assert JobRuns.from_facts({}) == JobRuns()
