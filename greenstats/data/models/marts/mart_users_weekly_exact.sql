-- mart_users_weekly_exact: one row per (week, region) and per week over all regions (region
-- '*'): the exact number of distinct users with an accepted action that week (weeks start on
-- Monday). A week can straddle two months, so it is rebuilt whenever either month is loaded,
-- from the user-days of lake_actions_around (the loaded months and their neighbours).
-- grain: week, region
-- materialized: partitioned by week
SELECT week, coalesce(region, '*') AS region, count(DISTINCT user_id) AS users
FROM (
    SELECT CAST(date_trunc('week', day) AS DATE) AS week, region, user_id
    FROM lake_user_days_around
    WHERE CAST(date_trunc('week', day) AS DATE) IN (SELECT week FROM affected_weeks)
)
GROUP BY GROUPING SETS ((week, region), (week))
