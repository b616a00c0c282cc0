-- mart_users_hll_month: one row per (month, region, reg): the day sketches merged by month;
-- and per (month, reg) over all regions, with region '*' (at most 16,384 rows a month, which
-- is what a reader with no region filter needs, instead of every region's).
-- Stored by region, then month, within each build pass, so a read of a few regions skips
-- the rest.
-- grain: month, region, reg
-- materialized: partitioned by month
SELECT month, coalesce(region, '*') AS region, reg, max(rho) AS rho
FROM mart_users_hll_day
WHERE month IN (SELECT month FROM affected_months)
GROUP BY GROUPING SETS ((month, region, reg), (month, reg))
ORDER BY region, month
