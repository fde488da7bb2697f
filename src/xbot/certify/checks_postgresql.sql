-- Certification queries whose PostgreSQL SQL differs from SQLite's: JSONB access with ->>
-- (as in the seed) and aggregate FILTER clauses. They override checks.sql by name.

-- running_sha --
-- The newest worker boot heartbeat (production_watchdog_boot), the SHA it runs and where that
-- SHA came from, beside the active deployment (the newest row of deployments).
SELECT boot.booted_at, boot.git_sha, boot.sha_source, boot.worker_id, boot.role, boot.host,
       deployment.sha AS declared_sha, deployment.declared_at, deployment.declared_by
FROM (SELECT 1 AS one) AS base
LEFT JOIN (
    SELECT e.created_at AS booted_at,
           COALESCE(e.event_data->>'git_sha', w.git_sha) AS git_sha,
           COALESCE(e.event_data->>'sha_source', w.sha_source) AS sha_source,
           e.worker_id,
           COALESCE(e.event_data->>'role', w.role) AS role,
           COALESCE(e.event_data->>'host', w.host) AS host
    FROM system_events AS e
    LEFT JOIN workers AS w ON w.worker_id = e.worker_id
    WHERE e.event_type = 'production_watchdog_boot'
      AND COALESCE(e.event_data->>'role', w.role, 'worker') <> 'web'
    ORDER BY e.created_at DESC
    LIMIT 1
) AS boot ON 1 = 1
LEFT JOIN (
    SELECT d.sha, d.declared_at, d.declared_by
    FROM deployments AS d
    ORDER BY d.declared_at DESC, d.id DESC
    LIMIT 1
) AS deployment ON 1 = 1

-- fetch_runs --
-- Fetch runs started, completed and failed within the window on the SHA under test, and what
-- the completed ones found (new candidates) and queued.
SELECT COUNT(*) FILTER (WHERE e.event_type = 'reply_v2_fetch_job_started') AS started,
       COUNT(*) FILTER (WHERE e.event_type = 'reply_v2_fetch_job_completed') AS completed,
       COUNT(*) FILTER (WHERE e.event_type = 'reply_v2_fetch_job_failed') AS failed,
       MAX(e.created_at) FILTER (WHERE e.event_type = 'reply_v2_fetch_job_started')
           AS last_started_at,
       MAX(e.created_at) FILTER (WHERE e.event_type = 'reply_v2_fetch_job_completed')
           AS last_completed_at,
       COALESCE(SUM(CAST(e.event_data->>'new' AS BIGINT))
           FILTER (WHERE e.event_type = 'reply_v2_fetch_job_completed'), 0) AS found_new,
       COALESCE(SUM(CAST(e.event_data->>'queued' AS BIGINT))
           FILTER (WHERE e.event_type = 'reply_v2_fetch_job_completed'), 0) AS queued
FROM system_events AS e
JOIN workers AS w ON w.worker_id = e.worker_id
WHERE e.event_type IN ('reply_v2_fetch_job_started', 'reply_v2_fetch_job_completed',
                       'reply_v2_fetch_job_failed')
  AND e.created_at >= :window_start
  AND w.git_sha = :sha
  AND (:account IS NULL
       OR e.account_id IN (SELECT a.id FROM accounts AS a WHERE a.platform || ':' || a.handle = :account))

-- fetch_failures --
-- The newest failed fetch runs within the window, with the reason each one gave.
SELECT e.created_at, e.account_id, e.worker_id,
       COALESCE(e.event_data->>'reason', e.event_data->>'error') AS reason
FROM system_events AS e
WHERE e.event_type = 'reply_v2_fetch_job_failed'
  AND e.created_at >= :window_start
  AND (:account IS NULL
       OR e.account_id IN (SELECT a.id FROM accounts AS a WHERE a.platform || ':' || a.handle = :account))
ORDER BY e.created_at DESC
LIMIT 3

-- scheduler_runs --
-- Scheduler runs within the window on the SHA under test, the permits they announced, and when
-- the last run started and completed.
SELECT COUNT(*) FILTER (WHERE e.event_type = 'reply_v2_scheduler_job_started') AS started,
       COUNT(*) FILTER (WHERE e.event_type = 'reply_v2_scheduler_job_completed') AS completed,
       COUNT(*) FILTER (WHERE e.event_type = 'reply_v2_scheduler_job_failed') AS failed,
       COUNT(*) FILTER (WHERE e.event_type = 'reply_v2_attempt_created') AS attempts_created,
       MAX(e.created_at) FILTER (WHERE e.event_type = 'reply_v2_scheduler_job_started')
           AS last_started_at,
       MAX(e.created_at) FILTER (WHERE e.event_type = 'reply_v2_scheduler_job_completed')
           AS last_completed_at
FROM system_events AS e
JOIN workers AS w ON w.worker_id = e.worker_id
WHERE e.event_type IN ('reply_v2_scheduler_job_started', 'reply_v2_scheduler_job_completed',
                       'reply_v2_scheduler_job_failed', 'reply_v2_attempt_created')
  AND e.created_at >= :window_start
  AND w.git_sha = :sha
  AND (:account IS NULL
       OR e.account_id IN (SELECT a.id FROM accounts AS a WHERE a.platform || ':' || a.handle = :account))

-- accepted_permit --
-- The newest permit the scheduler created since the deployment that was not refused: not
-- FAILED or EXPIRED, and no posting_blocked_* event names it.
SELECT p.permit_id, p.decision_id, p.status, p.created_at, p.not_before
FROM post_attempts AS p
WHERE p.pipeline_source = 'reply_v2_scheduler'
  AND p.created_at >= :since
  AND p.status NOT IN ('FAILED', 'EXPIRED')
  AND NOT EXISTS (
        SELECT 1
        FROM system_events AS b
        WHERE b.event_type IN ('posting_blocked_stale_code', 'posting_blocked_kill_switch',
                               'posting_blocked_wrong_role', 'posting_blocked_budget',
                               'posting_blocked_deploy_unmarked', 'posting_blocked_cost_cap',
                               'posting_blocked_expired')
          AND b.created_at >= p.created_at
          AND b.event_data->>'permit_id' = p.permit_id)
  AND (:account IS NULL
       OR p.account_id IN (SELECT a.id FROM accounts AS a WHERE a.platform || ':' || a.handle = :account))
ORDER BY p.created_at DESC
LIMIT 1

-- review_approvals --
-- USED permits since the deployment that needed a person's approval: made for review, or of an
-- account whose `review` is required (llm_only: replies from the llm generator), with the hash
-- a person approved and the text that was posted (its hash is compared beside the query).
SELECT p.permit_id, a.platform || ':' || a.handle AS account, p.approved_sha256,
       p.approved_by, p.approved_at, p.used_at, d.reply_text
FROM post_attempts AS p
JOIN reply_decisions AS d ON d.decision_id = p.decision_id
JOIN accounts AS a ON a.id = p.account_id
WHERE p.status = 'USED'
  AND p.used_at >= :since
  AND (p.review_deadline IS NOT NULL
       OR a.settings->>'review' = 'required'
       OR (a.settings->>'review' = 'llm_only' AND d.generator = 'llm'))
  AND (:account IS NULL OR a.platform || ':' || a.handle = :account)
ORDER BY p.used_at
