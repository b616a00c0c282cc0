-- mart_users_hll_month: one row per (month, region, reg): the day sketches merged by month.
-- materialized: partitioned by month
SELECT month, region, reg, max(rho) AS rho
FROM mart_users_hll_day
WHERE month IN (SELECT month FROM affected_months)
GROUP BY ALL
