-- mart_users_hll_day: one row per (day, region, reg) where reg is a HyperLogLog register
-- that at least one active user's key fell into; rho is the register's value.
-- The sketch (greenstats/metrics/sketch.py): 2^14 registers of the user's 64-bit key h, the
-- stored pseudonym read as a number (greenstats/data/build.py USER_DAYS: the same bits on every
-- engine, not an engine's own hash); reg = the top 14 bits of h, rho = 1 + the leading zeros of
-- the remaining 50 bits, counted in integers (51 - their bit length) so that no engine's
-- floating-point log2 can round a value near a power of two into the next register value.
-- Registers merge by max, so any set of days and regions gives the sketch of its union. Read
-- from the user-days (one key per user and day), which gives the same maxima as every event.
-- Stored by region, then day, within each build pass (oldest months first), so a read of a
-- few days or a few regions skips the rest by DuckDB's zone maps.
-- grain: day, region, reg
-- materialized: partitioned by month
SELECT day, month, region,
       CAST((h >> 50) & 16383 AS SMALLINT) AS reg,
       CAST(max(CASE WHEN h & 1125899906842623 = 0 THEN 51
                     ELSE 51 - length(bin(h & 1125899906842623))
                END) AS UTINYINT) AS rho
FROM lake_user_days
GROUP BY ALL
ORDER BY region, day
