"""The store port: one Protocol per aggregate, and `Store`, the bundle a job is handed.

Each method is one unit of work: it opens and commits its own transaction, translates driver
errors into `StoreError` inside (procrastinate's `wrap_exceptions`), and takes and returns
frozen domain records, never a database row. The events that record a change are passed to the
method that makes it and commit with it. Two implementations: `xbot.store.sql` (SQLite and
PostgreSQL) and `xbot.store.memory` (unit tests); `tests/conformance` runs one suite on all three.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import Protocol

from xbot.config import AccountSettings
from xbot.domain.account_state import AccountRecord, BlockReason, PlatformFault, Switch
from xbot.domain.audit import NewEvent, StoredEvent
from xbot.domain.budgets import ReplyRecord
from xbot.domain.candidates import CandidateMark, NewCandidate, WaitingCandidate
from xbot.domain.claiming import ClaimPlan, ClaimRead, ClaimRequest, ClaimResult
from xbot.domain.claims import KillSwitch
from xbot.domain.cost import AccountCharges, Charge, CostStop, Spend
from xbot.domain.decisions import Decided, NewDecision
from xbot.domain.ghosts import GhostRecord, GhostScan, NewGhost
from xbot.domain.intake import Delivery, StreamHealth, StreamLease, StreamState
from xbot.domain.job_runs import (
    FinishedRun,
    JobRun,
    JobRunStatus,
    LastRun,
    SlotOpening,
    StalledRun,
    WorkerIdentity,
)
from xbot.domain.opt_outs import NewOptOut
from xbot.domain.permit_changes import PermitChange
from xbot.domain.permits import Permit, PermitReply
from xbot.domain.readiness import Deployment


class EventStore(Protocol):
    """The audit log, `system_events`: append only."""

    def append(self, event: NewEvent) -> int:
        """Append one event and return its id."""
        ...

    def recent(
        self, *, event_type: str | None = None, account_id: int | None = None, limit: int = 100
    ) -> list[StoredEvent]:
        """Return the newest events, newest first, optionally of one type or account."""
        ...


class JobRunStore(Protocol):
    """The runner's runs: created per slot, claimed under a lease fenced by `attempts`.

    Leases are compared on the store's clock (the database's on PostgreSQL, DESIGN §7).
    """

    def open_slot(self, job: str, account_id: int, slot: int, now: datetime) -> bool:
        """Skip pending runs of older slots and create this slot's run; True when created."""
        ...

    def open_slots(self, openings: Sequence[SlotOpening], now: datetime) -> int:
        """`open_slot` for many slots in one transaction; missed ones are recorded as skipped.

        Returns how many runs it created to be claimed (existing slots are left as they are).
        """
        ...

    def recently_failed(self, since: datetime) -> set[tuple[str, int]]:
        """Return the (job, account) pairs with a run that failed at or after `since`."""
        ...

    def claim(
        self, owner: str, jobs: Sequence[str], lease: timedelta, *, first: Sequence[str] = ()
    ) -> JobRun | None:
        """Claim a pending run (or one whose lease expired) of `jobs` and bump its fence.

        The first opened run of the `first` jobs if any has one, else the first opened of the
        others; never one whose (job, account) has another run in flight under a live lease.
        """
        ...

    def extend_lease(self, run: JobRun, lease: timedelta) -> bool:
        """Extend the lease while still held; False means another worker took it."""
        ...

    def finish(
        self, run: JobRun, status: JobRunStatus, summary: dict[str, object], error: str | None
    ) -> bool:
        """Record the outcome while the lease is held; False means it was lost."""
        ...

    def finish_and_claim(  # noqa: PLR0913 - the outcome of one run, then the next claim's terms
        self,
        run: JobRun,
        status: JobRunStatus,
        summary: dict[str, object],
        error: str | None,
        *,
        jobs: Sequence[str],
        lease: timedelta,
        first: Sequence[str] = (),
    ) -> tuple[bool, JobRun | None]:
        """`finish`, then `claim` for the same owner, in one round trip where the store can.

        Returns whether the outcome was recorded (False: the lease was lost) and the next run.
        """
        ...

    def release(self, run: JobRun) -> bool:
        """Give a claimed run back so another worker takes it at once (clean shutdown)."""
        ...

    def recent_outcomes(self, job: str, account_id: int, limit: int = 10) -> list[FinishedRun]:
        """Return the newest finished (done or failed) runs of one job and account."""
        ...

    def last_by_job(self) -> list[LastRun]:
        """Return each job's newest finished run."""
        ...

    def stalled(self, now: datetime) -> list[StalledRun]:
        """Return up to 20 runs still running whose lease expired before `now`."""
        ...


