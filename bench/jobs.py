"""The anchors greenstats is measured against: the same aggregations, done bare.

    python bench/jobs.py duckdb-daily INPUT_DIR   # one GROUP BY: mart_actions_daily's
    python bench/jobs.py duckdb-marts INPUT_DIR   # the three event-level marts' GROUP BYs
    python bench/jobs.py pandas-daily INPUT_DIR   # mart_actions_daily's GROUP BY in pandas
    python bench/jobs.py spark-floor INPUT_DIR    # Spark: the actions copied, the three GROUP BYs

Each reads the input's action Parquet files directly: no validation, no duplicate check, no lake,
no snapshot. DuckDB runs with the settings greenstats's writers use (memory_limit, spilling to a
temporary directory, preserve_insertion_order=false), so the comparison is like for like. Run
each as its own process (bench/run.py does, under /usr/bin/time) so its peak memory is its own.
Prints the number of result rows, so a reader can check the jobs agree.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import duckdb

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from greenstats.data.contract import LOCAL_TZ
from greenstats.data.warehouse.connection import WRITER_MEMORY_LIMIT, sql_literal

DAILY = """
SELECT CAST(occurred_at AS DATE) AS day, region, action, brand_id,
       count(*) AS count_actions, sum(energy_g) AS energy_g
FROM events GROUP BY ALL"""

# The same aggregations as greenstats/data/models/marts (first action per user, day sketches).
USERS_FIRST = """
SELECT user_id, min(occurred_at) AS first_at,
       arg_min(CAST(occurred_at AS DATE), occurred_at) AS first_day,
       arg_min(region, occurred_at) AS first_region
FROM events GROUP BY user_id"""

HLL_DAY = """
SELECT CAST(occurred_at AS DATE) AS day, region, CAST(hash(user_id) >> 50 AS SMALLINT) AS reg,
       max(CASE WHEN hash(user_id) & 1125899906842623 = 0 THEN 51
           ELSE 50 - CAST(floor(log2(CAST(hash(user_id) & 1125899906842623 AS DOUBLE)))
                          AS INTEGER) END) AS rho
FROM events GROUP BY ALL"""


def duckdb_job(folder: Path, queries: dict[str, str]) -> None:
    with tempfile.TemporaryDirectory(prefix="bench-floor-") as tmp:
        con = duckdb.connect()
        con.execute(f"SET TimeZone = {sql_literal(LOCAL_TZ)}")
        con.execute(f"SET memory_limit = {sql_literal(WRITER_MEMORY_LIMIT)}")
        con.execute(f"SET temp_directory = {sql_literal(tmp)}")
        con.execute("SET preserve_insertion_order = false")
        glob = sql_literal(str(folder / "actions" / "*.parquet"))
        con.execute(f"CREATE VIEW events AS SELECT * FROM read_parquet({glob})")
        for name, sql in queries.items():
            con.execute(f"CREATE TABLE {name} AS {sql}")
            print(f"{name}: {con.execute(f'SELECT count(*) FROM {name}').fetchone()[0]} rows")
        con.close()


def pandas_daily(folder: Path) -> None:
    """What an analyst would write: read the columns, convert to local days, group, sum."""
    import pandas as pd

    columns = ["occurred_at", "region", "action", "brand_id", "energy_g"]
    events = pd.read_parquet(folder / "actions", columns=columns)
    events["day"] = events["occurred_at"].dt.tz_convert(LOCAL_TZ).dt.date
    daily = events.groupby(["day", "region", "action", "brand_id"], dropna=False).agg(
        count_actions=("energy_g", "size"), energy_g=("energy_g", "sum")
    )
    print(f"daily: {len(daily)} rows")


#: The three GROUP BYs in Spark SQL: Spark's own 64-bit hash, min_by for arg_min.
SPARK_MARTS = {
    "daily": DAILY.replace("GROUP BY ALL", "GROUP BY 1, 2, 3, 4"),
    "users_first": """
SELECT user_id, min(occurred_at) AS first_at,
       min_by(CAST(occurred_at AS DATE), occurred_at) AS first_day,
       min_by(region, occurred_at) AS first_region
FROM events GROUP BY user_id""",
    "hll_day": """
SELECT CAST(occurred_at AS DATE) AS day, region, CAST(xxhash64(user_id) >> 50 AS SMALLINT) AS reg,
       max(CASE WHEN xxhash64(user_id) & 1125899906842623 = 0 THEN 51
           ELSE 50 - CAST(floor(log2(CAST(xxhash64(user_id) & 1125899906842623 AS DOUBLE)))
                          AS INT) END) AS rho
FROM events GROUP BY 1, 2, 3""",
}


def spark_floor(folder: Path) -> None:
    """Spark's floor on this machine, with greenstats' session settings (local[*] unless
    GREENSTATS_SPARK_MASTER says otherwise): the actions read and written again as zstd
    Parquet (what the lake's write costs with no rule), then the three GROUP BYs over the
    input, each written as Parquet. Prints each step's wall time."""
    import time

    # bench/ itself off the path: its profile.py would shadow the standard library's, which
    # pyspark imports.
    here = Path(__file__).resolve().parent
    sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != here]
    from greenstats.data.spark.session import get_session

    spark = get_session("greenstats-floor")
    with tempfile.TemporaryDirectory(prefix="bench-spark-floor-") as tmp:
        events = spark.read.parquet(str(folder / "actions"))
        events.createOrReplaceTempView("events")
        start = time.monotonic()
        events.write.option("compression", "zstd").parquet(f"{tmp}/copy")
        print(f"copy: {time.monotonic() - start:.1f} s")
        for name, sql in SPARK_MARTS.items():
            start = time.monotonic()
            spark.sql(sql).write.parquet(f"{tmp}/{name}")
            rows = spark.read.parquet(f"{tmp}/{name}").count()
            print(f"{name}: {rows} rows, {time.monotonic() - start:.1f} s")
    spark.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "job", choices=["duckdb-daily", "duckdb-marts", "pandas-daily", "spark-floor"]
    )
    parser.add_argument("input", type=Path, help="a folder written by `greenstats demo`")
    args = parser.parse_args()
    if args.job == "duckdb-daily":
        duckdb_job(args.input, {"daily": DAILY})
    elif args.job == "duckdb-marts":
        duckdb_job(args.input, {"daily": DAILY, "users_first": USERS_FIRST, "hll_day": HLL_DAY})
    elif args.job == "spark-floor":
        spark_floor(args.input)
    else:
        pandas_daily(args.input)


if __name__ == "__main__":
    main()
