-- mart_new_users_daily: one row per (day, region) with the users whose first action it was.
-- Exact, and additive over days and regions.
-- grain: day, region
-- materialized: table
SELECT first_day AS day, strftime(first_day, '%Y-%m') AS month, first_region AS region,
       count(*) AS count_new_users
FROM mart_users_first
GROUP BY ALL
