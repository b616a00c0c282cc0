-- mart_users_first: one row per user_id: when and where the user's first accepted action was.
-- It stays inside the warehouse (user ids never reach a page); pages read mart_new_users_daily.
-- Read from the user-days (greenstats/data/build.py USER_DAYS), each with its first action's time.
-- A user's first actions in two regions at the same instant: the first region by name, on
-- every engine (a tie broken by chance would differ between engines and between builds).
-- grain: user_id
-- materialized: merge on user_id keeping the earliest first_at
SELECT user_id,
       min(first_at) AS first_at,
       arg_min(day, first_at) AS first_day,
       arg_min(region, (first_at, region)) AS first_region
FROM lake_user_days
GROUP BY user_id
