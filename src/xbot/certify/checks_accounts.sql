-- Check I (accounts can post now): shared by PostgreSQL and SQLite. Parameters: :account
-- ("platform:handle", NULL for every account), :day_start, :now.

-- kill_switch --
-- The kill switch as `xbot pause` and `xbot resume` left it: its value, when and by whom.
SELECT c.name, c.value, c.updated_at, c.updated_by
FROM controls AS c
WHERE c.name = 'kill_switch'

-- account_states --
-- Each enabled account with its standing platform fault (credentials refused or endpoint
-- misconfigured; the next fetch or ghost scan that succeeds clears it), its live/shadow switch
-- (`xbot mode`; none: the configured mode) and its permits of the last day that count against
-- the budget (a shadow account's SHADOWED ones as if posted).
SELECT a.id AS account_id, a.platform, a.handle, f.value AS fault, f.updated_at AS fault_at,
       m.value AS mode_switch,
       (SELECT COUNT(*) FROM post_attempts AS p
         WHERE p.account_id = a.id
           AND p.status IN ('PENDING', 'POSTING', 'USED', 'UNKNOWN', 'SHADOWED')
           AND p.created_at >= :day_start) AS posts_today
FROM accounts AS a
LEFT JOIN controls AS f ON f.name = 'platform_fault:' || a.id
LEFT JOIN controls AS m ON m.name = 'account_mode:' || a.id
WHERE a.enabled
  AND (:account IS NULL OR a.platform || ':' || a.handle = :account)
ORDER BY a.id

-- account_budget_history --
-- The permits of the last day that did or may still publish, with the author and thread they
-- answer: what the hourly and daily budgets and the author cooldown count.
SELECT p.account_id, p.permit_id, p.status, COALESCE(p.used_at, p.created_at) AS posted_at,
       c.author_id, COALESCE(c.conversation_id, d.target_post_id) AS thread_id,
       d.target_post_id
FROM post_attempts AS p
JOIN reply_decisions AS d ON d.decision_id = p.decision_id
JOIN reply_candidate_queue AS c ON c.id = d.candidate_id
WHERE p.status IN ('PENDING', 'POSTING', 'USED', 'UNKNOWN', 'SHADOWED')
  AND p.created_at >= :day_start
  AND (:account IS NULL
       OR p.account_id IN (SELECT a.id FROM accounts AS a
                           WHERE a.platform || ':' || a.handle = :account))
ORDER BY p.account_id, posted_at

-- account_waiting --
-- Candidates queued and not expired: whom the scheduler would answer next (author cooldown).
SELECT c.account_id, c.author_id, COALESCE(c.conversation_id, c.candidate_post_id) AS thread_id,
       c.candidate_post_id AS target_post_id
FROM reply_candidate_queue AS c
WHERE c.status = 'queued'
  AND c.expires_at > :now
  AND (:account IS NULL
       OR c.account_id IN (SELECT a.id FROM accounts AS a
                           WHERE a.platform || ':' || a.handle = :account))
ORDER BY c.account_id, c.id
LIMIT 500

-- account_spend --
-- What each enabled account spent on platform calls (platform_usage, micro-dollars, priced by
-- the rate card) today and this month (UTC), what every account spent together, and the stop
-- set when X refused to be paid (402 or UsageCapExceeded): what the cost caps compare.
SELECT a.id AS account_id, a.platform, a.handle,
       COALESCE((SELECT SUM(u.cost_micro_usd) FROM platform_usage AS u
                  WHERE u.account_id = a.id AND u.day = :today), 0) AS account_day,
       COALESCE((SELECT SUM(u.cost_micro_usd) FROM platform_usage AS u
                  WHERE u.account_id = a.id AND u.day >= :month_start), 0) AS account_month,
       COALESCE((SELECT SUM(u.cost_micro_usd) FROM platform_usage AS u
                  WHERE u.day = :today), 0) AS global_day,
       COALESCE((SELECT SUM(u.cost_micro_usd) FROM platform_usage AS u
                  WHERE u.day >= :month_start), 0) AS global_month,
       s.value AS cost_stop, s.updated_at AS cost_stop_at
FROM accounts AS a
LEFT JOIN controls AS s ON s.name = 'cost_cap:' || a.id
WHERE a.enabled
  AND (:account IS NULL OR a.platform || ':' || a.handle = :account)
ORDER BY a.id
