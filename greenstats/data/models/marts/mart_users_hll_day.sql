-- mart_users_hll_day: one row per (day, region, reg) where reg is a HyperLogLog register
-- that at least one active user's key fell into; rho is the register's value.
-- The sketch (greenstats/metrics/sketch.py): 2^14 registers of the user's 64-bit key h, the
-- stored pseudonym (a BIGINT: greenstats/data/pseudonym.py; the same bits on every engine, not
-- an engine's own hash; its sign is its top bit, which >> and & read as any other bit);
-- reg = the top 14 bits of h, rho = 1 + the leading zeros of
-- the remaining 50 bits (`low`), counted in integers, by the first power of two `low` reaches
-- (a ladder of comparisons: no engine's floating-point log2 can round a value near a power of
-- two into the next register value; most values stop at the first steps: on 20M values the
-- ladder took 0.24 s and the bit string it replaced, `51 - length(bin(low))`, 4.3 s;
-- BENCHMARKS.md, issue 28).
-- Registers merge by max, so any set of days and regions gives the sketch of its union. Read
-- from the user-days (one key per user and day), which gives the same maxima as every event.
-- Stored by region, then day, within each build pass (oldest months first), so a read of a
-- few days or a few regions skips the rest by DuckDB's zone maps.
-- grain: day, region, reg
-- materialized: partitioned by month
SELECT day, month, region, reg,
       CAST(max(CASE
                     WHEN low >= 562949953421312 THEN 1
                     WHEN low >= 281474976710656 THEN 2
                     WHEN low >= 140737488355328 THEN 3
                     WHEN low >= 70368744177664 THEN 4
                     WHEN low >= 35184372088832 THEN 5
                     WHEN low >= 17592186044416 THEN 6
                     WHEN low >= 8796093022208 THEN 7
                     WHEN low >= 4398046511104 THEN 8
                     WHEN low >= 2199023255552 THEN 9
                     WHEN low >= 1099511627776 THEN 10
                     WHEN low >= 549755813888 THEN 11
                     WHEN low >= 274877906944 THEN 12
                     WHEN low >= 137438953472 THEN 13
                     WHEN low >= 68719476736 THEN 14
                     WHEN low >= 34359738368 THEN 15
                     WHEN low >= 17179869184 THEN 16
                     WHEN low >= 8589934592 THEN 17
                     WHEN low >= 4294967296 THEN 18
                     WHEN low >= 2147483648 THEN 19
                     WHEN low >= 1073741824 THEN 20
                     WHEN low >= 536870912 THEN 21
                     WHEN low >= 268435456 THEN 22
                     WHEN low >= 134217728 THEN 23
                     WHEN low >= 67108864 THEN 24
                     WHEN low >= 33554432 THEN 25
                     WHEN low >= 16777216 THEN 26
                     WHEN low >= 8388608 THEN 27
                     WHEN low >= 4194304 THEN 28
                     WHEN low >= 2097152 THEN 29
                     WHEN low >= 1048576 THEN 30
                     WHEN low >= 524288 THEN 31
                     WHEN low >= 262144 THEN 32
                     WHEN low >= 131072 THEN 33
                     WHEN low >= 65536 THEN 34
                     WHEN low >= 32768 THEN 35
                     WHEN low >= 16384 THEN 36
                     WHEN low >= 8192 THEN 37
                     WHEN low >= 4096 THEN 38
                     WHEN low >= 2048 THEN 39
                     WHEN low >= 1024 THEN 40
                     WHEN low >= 512 THEN 41
                     WHEN low >= 256 THEN 42
                     WHEN low >= 128 THEN 43
                     WHEN low >= 64 THEN 44
                     WHEN low >= 32 THEN 45
                     WHEN low >= 16 THEN 46
                     WHEN low >= 8 THEN 47
                     WHEN low >= 4 THEN 48
                     WHEN low >= 2 THEN 49
                     WHEN low >= 1 THEN 50
                     ELSE 51
                END) AS UTINYINT) AS rho
FROM (SELECT day, month, region,
             CAST((user_id >> 50) & 16383 AS SMALLINT) AS reg,
             user_id & 1125899906842623 AS low
      FROM lake_user_days)
GROUP BY ALL
ORDER BY region, day
