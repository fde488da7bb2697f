-- Certification queries shared by PostgreSQL and SQLite (DESIGN §8).
-- checks_postgresql.sql and checks_sqlite.sql hold the queries whose SQL differs
-- (JSON access, aggregate filters) and override a query of the same name here.
-- Parameters are bound, never formatted in: :now, :window_start, :since, :sha, :account,
-- :stale_before. :account is "platform:handle" (NULL: every account). Every timestamp column's
-- name ends in _at.

-- account_ids --
-- The accounts with the handle --account names, on every platform (platform:handle picks one).
SELECT a.id AS account_id, a.platform, a.handle, a.enabled
FROM accounts AS a
WHERE a.handle = :handle
ORDER BY a.platform, a.id

-- worker_alive --
-- Watchdog reports written within the window by workers that run the SHA under test,
-- and when a worker first booted on that SHA.
SELECT COUNT(e.id) AS reports,
       COUNT(DISTINCT e.worker_id) AS workers,
       MAX(e.created_at) AS last_report_at,
       (SELECT MIN(w2.booted_at) FROM workers AS w2 WHERE w2.git_sha = :sha) AS sha_booted_at
FROM system_events AS e
JOIN workers AS w ON w.worker_id = e.worker_id
WHERE e.event_type = 'production_watchdog_report'
  AND e.created_at >= :window_start
  AND w.git_sha = :sha

-- stream_health --
-- Each account's intake streams beside its fetch runs (issue 16): state, since when connected,
-- the newest event and its lag (seconds from post to read), and what each delivered. `held` is
-- 1 while a worker's lease on the stream runs past :now.
SELECT s.account_id, s.stream, s.state, s.detail, s.connected_since AS connected_at,
       s.last_event_at, s.lag_seconds, s.events, s.admitted, s.duplicates, s.connects,
       s.backfilled, CASE WHEN s.lease_until > :now THEN 1 ELSE 0 END AS held
FROM intake_streams AS s
WHERE (:account IS NULL
       OR s.account_id IN (SELECT a.id FROM accounts AS a WHERE a.platform || ':' || a.handle = :account))
ORDER BY s.account_id, s.stream