class WorkerStore(Protocol):
    """The `workers` table: each worker's identity and heartbeat (CONVENTIONS 3.10)."""

    def register(
        self, worker: WorkerIdentity, now: datetime, events: Sequence[NewEvent] = ()
    ) -> None:
        """Write (or replace) the worker's row at boot, with the events that record it."""
        ...

    def beat(self, worker_id: str, now: datetime, events: Sequence[NewEvent] = ()) -> None:
        """Record that the worker is alive, with any events written alongside."""
        ...

    def mark_stopped(self, worker_id: str, now: datetime, events: Sequence[NewEvent] = ()) -> None:
        """Record a clean stop, with the events that record it."""
        ...

    def booted_shas(self, prefix: str) -> list[str]:
        """Return the distinct SHAs (lowercase) workers booted with that start with `prefix`."""
        ...


class AccountStore(Protocol):
    """Accounts and the switches over them: platform faults, the kill switch, the deployment.

    Writes that take an event append it in the same transaction; an event without `now` and
    the switch's own time both read the store's clock.
    """

    def sync(self, configured: Sequence[AccountSettings]) -> list[AccountRecord]:
        """Add configured accounts, disable the others, and return the enabled ones by id."""
        ...

    def platform_user_id(self, account_id: int) -> str | None:
        """Return the platform's id for the account, once known."""
        ...

    def set_platform_user_id(self, account_id: int, platform_user_id: str) -> None:
        """Remember the platform's id for the account."""
        ...

    def our_accounts(self, platform: str, except_id: int) -> set[str]:
        """Return the handles and platform ids of our other accounts on a platform (any state)."""
        ...

    def faults(self) -> dict[int, PlatformFault]:
        """Return every account's standing platform fault, by account id."""
        ...

    def set_fault(
        self, account_id: int, reason: BlockReason, detail: str, by: str, event: NewEvent
    ) -> bool:
        """Block the account; True (and `event` appended) when the fault is new or changed."""
        ...

    def clear_fault(self, account_id: int, event: NewEvent) -> bool:
        """Clear the account's fault; True (and `event` appended) when there was one."""
        ...

    def kill_switch(self) -> Switch:
        """Return the kill switch with when and by whom it was last set; off when never set."""
        ...

    def set_kill_switch(self, switch: KillSwitch, by: str, event: NewEvent) -> None:
        """Set the kill switch (and drain) and append `event`."""
        ...

    def active_deployment(self) -> Deployment | None:
        """Return the newest declared deployment, or None."""
        ...

    def mark_deployment(self, sha: str, by: str, note: str | None, event: NewEvent) -> None:
        """Declare `sha` the active deployment and append `event`."""
        ...


class CandidateStore(Protocol):
    """The candidate queue (`reply_candidate_queue`): what fetch found and may be answered."""

    def fetch_watermark(self, account_id: int) -> str | None:
        """Return where the account's last fetch stopped."""
        ...

    def replied_conversations(self, account_id: int) -> set[str]:
        """Return the conversations the account already decided to answer."""
        ...

    def known_post_ids(self, account_id: int, post_ids: Sequence[str]) -> set[str]:
        """Return which of these post ids the queue has already, in any status."""
        ...

    def queued(self, account_id: int, now: datetime) -> list[WaitingCandidate]:
        """Return the account's queued candidates not expired at `now`, best score first."""
        ...

    def keep_queued_until(self, account_id: int, until: datetime) -> int:
        """Keep queued candidates lapsing before `until` queued until then; return how many."""
        ...

    def expire_stale(
        self, account_id: int, now: datetime, reason: str, event: Callable[[list[int]], NewEvent]
    ) -> list[int]:
        """Expire queued candidates past their expiry with `reason`, with `event(ids)` if any."""
        ...

    def skip(self, candidate_id: int, reason: str, event: NewEvent | None = None) -> None:
        """Mark a queued candidate skipped with `reason` (and append `event`, if any)."""
        ...

    def add(  # noqa: PLR0913 - one transaction's parts
        self,
        account_id: int,
        found: Sequence[NewCandidate],
        keep: int,
        watermark: str | None,
        *,
        charges: Sequence[Charge] = (),
        now: datetime | None = None,
    ) -> int:
        """Add unknown candidates, trim the queue to `keep`, move the watermark; return trimmed.

        A candidate whose post the queue has already is left as it is (replays are no-ops). The
        reads' `charges` are added to the account's usage of `now`'s day in the same transaction.
        """
        ...


class DecisionStore(Protocol):
    """Decisions (`reply_decisions`) and the PENDING permits written with them."""

    def decide(
        self,
        decision: NewDecision,
        now: datetime,
        events: Callable[[Decided], Sequence[NewEvent]],
    ) -> Decided | None:
        """Select the candidate; write the decision, its permit and `events(decided)`.

        The permit is PENDING, or AWAITING_REVIEW when the decision has a review deadline. One
        transaction; None when the candidate was taken or its target decided already.
        """
        ...

    def posting_history(self, account_id: int, since: datetime) -> list[ReplyRecord]:
        """Return the account's live or spent permits counted since `since` (for budgets)."""
        ...

    def recent_reply_texts(self, account_id: int, since: datetime) -> list[str]:
        """Return the account's reply texts decided since `since`, newest first."""
        ...


