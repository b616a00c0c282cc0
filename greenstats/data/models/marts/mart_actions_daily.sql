-- mart_actions_daily: one row per (day, region, action, brand_id) of accepted action events;
-- day is the China Standard Time calendar day of occurred_at.
-- Carbon is not stored: queries multiply count_actions by the methodology's factors, so a
-- restatement under another methodology needs no rebuild.
-- Stored by region, then day, within each build pass (oldest months first), so a read of a
-- few days or a few regions skips the rest by DuckDB's zone maps.
-- grain: day, region, action, brand_id
-- materialized: partitioned by month
SELECT day, month, region, action, brand_id,
       count(*) AS count_actions,
       sum(energy_g) AS energy_g
FROM lake_actions
GROUP BY ALL
ORDER BY region, day