-- queue --
-- Candidates waiting for the scheduler: queued and not yet expired (the seed's D), and when
-- the newest of them was queued (E waits for the scheduler's next slot after it).
SELECT COUNT(*) AS queued_unexpired, MIN(c.expires_at) AS next_expiry_at,
       MAX(c.created_at) AS newest_queued_at
FROM reply_candidate_queue AS c
WHERE c.status = 'queued'
  AND c.expires_at > :now
  AND (:account IS NULL
       OR c.account_id IN (SELECT a.id FROM accounts AS a WHERE a.platform || ':' || a.handle = :account))

-- queue_recent --
-- Candidates queued within the fetch window, by what became of them: selected and replied
-- mean the scheduler took them, skipped with a reason means it decided on them, so an empty
-- queue is a working one.
SELECT c.status, c.skip_reason, COUNT(*) AS candidates
FROM reply_candidate_queue AS c
WHERE c.status IN ('queued', 'selected', 'replied', 'skipped', 'expired')
  -- expires_at is never before created_at, so this bound lets the (status, expires_at) index
  -- find the rows without reading the whole queue
  AND c.expires_at >= :window_start
  AND c.created_at >= :window_start
  AND (:account IS NULL
       OR c.account_id IN (SELECT a.id FROM accounts AS a WHERE a.platform || ':' || a.handle = :account))
GROUP BY c.status, c.skip_reason
ORDER BY c.status, c.skip_reason

-- refused_permits --
-- The scheduler's permits since the deployment, by status (FAILED and EXPIRED never posted).
SELECT p.status, COUNT(*) AS permits, MAX(p.created_at) AS last_created_at
FROM post_attempts AS p
WHERE p.pipeline_source = 'reply_v2_scheduler'
  AND p.created_at >= :since
  AND (:account IS NULL
       OR p.account_id IN (SELECT a.id FROM accounts AS a WHERE a.platform || ':' || a.handle = :account))
GROUP BY p.status
ORDER BY p.status

-- trace_chain --
-- The newest USED permit since the deployment with its posted id, joined to its decision and
-- candidate: decision_id -> permit_id -> posted id.
SELECT d.decision_id, p.permit_id, p.actual_tweet_id AS posted_id, p.used_at, p.claimed_sha,
       c.id AS candidate_id, c.candidate_post_id, d.target_post_id
FROM post_attempts AS p
JOIN reply_decisions AS d ON d.decision_id = p.decision_id
JOIN reply_candidate_queue AS c ON c.id = d.candidate_id
WHERE p.status = 'USED'
  AND p.actual_tweet_id IS NOT NULL
  AND p.used_at >= :since
  AND (:account IS NULL
       OR p.account_id IN (SELECT a.id FROM accounts AS a WHERE a.platform || ':' || a.handle = :account))
ORDER BY p.used_at DESC
LIMIT 1

-- ghost_scans --
-- For each enabled account, the ghost scans recorded within the scan window, and the last one ever.
SELECT a.id AS account_id, a.platform, a.handle,
       (SELECT COUNT(*) FROM ghost_scans AS s
         WHERE s.account_id = a.id AND s.created_at >= :window_start) AS scans,
       (SELECT MAX(s.created_at) FROM ghost_scans AS s WHERE s.account_id = a.id) AS last_scan_at
FROM accounts AS a
WHERE a.enabled
  AND (:account IS NULL OR a.platform || ':' || a.handle = :account)
ORDER BY a.id

-- unacknowledged_ghosts --
-- Posts on our accounts that no USED permit explains, detected since the deployment and not
-- acknowledged by an operator.
SELECT g.id, a.handle, g.tweet_id AS post_id, g.classification, g.detected_at, g.text
FROM ghost_tweets AS g
JOIN accounts AS a ON a.id = g.account_id
WHERE g.acknowledged_at IS NULL
  AND g.detected_at >= :since
  AND (:account IS NULL OR a.platform || ':' || a.handle = :account)
ORDER BY g.detected_at DESC
LIMIT 20

-- blocked_attempts --
-- Claims the fence refused since the deployment, by reason (listed, not judged).
SELECT e.event_type, COUNT(*) AS attempts, MAX(e.created_at) AS last_at
FROM system_events AS e
WHERE e.event_type IN ('posting_blocked_stale_code', 'posting_blocked_kill_switch',
                       'posting_blocked_wrong_role', 'posting_blocked_budget',
                       'posting_blocked_deploy_unmarked', 'posting_blocked_cost_cap',
                       'posting_blocked_expired')
  AND e.created_at >= :since
  AND (:account IS NULL
       OR e.account_id IN (SELECT a.id FROM accounts AS a WHERE a.platform || ':' || a.handle = :account))
GROUP BY e.event_type
ORDER BY e.event_type

-- stuck_permits --
-- Permits whose outcome is open: POSTING past its lease, or UNKNOWN. Reconcile resolves them;
-- one still open after the reconcile window (before :stale_before) is stuck.
SELECT p.permit_id, p.status, p.claimed_by, p.lease_until,
       COALESCE(p.updated_at, p.created_at) AS changed_at,
       CASE WHEN p.status = 'POSTING' AND p.lease_until < :stale_before THEN 'stuck'
            WHEN p.status = 'UNKNOWN' AND COALESCE(p.updated_at, p.created_at) < :stale_before
            THEN 'stuck'
            ELSE 'reconciling' END AS state
FROM post_attempts AS p
WHERE ((p.status = 'POSTING' AND p.lease_until < :now) OR p.status = 'UNKNOWN')
  AND (:account IS NULL
       OR p.account_id IN (SELECT a.id FROM accounts AS a WHERE a.platform || ':' || a.handle = :account))
ORDER BY changed_at
LIMIT 50

-- duplicate_posts --
-- Targets answered more than once, among the targets answered since the deployment: every distinct
-- post of the account that replies to a target counts, whether a USED permit holds it or the ghost
-- scan recorded it as a ghost reply (acknowledged or not: an acknowledgement vouches for a post made
-- outside xbot, it does not unsay the reply). A ghost whose post a USED permit holds is xbot's own
-- post, detected before reconcile caught up: the same post id, counted once.
WITH recent AS (
  SELECT d2.account_id, d2.target_post_id
  FROM post_attempts AS p2
  JOIN reply_decisions AS d2 ON d2.decision_id = p2.decision_id
  WHERE p2.status = 'USED'
    AND p2.used_at >= :since
    AND (:account IS NULL
         OR p2.account_id IN (SELECT a.id FROM accounts AS a WHERE a.platform || ':' || a.handle = :account))
  UNION
  SELECT g2.account_id, g2.in_reply_to AS target_post_id
  FROM ghost_tweets AS g2
  WHERE g2.in_reply_to IS NOT NULL
    AND g2.detected_at >= :since
    AND (:account IS NULL
         OR g2.account_id IN (SELECT a.id FROM accounts AS a WHERE a.platform || ':' || a.handle = :account))
),
answers AS (
  SELECT d.account_id, d.target_post_id, p.actual_tweet_id AS post_id, p.permit_id,
         NULL AS ghost_id
  FROM recent AS r
  JOIN reply_decisions AS d
    ON d.account_id = r.account_id AND d.target_post_id = r.target_post_id
  JOIN post_attempts AS p ON p.decision_id = d.decision_id AND p.status = 'USED'
  UNION ALL
  SELECT g.account_id, g.in_reply_to AS target_post_id, g.tweet_id AS post_id, NULL AS permit_id,
         g.id AS ghost_id
  FROM recent AS r
  JOIN ghost_tweets AS g ON g.account_id = r.account_id AND g.in_reply_to = r.target_post_id
)
SELECT account_id, target_post_id, COUNT(DISTINCT post_id) AS answers,
       COUNT(DISTINCT permit_id) AS used_permits, COUNT(DISTINCT ghost_id) AS ghost_replies,
       MIN(permit_id) AS first_permit_id, MAX(permit_id) AS last_permit_id
FROM answers
GROUP BY account_id, target_post_id
HAVING COUNT(DISTINCT post_id) > 1
ORDER BY account_id, target_post_id
LIMIT 20