class PermitStore(Protocol):
    """Permits (`post_attempts`): read, and written only at their fence (xbot.domain.permits)."""

    def past_review_deadline(self, account_id: int, now: datetime) -> list[Permit]:
        """Return the account's AWAITING_REVIEW permits whose review deadline has passed."""
        ...

    def transition(
        self,
        before: Permit,
        after: Permit,
        candidate: CandidateMark | None,
        events: Sequence[NewEvent],
    ) -> None:
        """Write `after` while the permit is still `before`, mark its candidate, append events.

        One transaction; raises LeaseLost when the permit is no longer `before`.
        """
        ...

    def claim_next(
        self, request: ClaimRequest, decide: Callable[[ClaimRead], ClaimPlan]
    ) -> ClaimResult:
        """Read the gates and the account's permits, and write what `decide` plans on them.

        One transaction, claims of one account serialised: the expirations, then one step
        (xbot.domain.claiming). A Take claims the oldest claimable permit at its fence, POSTING
        with a new fence and attempt, only while the gates are as read; else nothing is taken.
        """
        ...

    def record(
        self,
        before: Permit,
        after: Permit,
        candidate: CandidateMark | None,
        event: NewEvent,
        charges: Sequence[Charge] = (),
    ) -> None:
        """Record a claimed permit's outcome at its fence with its mark, event and charges.

        One transaction (one statement on PostgreSQL); raises LeaseLost, writing nothing, when
        the permit is no longer `before`, so a second record of the same outcome is refused.
        """
        ...

    def posting_past_lease(self, account_id: int, now: datetime) -> list[Permit]:
        """Return the account's POSTING permits whose lease ran out by `now`, oldest first."""
        ...

    def unknown_replies(self, account_id: int) -> list[PermitReply]:
        """Return the account's UNKNOWN permits with their text and target, oldest first."""
        ...

    def open_replies(self, account_id: int) -> list[PermitReply]:
        """Return permits whose post may be out unrecorded: POSTING, UNKNOWN, retried PENDING."""
        ...

    def used_post_ids(self, account_id: int, post_ids: Sequence[str]) -> set[str]:
        """Return which of these post ids a USED permit of the account holds."""
        ...

    def settle(
        self, changes: Sequence[PermitChange], charges: AccountCharges | None = None
    ) -> set[str]:
        """Write each change at its fence with its mark and events, and the charges, at once.

        Return the ids of the permits that had moved on (nothing of their change is written).
        """
        ...


class OptOutStore(Protocol):
    """Authors who asked not to be answered, per platform (`opt_outs`)."""

    def add(self, opt_out: NewOptOut, now: datetime, event: NewEvent) -> bool:
        """Record an opt-out with `event`; False (and no event) when already recorded."""
        ...

    def opted_out_authors(self, platform: str, author_ids: Sequence[str]) -> set[str]:
        """Return which of these author ids opted out on the platform."""
        ...


class GhostStore(Protocol):
    """Ghosts (`ghost_tweets`), the scans that look for them and the scan's per-account lease."""

    def acquire_scan_lease(
        self, account_id: int, owner: str, now: datetime, until: datetime
    ) -> int | None:
        """Take the account's scan lease unless held past `now`; return its new fence."""
        ...

    def release_scan_lease(self, account_id: int, owner: str, fence: int) -> bool:
        """Give the scan lease back; False when it was no longer ours."""
        ...

    def watermark(self, account_id: int) -> tuple[str | None, datetime]:
        """Return the newest own post id a scan settled (None at first) and the account's start."""
        ...

    def record_ghost(self, ghost: NewGhost, event: Callable[[int], NewEvent]) -> int | None:
        """Record a ghost once with `event(ghost_id)`; None (and no event) when already known."""
        ...

    def decision_texts(self, account_id: int, since: datetime) -> list[str]:
        """Return every reply text the account decided on since `since` (ours, if it shows up)."""
        ...

    def record_scan(
        self, scan: GhostScan, event: NewEvent, charges: AccountCharges | None = None
    ) -> None:
        """Record a finished scan, move the account's watermark, append `event`, add the charges."""
        ...

    def answered_targets(self, account_id: int, target_ids: Sequence[str]) -> dict[str, str]:
        """Return {target id: ghost post id} for targets a ghost reply (not ours) answers."""
        ...

    def ghosts(self, *, include_acknowledged: bool = False) -> list[GhostRecord]:
        """Return ghosts, newest first: unacknowledged ones unless `include_acknowledged`."""
        ...

    def acknowledge(
        self, identifier: str, by: str, event: Callable[[GhostRecord], NewEvent]
    ) -> GhostRecord | None:
        """Acknowledge a ghost by its id or post id, with `event(ghost)`; None when unknown."""
        ...


