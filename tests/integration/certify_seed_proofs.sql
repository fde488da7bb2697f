-- The seed's proof SQL (seed/000_b73447d425d5d4c1.txt, STEP 4), byte for byte, except that
-- each literal timestamp is replaced by the matching now() - interval.

-- seed_a --
SELECT created_at, event_data->>'git_sha' as git_sha 
FROM system_events 
WHERE event_type = 'production_watchdog_boot' 
ORDER BY created_at DESC 
LIMIT 1;

-- seed_b --
SELECT COUNT(*) 
FROM system_events 
WHERE event_type = 'production_watchdog_report' 
  AND created_at >= now() - interval '15 minutes';

-- seed_c --
SELECT 
  COUNT(*) FILTER (WHERE event_type = 'reply_v2_fetch_job_started') as started,
  COUNT(*) FILTER (WHERE event_type = 'reply_v2_fetch_job_completed') as completed
FROM system_events
WHERE created_at >= now() - interval '15 minutes'
  AND event_type LIKE '%reply_v2_fetch%';

-- seed_d --
SELECT COUNT(*) 
FROM reply_candidate_queue 
WHERE status = 'queued' 
  AND expires_at > NOW();

-- seed_e_scheduler --
SELECT COUNT(*) 
FROM system_events 
WHERE event_type = 'reply_v2_scheduler_job_started' 
  AND created_at >= now() - interval '60 minutes';

-- seed_e_permits --
SELECT COUNT(*) 
FROM post_attempts 
WHERE pipeline_source = 'reply_v2_scheduler' 
  AND created_at >= now() - interval '60 minutes';

-- seed_f --
SELECT permit_id, decision_id, actual_tweet_id, used_at
FROM post_attempts
WHERE status = 'USED'
  AND pipeline_source = 'reply_v2_scheduler'
  AND actual_tweet_id IS NOT NULL
ORDER BY used_at DESC
LIMIT 1;

-- seed_g --
SELECT COUNT(*) 
FROM ghost_tweets 
WHERE detected_at >= now() - interval '3 hours 19 minutes';
