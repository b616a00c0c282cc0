-- mart_users_hll_day: one row per (day, region, reg) where reg is a HyperLogLog register
-- that at least one active user's hash fell into; rho is the register's value.
-- The sketch (greenstats/metrics/sketch.py): 2^14 registers; reg = top 14 bits of hash(user_id),
-- rho = 1 + leading zeros of the remaining 50 bits. Registers merge by max, so any set of
-- days and regions gives the sketch of its union. Read from the user-days (one hash per user
-- and day, greenstats/data/build.py USER_DAYS), which gives the same maxima as every event.
-- Stored by region, then day, within each build pass (oldest months first), so a read of a
-- few days or a few regions skips the rest by DuckDB's zone maps.
-- grain: day, region, reg
-- materialized: partitioned by month
SELECT day, month, region,
       CAST(h >> 50 AS SMALLINT) AS reg,
       CAST(max(CASE WHEN h & 1125899906842623 = 0 THEN 51
                     ELSE 50 - CAST(floor(log2(CAST(h & 1125899906842623 AS DOUBLE))) AS INTEGER)
                END) AS UTINYINT) AS rho
FROM lake_user_days
GROUP BY ALL
ORDER BY region, day