class UsageStore(Protocol):
    """What platform calls cost (`platform_usage`); charges ride with the writes of the job."""

    def spend(self, account_id: int, now: datetime) -> Spend:
        """Return what the account and all accounts spent on `now`'s UTC day and month."""
        ...

    def cost_stops(self) -> dict[int, CostStop]:
        """Return each account's stop set by a platform refusal (ended ones too), by account id."""
        ...

    def set_cost_stop(self, account_id: int, stop: CostStop, by: str, event: NewEvent) -> None:
        """Record that the platform refused payment for the account until `stop.until`."""
        ...


class IntakeStore(Protocol):
    """Streams (`intake_streams`): one consumer per (account, stream) under a fenced lease.

    Leases are compared on the store's clock; a dead worker's lease is taken over once it
    expires. The cursor moves only in `admit`, with the candidates it delivered.
    """

    def acquire(
        self, account_id: int, stream: str, owner: str, lease: timedelta
    ) -> StreamLease | None:
        """Take the stream's lease unless another owner holds it unexpired; bump its fence."""
        ...

    def renew(self, held: StreamLease, lease: timedelta) -> StreamLease | None:
        """Extend the lease while still held; None means another worker took it."""
        ...

    def release(self, held: StreamLease, events: Sequence[NewEvent] = ()) -> bool:
        """Give the lease back with `events`; False when it was no longer ours.

        The stream's state becomes `stopped`, unless it is `unavailable` (intake polls).
        """
        ...

    def admit(
        self,
        held: StreamLease,
        found: Sequence[NewCandidate],
        keep: int,
        delivery: Delivery,
    ) -> int:
        """Insert unknown candidates, trim the queue, move the cursor and health; one transaction.

        Known posts are no-ops (counted as duplicates); a `delivery.cursor` of None leaves the
        cursor. Returns how many queued candidates were trimmed; raises LeaseLost (nothing
        written) when the fence moved.
        """
        ...

    def mark(
        self, held: StreamLease, state: StreamState, detail: str | None, events: Sequence[NewEvent]
    ) -> None:
        """Record that the stream connected, dropped or is unavailable, with `events`.

        Raises LeaseLost when the fence moved.
        """
        ...

    def backfilled(self, held: StreamLease, count: int, events: Sequence[NewEvent]) -> None:
        """Count the candidates a (re)connect's backfill found, with `events`.

        Raises LeaseLost when the fence moved.
        """
        ...

    def health(self) -> list[StreamHealth]:
        """Return every (account, stream) row, by account and stream."""
        ...


class StatusStore(Protocol):
    """Read-only counts the watchdog and /ready report."""

    def queue_size(self, now: datetime) -> int:
        """Count queued candidates not expired at `now`."""
        ...

    def permits_by_status(self) -> dict[str, int]:
        """Count permits per status."""
        ...

    def accounts_with_pending_permits(self) -> set[int]:
        """Return the accounts that have a PENDING permit (the post job's work)."""
        ...

    def accounts_with_queued_candidates(self, now: datetime) -> set[int]:
        """Return the accounts with a queued candidate not expired at `now`."""
        ...


class Store(Protocol):
    """Everything a job may read or write, one attribute per aggregate."""

    @property
    def events(self) -> EventStore:
        """The audit log."""
        ...

    @property
    def job_runs(self) -> JobRunStore:
        """The runner's runs."""
        ...

    @property
    def workers(self) -> WorkerStore:
        """Workers and their heartbeats."""
        ...

    @property
    def accounts(self) -> AccountStore:
        """Accounts, faults, the kill switch and the deployment."""
        ...

    @property
    def candidates(self) -> CandidateStore:
        """The candidate queue."""
        ...

    @property
    def decisions(self) -> DecisionStore:
        """Decisions and their permits' creation."""
        ...

    @property
    def permits(self) -> PermitStore:
        """Permits."""
        ...

    @property
    def opt_outs(self) -> OptOutStore:
        """Opt-outs."""
        ...

    @property
    def ghosts(self) -> GhostStore:
        """Ghosts and ghost scans."""
        ...

    @property
    def intake(self) -> IntakeStore:
        """Streams: cursors, consumer leases and health."""
        ...

    @property
    def usage(self) -> UsageStore:
        """What platform calls cost."""
        ...

    @property
    def status(self) -> StatusStore:
        """Counts for reports."""
        ...

    def now(self) -> datetime:
        """Return the shared clock: the database's on PostgreSQL, else this process's."""
        ...
