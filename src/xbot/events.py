"""Every `system_events.event_type` xbot writes, by name: the audit log's vocabulary.

Jobs, the CLI and certify's queries share these names; tests/unit/test_event_catalogue.py checks
that every event type certify's `.sql` files filter on is here and that every entry is written
somewhere. Each comment says who writes the event, when, and at which severity. The job runner
composes the lifecycle events of a job from its prefix and phase (`job_event_type`).
"""

from __future__ import annotations

from enum import StrEnum


class EventType(StrEnum):
    """One kind of row in `system_events`."""

    #: runner, info: a fetch run began
    REPLY_V2_FETCH_JOB_STARTED = "reply_v2_fetch_job_started"
    #: runner, info: a fetch run finished; its data is the run's summary (found_new, queued, ...)
    REPLY_V2_FETCH_JOB_COMPLETED = "reply_v2_fetch_job_completed"
    #: runner, warning (error after repeated failures): a fetch run raised
    REPLY_V2_FETCH_JOB_FAILED = "reply_v2_fetch_job_failed"
    #: runner, warning: another worker took over a fetch run's lease
    REPLY_V2_FETCH_JOB_LEASE_LOST = "reply_v2_fetch_job_lease_lost"
    #: runner, info: a schedule run began
    REPLY_V2_SCHEDULER_JOB_STARTED = "reply_v2_scheduler_job_started"
    #: runner, info: a schedule run finished; its data is the run's summary
    REPLY_V2_SCHEDULER_JOB_COMPLETED = "reply_v2_scheduler_job_completed"
    #: runner, warning (error after repeated failures): a schedule run raised
    REPLY_V2_SCHEDULER_JOB_FAILED = "reply_v2_scheduler_job_failed"
    #: runner, warning: another worker took over a schedule run's lease
    REPLY_V2_SCHEDULER_JOB_LEASE_LOST = "reply_v2_scheduler_job_lease_lost"
    #: runner, info: a reconcile run began
    RECONCILE_JOB_STARTED = "reconcile_job_started"
    #: runner, info: a reconcile run finished; its data is the run's summary
    RECONCILE_JOB_COMPLETED = "reconcile_job_completed"
    #: runner, warning (error after repeated failures): a reconcile run raised
    RECONCILE_JOB_FAILED = "reconcile_job_failed"
    #: runner, warning: another worker took over a reconcile run's lease
    RECONCILE_JOB_LEASE_LOST = "reconcile_job_lease_lost"
    #: runner, info: a probe run began
    PROBE_JOB_STARTED = "probe_job_started"
    #: runner, info: a probe run finished
    PROBE_JOB_COMPLETED = "probe_job_completed"
    #: runner, warning (error after repeated failures): a probe run raised
    PROBE_JOB_FAILED = "probe_job_failed"
    #: runner, warning: another worker took over a probe run's lease
    PROBE_JOB_LEASE_LOST = "probe_job_lease_lost"
    #: runner, warning (error after repeated failures): a run of a quiet job (post, ghost scan)
    JOB_FAILED = "job_failed"

    #: schedule, info: a guard (quiet hours, fault, pause) stopped the pass before any decision
    REPLY_V2_SCHEDULER_POLICY_BLOCKED = "reply_v2_scheduler_policy_blocked"
    #: schedule, info: queued candidates passed their age limit, one event per pass
    REPLY_V2_CANDIDATES_EXPIRED = "reply_v2_candidates_expired"
    #: schedule, info: a decision and its PENDING permit were created, in the same transaction
    REPLY_V2_ATTEMPT_CREATED = "reply_v2_attempt_created"
    #: schedule, info: a candidate was decided against (budget, guard, generator failure, ...)
    REPLY_V2_CANDIDATE_SKIPPED = "reply_v2_candidate_skipped"

    #: post, info: a worker claimed a permit (PENDING -> POSTING) at a new fence
    PERMIT_CLAIMED = "permit_claimed"
    #: post, warning: the fence refused a claim, this worker's SHA is not the declared one
    POSTING_BLOCKED_STALE_CODE = "posting_blocked_stale_code"
    #: post, warning: no deployment is declared and the config requires one
    POSTING_BLOCKED_DEPLOY_UNMARKED = "posting_blocked_deploy_unmarked"
    #: post, warning: the kill switch refused a claim
    POSTING_BLOCKED_KILL_SWITCH = "posting_blocked_kill_switch"
    #: post, warning: a process whose role does not post reached the claim
    POSTING_BLOCKED_WRONG_ROLE = "posting_blocked_wrong_role"
    #: post, warning: the account's hourly or daily budget is spent
    POSTING_BLOCKED_BUDGET = "posting_blocked_budget"
    #: post, warning: the reply's price would cross a daily or monthly cost cap (xbot.domain.cost)
    POSTING_BLOCKED_COST_CAP = "posting_blocked_cost_cap"
    #: post, info (warning when deferred past expiry): a PENDING permit expired or was drained
    POSTING_BLOCKED_EXPIRED = "posting_blocked_expired"
    #: post, error: a PENDING permit's text hash is not its approved hash; the permit is FAILED
    POSTING_BLOCKED_REVIEW_MISMATCH = "posting_blocked_review_mismatch"
    #: post, info: the platform accepted the reply; the permit is USED
    REPLY_POSTED = "reply_posted"
    #: post, info: a shadow account's claimed permit did everything but the platform write
    REPLY_SHADOWED = "reply_shadowed"
    #: post or reconcile, warning: definitively not posted; the permit is FAILED
    PERMIT_FAILED = "permit_failed"
    #: post, warning (error when the operator must act): surely not sent, PENDING with a back-off
    PERMIT_DEFERRED = "permit_deferred"
    #: post or reconcile, warning: the outcome is unknown; reconcile reads back before any resend
    PERMIT_UNKNOWN = "permit_unknown"
    #: post, warning: the outcome came back after another worker took the permit's lease
    PERMIT_LEASE_LOST = "permit_lease_lost"
    #: reconcile or ghost scan, info: read-back found the permit's post; the permit is USED
    PERMIT_RECONCILED = "permit_reconciled"
    #: reconcile, info: read-back did not find the post; the permit is PENDING again
    PERMIT_REQUEUED = "permit_requeued"

    #: ghost scan, critical: a reply on the account that no permit accounts for
    GHOST_TWEET_DETECTED = "ghost_tweet_detected"
    #: ghost scan, info: a scan finished; its data is the scan's summary
    GHOST_SCAN_COMPLETED = "ghost_scan_completed"
    #: CLI (`xbot ghosts ack`), info: the operator acknowledged a ghost
    GHOST_ACKNOWLEDGED = "ghost_acknowledged"

    #: watchdog, info: a worker booted, with its git SHA and where the SHA came from
    PRODUCTION_WATCHDOG_BOOT = "production_watchdog_boot"
    #: watchdog, info: the periodic report of the system's state
    PRODUCTION_WATCHDOG_REPORT = "production_watchdog_report"
    #: probe, info: the probe job ran
    PROBE_RAN = "probe_ran"
    #: runner, error: the platform refused the account's credentials; the account is blocked
    ACCOUNT_BLOCKED = "account_blocked"
    #: runner, info: a run that calls the platform completed; the account's block is cleared
    ACCOUNT_UNBLOCKED = "account_unblocked"
    #: worker, info: the worker stopped (whether it abandoned a run and released its lease)
    WORKER_STOPPED = "worker_stopped"

    #: CLI, warning: the operator turned the kill switch on (optionally draining)
    KILL_SWITCH_ON = "kill_switch_on"
    #: CLI, info: the operator turned the kill switch off
    KILL_SWITCH_OFF = "kill_switch_off"
    #: CLI (`xbot deploy mark`), info: the declared deployment changed
    DEPLOYMENT_MARKED = "deployment_marked"
    #: CLI (`xbot secrets rotate`), info: the stored sessions were sealed with the current key
    SECRETS_ROTATED = "secrets_rotated"

    #: fetch (a stop message or a block) or CLI (`xbot optouts add`), info: an author opted out
    OPT_OUT_RECORDED = "opt_out_recorded"
    #: CLI (`xbot optouts remove`), warning: an operator removed an author's opt-out
    OPT_OUT_REMOVED = "opt_out_removed"
    #: boot or `xbot accounts check`, info (warning unless verified): an account's bot label
    ACCOUNT_LABEL_CHECKED = "account_label_checked"

    #: schedule, info: a decision's permit waits for a person (AWAITING_REVIEW), with its deadline
    REVIEW_REQUESTED = "review_requested"
    #: schedule, warning: the review webhook did not answer 2xx (nothing else depends on it)
    REVIEW_NOTIFICATION_FAILED = "review_notification_failed"
    #: operations (CLI, console), info: a person approved the exact text; the permit is PENDING
    REVIEW_APPROVED = "review_approved"
    #: operations, info: a person replaced the text and approved the new text in the same act
    REVIEW_EDITED = "review_edited"
    #: operations, info: a person rejected the reply; the permit is FAILED (review_rejected)
    REVIEW_REJECTED = "review_rejected"
    #: schedule, info: nobody reviewed before the deadline; the permit is EXPIRED (review_expired)
    REVIEW_EXPIRED = "review_expired"
    #: operations (CLI `xbot mode`), warning: an account switched between live and shadow
    ACCOUNT_MODE_CHANGED = "account_mode_changed"

    #: intake (xbot.jobs.intake), info: an account's stream (re)connected, with its connects
    INTAKE_STREAM_CONNECTED = "intake_stream_connected"
    #: intake, warning: the stream dropped (reason) and reconnects after a back-off
    INTAKE_STREAM_DISCONNECTED = "intake_stream_disconnected"
    #: intake, info: the poll a (re)connect runs as backfill, with its counts
    INTAKE_STREAM_BACKFILLED = "intake_stream_backfilled"
    #: intake, warning: the account's access has no stream (reason); intake polls instead
    INTAKE_STREAM_UNAVAILABLE = "intake_stream_unavailable"


class JobPrefix(StrEnum):
    """The prefix of a job's lifecycle events; jobs without one write only `job_failed`."""

    FETCH = "reply_v2_fetch_job"
    SCHEDULE = "reply_v2_scheduler_job"
    RECONCILE = "reconcile_job"
    PROBE = "probe_job"
    QUIET = "job"  #: the prefix of a failed run of a job with no prefix of its own


class JobPhase(StrEnum):
    """Where a run is; the runner writes `<prefix>_<phase>`."""

    STARTED = "started"
    COMPLETED = "completed"
    FAILED = "failed"
    LEASE_LOST = "lease_lost"


def job_event_type(prefix: JobPrefix, phase: JobPhase) -> EventType:
    """Return the lifecycle event of a job's run (ValueError when it is not catalogued)."""
    return EventType(f"{prefix.value}_{phase.value}")


def posting_blocked(reason: str) -> EventType:
    """Return the `posting_blocked_<reason>` event of a refused claim."""
    return EventType(f"posting_blocked_{reason}")
