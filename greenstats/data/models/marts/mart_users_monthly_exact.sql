-- mart_users_monthly_exact: one row per (month, region) and per month over all regions
-- (region '*'): the exact number of distinct users with an accepted action that month,
-- counted from the user-days (greenstats/data/build.py USER_DAYS).
-- grain: month, region
-- materialized: partitioned by month
SELECT month, coalesce(region, '*') AS region, count(DISTINCT user_id) AS users
FROM lake_user_days
GROUP BY GROUPING SETS ((month, region), (month))
