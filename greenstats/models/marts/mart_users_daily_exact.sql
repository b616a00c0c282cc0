-- mart_users_daily_exact: one row per (day, region) and per day over all regions (region '*'):
-- the exact number of distinct users with an accepted action that day. Not additive over days
-- or regions: it answers day buckets for no region or one region (the users chart).
-- materialized: partitioned by month
SELECT day, month, coalesce(region, '*') AS region, count(DISTINCT user_id) AS users
FROM lake_actions
GROUP BY GROUPING SETS ((day, month, region), (day, month))
