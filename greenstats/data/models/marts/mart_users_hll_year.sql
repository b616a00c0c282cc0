-- mart_users_hll_year: one row per (year, region, reg): the month sketches merged by year
-- (region '*': all regions, from the months' '*' rows).
-- grain: year, region, reg
-- materialized: partitioned by year
SELECT left(month, 4) AS year, region, reg, max(rho) AS rho
FROM mart_users_hll_month
WHERE left(month, 4) IN (SELECT year FROM affected_months)
GROUP BY ALL
