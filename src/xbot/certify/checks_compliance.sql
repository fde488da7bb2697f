-- Check J (compliance): the posts in the window with what each platform rule needs, and each
-- account's newest bot-label check. Shared by PostgreSQL and SQLite.

-- compliance_posts --
-- The newest 1000 USED permits since the window start, each with its account's platform and
-- settings, the answered author and the flags fetch saw (bot, #nobot, threadgate), the reply
-- text, and when the author had opted out on that platform, if before the decision;
-- confirms_opt_out is 1 when the reply answers the very stop message by which the author
-- opted out through this account (the one reply `opt_outs.confirmation` may send), else 0.
SELECT p.permit_id, p.account_id, a.platform, a.handle, a.settings AS account_settings,
       c.author_id, c.author_handle, c.target_meta, d.reply_text, p.used_at,
       (SELECT MIN(o.created_at) FROM opt_outs AS o
         WHERE o.platform = a.platform
           AND o.author_id = c.author_id
           AND o.created_at <= d.created_at) AS opted_out_at,
       (SELECT COUNT(*) FROM opt_outs AS o
         WHERE o.platform = a.platform
           AND o.author_id = c.author_id
           AND o.how = 'stop_word'
           AND o.account_id = p.account_id
           AND o.post_id = c.candidate_post_id) AS confirms_opt_out
FROM post_attempts AS p
JOIN accounts AS a ON a.id = p.account_id
JOIN reply_decisions AS d ON d.decision_id = p.decision_id
JOIN reply_candidate_queue AS c ON c.id = d.candidate_id
WHERE p.status = 'USED'
  AND p.used_at >= :since
  AND (:account IS NULL OR a.platform || ':' || a.handle = :account)
ORDER BY p.used_at DESC
LIMIT 1000

-- label_checks --
-- Each enabled account's newest bot-label check (written at every worker boot and by
-- `xbot accounts check`): verified, applied, attested, or why not.
SELECT a.id AS account_id, a.platform, a.handle, e.event_data AS label, e.created_at AS checked_at
FROM accounts AS a
LEFT JOIN system_events AS e
  ON e.id = (SELECT MAX(e2.id) FROM system_events AS e2
             WHERE e2.event_type = 'account_label_checked' AND e2.account_id = a.id)
WHERE a.enabled
  AND (:account IS NULL OR a.platform || ':' || a.handle = :account)
ORDER BY a.id
