"""The runner's runs and the workers' rows behave the same on every store."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from xbot.domain.audit import NewEvent
from xbot.domain.job_runs import JobRunStatus, SlotOpening, WorkerIdentity
from xbot.domain.stores import Store

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
LEASE = timedelta(minutes=5)
#: a lease that is over the moment it is granted: the next claim may take the run
EXPIRED = timedelta(seconds=-1)


def test_a_slot_is_opened_once_and_a_newer_slot_skips_older_pending_runs(store: Store) -> None:
    assert store.job_runs.open_slot("fetch", 1, 7, T0)
    assert not store.job_runs.open_slot("fetch", 1, 7, T0)
    assert store.job_runs.open_slot("fetch", 2, 7, T0)  # another account
    assert store.job_runs.open_slot("fetch", 1, 8, T0)
    claimed = [store.job_runs.claim("w1", ["fetch"], LEASE) for _ in range(3)]
    assert [(run.account_id, run.slot) for run in claimed if run] == [(2, 7), (1, 8)]


def test_open_slots_creates_due_runs_records_missed_ones_and_skips_older(store: Store) -> None:
    store.job_runs.open_slot("post", 1, 4, T0)
    opened = store.job_runs.open_slots(
        [
            SlotOpening(job="post", account_id=1, slot=5, missed=True),
            SlotOpening(job="post", account_id=1, slot=6),
            SlotOpening(job="fetch", account_id=2, slot=3),
            SlotOpening(job="fetch", account_id=1, slot=3),
        ],
        T0,
    )
    assert opened == 3
    again = [SlotOpening(job="post", account_id=1, slot=6), SlotOpening(job="post", account_id=1,
             slot=5, missed=True)]  # fmt: skip
    assert store.job_runs.open_slots(again, T0) == 0
    assert store.job_runs.open_slots([], T0) == 0
    claimed = []
    while (run := store.job_runs.claim("w1", ["post", "fetch"], LEASE)) is not None:
        claimed.append((run.job, run.account_id, run.slot))
    assert sorted(claimed) == [("fetch", 1, 3), ("fetch", 2, 3), ("post", 1, 6)]


def test_recently_failed_names_the_pairs_whose_run_failed_lately(store: Store) -> None:
    store.job_runs.open_slots(
        [SlotOpening(job="fetch", account_id=account, slot=1) for account in (1, 2, 3)], T0
    )
    for status in (JobRunStatus.FAILED, JobRunStatus.DONE, JobRunStatus.FAILED):
        run = store.job_runs.claim("w1", ["fetch"], LEASE)
        assert run is not None
        store.job_runs.finish(run, status, {}, "boom" if status is JobRunStatus.FAILED else None)
    before = store.now() - timedelta(minutes=1)
    assert store.job_runs.recently_failed(before) == {("fetch", 1), ("fetch", 3)}
    assert store.job_runs.recently_failed(store.now() + timedelta(minutes=1)) == set()


def test_claims_take_the_first_opened_run_of_the_named_jobs_and_fence_it(store: Store) -> None:
    store.job_runs.open_slot("post", 1, 5, T0)
    store.job_runs.open_slot("fetch", 2, 3, T0)
    store.job_runs.open_slot("fetch", 1, 9, T0)
    run = store.job_runs.claim("w1", ["fetch"], LEASE)
    assert run is not None
    assert (run.job, run.account_id, run.slot, run.owner, run.attempts) == ("fetch", 2, 3, "w1", 1)
    assert run.lease_until > store.now()
    second = store.job_runs.claim("w2", ["fetch"], LEASE)
    assert second is not None
    assert second.slot == 9
    assert store.job_runs.claim("w2", ["fetch"], LEASE) is None


def test_an_expired_lease_is_taken_over_and_the_old_owner_is_fenced_out(store: Store) -> None:
    store.job_runs.open_slot("count", 0, 1, T0)
    first = store.job_runs.claim("w1", ["count"], EXPIRED)
    assert first is not None
    second = store.job_runs.claim("w2", ["count"], LEASE)
    assert second is not None
    assert (second.job_run_id, second.attempts) == (first.job_run_id, 2)
    assert not store.job_runs.extend_lease(first, LEASE)
    assert not store.job_runs.finish(first, JobRunStatus.DONE, {}, None)
    assert store.job_runs.extend_lease(second, LEASE)
    assert store.job_runs.finish(second, JobRunStatus.DONE, {"n": 1}, None)
    assert not store.job_runs.finish(second, JobRunStatus.DONE, {"n": 1}, None)


def test_a_held_lease_is_not_claimed_and_a_released_run_is_at_once(store: Store) -> None:
    store.job_runs.open_slot("count", 0, 1, T0)
    run = store.job_runs.claim("w1", ["count"], LEASE)
    assert run is not None
    assert store.job_runs.claim("w2", ["count"], LEASE) is None
    assert store.job_runs.release(run)
    again = store.job_runs.claim("w2", ["count"], LEASE)
    assert again is not None
    assert (again.job_run_id, again.owner) == (run.job_run_id, "w2")


def test_finish_and_claim_records_the_outcome_and_takes_the_next_run(store: Store) -> None:
    store.job_runs.open_slot("count", 0, 1, T0)
    store.job_runs.open_slot("count", 1, 1, T0)
    first = store.job_runs.claim("w1", ["count"], LEASE)
    assert first is not None
    assert abs((first.claimed_at - store.now()).total_seconds()) < 60
    finished, second = store.job_runs.finish_and_claim(
        first, JobRunStatus.DONE, {"n": 1}, None, jobs=["count"], lease=LEASE
    )
    assert finished
    assert second is not None
    assert (second.owner, second.attempts) == ("w1", 1)
    assert second.job_run_id != first.job_run_id
    (last,) = store.job_runs.last_by_job()
    assert last.status is JobRunStatus.DONE
    finished, third = store.job_runs.finish_and_claim(
        second, JobRunStatus.FAILED, {}, "boom", jobs=["count"], lease=LEASE
    )
    assert (finished, third) == (True, None)
    assert store.job_runs.recent_outcomes("count", 1)[0].error == "boom"


def test_finish_and_claim_after_a_lost_lease_records_nothing_but_still_claims(
    store: Store,
) -> None:
    store.job_runs.open_slot("count", 0, 1, T0)
    lost = store.job_runs.claim("w1", ["count"], EXPIRED)
    assert lost is not None
    taken = store.job_runs.claim("w2", ["count"], LEASE)
    assert taken is not None
    store.job_runs.open_slot("count", 0, 2, T0)
    finished, after = store.job_runs.finish_and_claim(
        lost, JobRunStatus.DONE, {}, None, jobs=["count"], lease=LEASE
    )
    assert not finished
    assert after is None  # w2 still runs slot 1: the pair's slot 2 waits for it
    assert store.job_runs.finish(taken, JobRunStatus.DONE, {}, None)
    after = store.job_runs.claim("w1", ["count"], LEASE)
    assert after is not None
    assert (after.slot, after.owner) == (2, "w1")


def test_outcomes_come_back_newest_first_and_only_finished(store: Store) -> None:
    for slot, status in enumerate([JobRunStatus.DONE, JobRunStatus.FAILED, JobRunStatus.FAILED]):
        store.job_runs.open_slot("fetch", 1, slot, T0)
        run = store.job_runs.claim("w1", ["fetch"], LEASE)
        assert run is not None
        error = "boom" if status is JobRunStatus.FAILED else None
        store.job_runs.finish(run, status, {}, error)
    store.job_runs.open_slot("fetch", 1, 10, T0)
    outcomes = store.job_runs.recent_outcomes("fetch", 1)
    assert [outcome.status for outcome in outcomes] == [
        JobRunStatus.FAILED,
        JobRunStatus.FAILED,
        JobRunStatus.DONE,
    ]
    assert outcomes[0].error == "boom"
    assert outcomes[0].finished_at is not None
    assert store.job_runs.recent_outcomes("fetch", 2) == []
    assert store.job_runs.recent_outcomes("fetch", 1, limit=1) == outcomes[:1]


def test_last_runs_per_job_and_stalled_runs_are_reported(store: Store) -> None:
    store.job_runs.open_slot("fetch", 0, 1, T0)
    done = store.job_runs.claim("w1", ["fetch"], LEASE)
    assert done is not None
    store.job_runs.finish(done, JobRunStatus.DONE, {}, None)
    store.job_runs.open_slot("schedule", 0, 1, T0)
    stuck = store.job_runs.claim("w2", ["schedule"], EXPIRED)
    assert stuck is not None
    (last,) = store.job_runs.last_by_job()
    assert (last.job, last.status, last.error) == ("fetch", JobRunStatus.DONE, None)
    (stalled,) = store.job_runs.stalled(store.now())
    assert (stalled.job, stalled.owner, stalled.job_run_id) == ("schedule", "w2", stuck.job_run_id)
    assert store.job_runs.stalled(stuck.lease_until - timedelta(seconds=1)) == []


def _worker(worker_id: str, sha: str) -> WorkerIdentity:
    return WorkerIdentity(worker_id=worker_id, role="worker", git_sha=sha, sha_source="env",
                          host="h", pid=1)  # fmt: skip


def test_workers_register_with_their_boot_event_and_their_shas_are_found(store: Store) -> None:
    boot = NewEvent(event_type="production_watchdog_boot", data={"jobs": ["fetch"]}, now=T0)
    store.workers.register(_worker("w1", "ABCDEF1"), T0, [boot])
    store.workers.register(_worker("w2", "abcdef1"), T0)
    store.workers.register(_worker("w3", "0123456"), T0)
    store.workers.register(_worker("w3", "0123456"), T0)  # a restart replaces the row
    store.workers.beat("w1", T0 + LEASE, [NewEvent(event_type="beat", data={}, now=T0)])
    store.workers.mark_stopped("w2", T0 + LEASE)
    assert store.workers.booted_shas("abc") == ["abcdef1"]
    assert store.workers.booted_shas("") == ["0123456", "abcdef1"]
    assert [event.event_type for event in store.events.recent()] == [
        "beat",
        "production_watchdog_boot",
    ]


def test_an_empty_store_counts_nothing(store: Store) -> None:
    assert store.status.queue_size(T0) == 0
    assert store.status.permits_by_status() == {}
    assert store.status.accounts_with_pending_permits() == set()
    assert store.status.accounts_with_queued_candidates(T0) == set()


def test_a_pair_with_a_run_in_flight_is_not_claimed_again_until_it_finishes(store: Store) -> None:
    store.job_runs.open_slot("fetch", 1, 1, T0)
    store.job_runs.open_slot("fetch", 2, 1, T0)
    first = store.job_runs.claim("w1", ["fetch"], LEASE)
    assert first is not None
    assert first.account_id == 1
    store.job_runs.open_slot("fetch", 1, 2, T0)  # the next slot opens while slot 1 runs
    second = store.job_runs.claim("w2", ["fetch"], LEASE)
    assert second is not None
    assert second.account_id == 2  # another account's run: both in flight at once
    assert store.job_runs.claim("w2", ["fetch"], LEASE) is None  # account 1's slot 2 waits
    finished, after = store.job_runs.finish_and_claim(
        first, JobRunStatus.DONE, {}, None, jobs=["fetch"], lease=LEASE
    )
    assert finished
    assert after is not None
    assert (after.account_id, after.slot) == (1, 2)


def test_a_claim_takes_the_first_jobs_runs_before_the_others_each_oldest_first(
    store: Store,
) -> None:
    store.job_runs.open_slot("ghost_scan", 1, 1, T0)
    store.job_runs.open_slot("fetch", 1, 1, T0 + timedelta(seconds=1))
    store.job_runs.open_slot("post", 2, 5, T0 + timedelta(seconds=9))
    store.job_runs.open_slot("schedule", 1, 4, T0 + timedelta(seconds=5))
    jobs = ["fetch", "schedule", "post", "ghost_scan"]
    taken = []
    while (run := store.job_runs.claim("w1", jobs, LEASE, first=["schedule", "post"])) is not None:
        taken.append(run.job)
    assert taken == ["schedule", "post", "ghost_scan", "fetch"]
