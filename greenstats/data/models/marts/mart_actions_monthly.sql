-- mart_actions_monthly: one row per (month, region, action, brand_id): mart_actions_daily
-- summed by month. Periods made of whole months read this (about 30× fewer rows than the
-- days); the days at a period's edges still come from mart_actions_daily.
-- grain: month, region, action, brand_id
-- Energy is summed in 128-bit integers (HUGEINT), as in mart_actions_daily: with the
-- contract's ceiling of 10^6 g an action, no sum of a real history comes near either limit,
-- and a build never fails on a cast.
-- materialized: partitioned by month
SELECT month, region, action, brand_id,
       sum(count_actions)::BIGINT AS count_actions,
       sum(energy_g) AS energy_g
FROM mart_actions_daily
WHERE month IN (SELECT month FROM affected_months)
GROUP BY ALL
