-- mart_users_first: one row per user_id: when and where the user's first accepted action was.
-- It stays inside the warehouse (user ids never reach a page); pages read mart_new_users_daily.
-- materialized: merge on user_id keeping the earliest first_at
SELECT user_id,
       min(occurred_at) AS first_at,
       arg_min(day, occurred_at) AS first_day,
       arg_min(region, occurred_at) AS first_region
FROM lake_actions
GROUP BY user_id
