-- mart_users_daily_exact: one row per (day, region) and per day over all regions (region '*'):
-- the exact number of distinct users with an accepted action that day. Not additive over days
-- or regions: it answers day buckets for no region or one region (the users chart).
-- grain: day, region
-- materialized: partitioned by month
-- From the user-days (greenstats/data/build.py USER_DAYS): one row per (day, region, user), so a
-- region's users are its rows; all regions count each user once.
SELECT day, month, region, count(*) AS users
FROM lake_user_days
GROUP BY day, month, region
UNION ALL
SELECT day, month, '*' AS region, count(DISTINCT user_id) AS users
FROM lake_user_days
GROUP BY day, month
