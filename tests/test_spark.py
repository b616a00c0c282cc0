"""The Spark engine against DuckDB's: the same models, the same snapshot, the same figures.

Each warehouse below is built by DuckDB (ingest), copied, and rebuilt on Spark (`local[2]`)
from the same lake; then every table of the two snapshots must be equal, row for row, with the
same column types, and `summary` must give the same figures for every filter set tried. The
warehouses are the hand-built one (sparse, every region and edge the tests know), the hostile
one (free text made of markup and SQL), one with no events at all, and the million-event demo,
which is built on Spark through the command line, as a user would.
"""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import duckdb
import pytest

from greenstats.data.build import _ADMIN_TABLES, USER_DAYS, USER_KEY_DUCKDB, load_models
from greenstats.data.contract import REGION_CODES
from greenstats.data.demo import DemoResult
from greenstats.data.pipeline import ingest_folder
from greenstats.data.spark.build import USER_KEY_SPARK
from greenstats.data.spark.sql import to_spark, top_order
from greenstats.data.warehouse import Warehouse
from greenstats.metrics import queries, sketch
from greenstats.metrics.filters import Filters
from tests import handbuilt
from tests.conftest import run_cli

pytestmark = pytest.mark.slow

MODELS = [m.name for m in load_models()]
#: snapshot_info keys that name the build itself, not what it holds.
BUILD_KEYS = {"snapshot", "snapshot_id", "built_at", "built_by"}


def _snapshot(db: Path) -> Path:
    return Warehouse(db).require_current().path


def _differences(a: Path, b: Path, table: str) -> tuple[int, int, int, int]:
    """Rows of `table` in snapshot a and b, and the rows of each that the other lacks."""
    con = duckdb.connect()
    con.execute(f"ATTACH '{a}' AS a (READ_ONLY)")
    con.execute(f"ATTACH '{b}' AS b (READ_ONLY)")
    rows_a = con.execute(f"SELECT count(*) FROM a.{table}").fetchone()[0]
    rows_b = con.execute(f"SELECT count(*) FROM b.{table}").fetchone()[0]
    only_a = con.execute(
        f"SELECT count(*) FROM (FROM a.{table} EXCEPT ALL FROM b.{table})"
    ).fetchone()[0]
    only_b = con.execute(
        f"SELECT count(*) FROM (FROM b.{table} EXCEPT ALL FROM a.{table})"
    ).fetchone()[0]
    return rows_a, rows_b, only_a, only_b


def _columns(snapshot: Path, table: str) -> list[tuple[str, str]]:
    con = duckdb.connect(str(snapshot), read_only=True)
    return [(name, kind) for name, kind, *_ in con.execute(f"DESCRIBE {table}").fetchall()]


def _info(snapshot: Path) -> dict[str, str]:
    con = duckdb.connect(str(snapshot), read_only=True)
    return dict(con.execute("SELECT key, value FROM snapshot_info").fetchall())


def assert_same_snapshot(duck: Path, spark: Path) -> None:
    """Every model and bookkeeping table equal, row for row, with the same columns."""
    a, b = _snapshot(duck), _snapshot(spark)
    for table in [*MODELS, *_ADMIN_TABLES, "ref_actions", "ref_species"]:
        if table == "snapshot_info":
            continue
        assert _columns(a, table) == _columns(b, table), table
        rows_a, rows_b, only_a, only_b = _differences(a, b, table)
        assert (rows_b, only_a, only_b) == (rows_a, 0, 0), table
    info_a, info_b = _info(a), _info(b)
    assert info_a["built_by"] == f"duckdb {duckdb.__version__}"
    assert info_b["built_by"].startswith("spark ")
    assert {k: v for k, v in info_b.items() if k not in BUILD_KEYS} == {
        k: v for k, v in info_a.items() if k not in BUILD_KEYS
    }


def spark_copy(db: Path, to: Path) -> Path:
    """A copy of the warehouse, rebuilt on Spark."""
    from greenstats.data.spark.run import rebuild_on_spark

    shutil.copytree(db, to)
    rebuild_on_spark(to)
    return to


def filter_sets(db: Path) -> dict[str, Filters]:
    """Filters a reader would set: none, each of the 34 regions (with data or without), a
    year, a month, one day, several regions, and an as-of date before the data ends."""
    with Warehouse(db).open_snapshot() as r:
        regions = [x for (x,) in r.rows("SELECT DISTINCT region FROM mart_actions_daily")]
        first, last = r.rows("SELECT min(day), max(day) FROM mart_actions_daily")[0]
    sets = {"everything": Filters()}
    sets |= {region: Filters(regions=(region,)) for region in sorted(REGION_CODES)}
    if first is not None:
        sets |= {
            "first year": Filters(date_from=first, date_to=date(first.year, 12, 31)),
            "last month": Filters(date_from=last.replace(day=1), date_to=last),
            "last day": Filters(date_from=last, date_to=last),
            "several regions": Filters(regions=tuple(sorted(regions)[:3])),
            "as of the first day": Filters(as_of=first),
        }
    return sets


def assert_same_figures(duck: Path, spark: Path) -> None:
    """`summary` (exact) and the pages' summary (users from the sketches) equal on both."""
    sets = filter_sets(duck)
    with Warehouse(duck).open_snapshot() as a, Warehouse(spark).open_snapshot() as b:
        for name, f in sets.items():
            assert queries.summary(b, f) == queries.summary(a, f), name
            assert queries.page_summary(b, f) == queries.page_summary(a, f), name


# --- the adapter: the sketch's bits on both engines ------------------------------------------

#: Pseudonyms at the edges of the sketch: the top bit (signed on Spark), a register's first and
#: last value, and low bits just below and at a power of two (where a floating-point log2 rounds).
EDGE_KEYS = [
    "0000000000000000",
    "ffffffffffffffff",
    "8000000000000000",
    "7fffffffffffffff",
    "0003ffffffffffff",
    "0004000000000000",
    "0000000000000001",
    "0002000000000000",
    "0001ffffffffffff",
    "fffc000000000000",
    "00000000ffffffff",
    "0000000100000000",
    "1b2c3d4e5f607182",
    "c0ffee0123456789",
]


def expected_register(key: str) -> tuple[int, int]:
    """The register and value sketch.py defines, from the key's bits in Python."""
    h = int(key, 16)
    low = h & ((1 << sketch.HASH_BITS_LEFT) - 1)
    rho = sketch.HASH_BITS_LEFT + 1 if low == 0 else sketch.HASH_BITS_LEFT + 1 - low.bit_length()
    return h >> sketch.HASH_BITS_LEFT, rho


HLL_DAY = next(m for m in load_models() if m.name == "mart_users_hll_day")
#: Each key acts on its own day, so that every row of the model is one key's register.
ACTIONS = [
    (date(2024, 1, 1 + i), "2024-01", "CN-GS", key, f"2024-01-{1 + i:02d} 08:00:00+08")
    for i, key in enumerate(EDGE_KEYS)
]


def test_the_sketch_reads_the_same_bits_of_the_stored_key_on_both_engines(spark) -> None:
    expected = sorted((a[0], *expected_register(a[3])) for a in ACTIONS)
    con = duckdb.connect()
    con.execute(
        "CREATE TEMP TABLE lake_actions_around "
        "(day DATE, month VARCHAR, region VARCHAR, user_id VARCHAR, occurred_at TIMESTAMPTZ)"
    )
    con.executemany("INSERT INTO lake_actions_around VALUES (?, ?, ?, ?, ?)", ACTIONS)
    con.execute(USER_KEY_DUCKDB)
    con.execute(f"CREATE TEMP VIEW lake_user_days AS {USER_DAYS}")
    on_duckdb = sorted(con.execute(f"SELECT day, reg, rho FROM ({HLL_DAY.sql})").fetchall())
    assert on_duckdb == expected

    spark.createDataFrame(
        ACTIONS, "day date, month string, region string, user_id string, occurred_at string"
    ).selectExpr("*", "CAST(occurred_at AS TIMESTAMP) AS t").drop("occurred_at").withColumnRenamed(
        "t", "occurred_at"
    ).createOrReplaceTempView("lake_actions_around")
    spark.sql(USER_KEY_SPARK)
    spark.sql(to_spark(USER_DAYS)).createOrReplaceTempView("lake_user_days")
    rows = spark.sql(f"SELECT day, reg, rho FROM ({to_spark(HLL_DAY.sql)})").collect()
    assert sorted((r.day, r.reg, r.rho) for r in rows) == expected


def test_the_transpiled_models_keep_their_sql_but_the_final_order() -> None:
    daily = next(m for m in load_models() if m.name == "mart_actions_daily")
    assert top_order(daily.sql) == "region, day"
    spark_sql = to_spark(daily.sql)
    assert "ORDER BY" not in spark_sql.upper()
    assert "GROUP BY ALL" in spark_sql.upper()
    assert "lake_actions" in spark_sql


# --- warehouses built on both -----------------------------------------------------------------


def test_the_handbuilt_warehouse_is_the_same_built_on_spark(
    handbuilt_db: Path, handbuilt_spark_db: Path
) -> None:
    assert_same_snapshot(handbuilt_db, handbuilt_spark_db)
    assert_same_figures(handbuilt_db, handbuilt_spark_db)


def test_the_hostile_warehouse_is_the_same_built_on_spark(hostile_warehouse, tmp_path) -> None:
    spark_db = spark_copy(hostile_warehouse.db, tmp_path / "spark")
    assert_same_snapshot(hostile_warehouse.db, spark_db)
    assert_same_figures(hostile_warehouse.db, spark_db)


def test_a_warehouse_without_events_is_the_same_built_on_spark(tmp_path: Path) -> None:
    folder = tmp_path / "input"
    handbuilt.write(folder)
    for events in ("actions", "redemptions"):
        for path in folder.glob(f"{events}*"):
            shutil.rmtree(path) if path.is_dir() else path.unlink()
    ingest_folder(folder, tmp_path / "duck", handbuilt.REFERENCE_MIN)
    spark_db = spark_copy(tmp_path / "duck", tmp_path / "spark")
    assert_same_snapshot(tmp_path / "duck", spark_db)
    with Warehouse(spark_db).open_snapshot() as r:
        assert r.scalar("SELECT count(*) FROM mart_actions_daily") == 0
        assert r.scalar("SELECT count(*) FROM stg_projects") > 0
    assert_same_figures(tmp_path / "duck", spark_db)


def test_the_demo_built_on_spark_from_the_command_line_is_the_same(
    demo_1m: tuple[Path, DemoResult], tmp_path: Path
) -> None:
    spark_db = tmp_path / "spark"
    shutil.copytree(demo_1m[0], spark_db)
    marts = tmp_path / "marts"
    # As a URI (file:, as s3a:// or hdfs:// on a cluster): Spark writes it through Hadoop's
    # file system, and the publish copies the marts from it to read them.
    uri = marts.as_uri()
    proc = run_cli("build", "--engine", "spark", "--db", str(spark_db), "--marts", uri)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "Published snapshot 000002" in proc.stdout
    # The marts stay as partitioned Parquet where they were asked for; the copy is gone.
    assert list((marts / "mart_actions_daily").glob("month=*/*.parquet"))
    assert list((marts / "mart_users_hll_year").glob("year=*/*.parquet"))
    assert not list((spark_db / "spark").glob("staging-*"))
    assert_same_snapshot(demo_1m[0], spark_db)
    assert_same_figures(demo_1m[0], spark_db)


@pytest.mark.parametrize("command", ["build", "ingest"])
def test_marts_is_refused_without_the_spark_engine(handbuilt_db: Path, command: str) -> None:
    folder = [str(handbuilt_db)] if command == "ingest" else []
    proc = run_cli(command, *folder, "--db", str(handbuilt_db), "--marts", "/tmp/elsewhere")
    assert proc.returncode == 2
    assert "--marts is a setting of --engine spark" in proc.stderr


def test_marts_that_cannot_be_written_end_in_one_sentence_and_publish_nothing(
    handbuilt_db: Path, tmp_path: Path
) -> None:
    db = tmp_path / "warehouse"
    shutil.copytree(handbuilt_db, db)
    before = Warehouse(db).require_current()
    blocker = tmp_path / "a file"
    blocker.write_text("not a folder")
    proc = run_cli("build", "--engine", "spark", "--db", str(db), "--marts", str(blocker / "m"))
    assert proc.returncode == 1
    assert f"Spark could not build the marts at {blocker / 'm'}" in proc.stderr
    assert "nothing was published" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert Warehouse(db).require_current() == before


def test_spark_submit_runs_the_same_command_with_its_own_settings(
    handbuilt_db: Path, tmp_path: Path
) -> None:
    """README, Running on Spark: the command under spark-submit, from the project's folder."""
    import os
    import subprocess

    import pyspark

    from tests.conftest import ROOT

    db = tmp_path / "warehouse"
    shutil.copytree(handbuilt_db, db)
    submit = Path(pyspark.__file__).parent / "bin" / "spark-submit"
    proc = subprocess.run(
        [str(submit), "--master", "local[2]", "--conf", "spark.sql.shuffle.partitions=3",
         "greenstats/__main__.py", "build", "--engine", "spark", "--db", str(db),
         "--marts", str(tmp_path / "marts")],
        cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True, text=True, timeout=900, check=False,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "Published snapshot" in proc.stdout
    assert_same_snapshot(handbuilt_db, db)
    # spark-submit's settings, not the local defaults (local[*], 8 shuffle partitions).
    with Warehouse(db).open_snapshot() as r:
        built_by = r.info()["built_by"]
    assert built_by == f"spark {pyspark.__version__} (local[2], 3 shuffle partitions)"


def test_the_demo_loaded_on_spark_equals_the_duckdb_load(
    demo_1m: tuple[Path, DemoResult], tmp_path: Path
) -> None:
    """`ingest --engine spark` of the demo's folder: the same rejects, loads and marts as the
    DuckDB ingest of the same folder (the lake's files are Spark's, listed as its own)."""
    folder = demo_1m[0].parent / "input"
    spark_db = tmp_path / "spark"
    proc = run_cli("ingest", str(folder), "--engine", "spark", "--db", str(spark_db))
    assert proc.returncode == 0, proc.stderr[-3000:]
    a, b = _snapshot(demo_1m[0]), _snapshot(spark_db)
    for table in [*MODELS, "rejects", "ref_actions", "ref_species"]:
        assert _columns(a, table) == _columns(b, table), table
        rows_a, rows_b, only_a, only_b = _differences(a, b, table)
        assert (rows_b, only_a, only_b) == (rows_a, 0, 0), table
    con = duckdb.connect()
    loads = "SELECT * EXCLUDE (loaded_at) FROM {}.loads ORDER BY file"
    con.execute(f"ATTACH '{a}' AS a (READ_ONLY)")
    con.execute(f"ATTACH '{b}' AS b (READ_ONLY)")
    assert con.execute(loads.format("b")).fetchall() == con.execute(loads.format("a")).fetchall()
    # The lake lists every accepted row, by month, as the DuckDB load's does.
    months = "SELECT table_name, month, sum(rows) FROM {}.lake_files GROUP BY ALL ORDER BY ALL"
    assert con.execute(months.format("b")).fetchall() == con.execute(months.format("a")).fetchall()
    assert_same_figures(demo_1m[0], spark_db)


def test_a_duckdb_load_after_a_spark_load_sees_its_keys(
    handbuilt_folder: Path, tmp_path: Path
) -> None:
    """The Spark load leaves no key index; the next DuckDB load rebuilds it from the lake and
    counts a repeated event as already loaded, not again."""
    db = tmp_path / "warehouse"
    marts = tmp_path / "marts"
    proc = run_cli(
        "ingest", str(handbuilt_folder), "--engine", "spark", "--db", str(db),
        "--reference", str(handbuilt.REFERENCE_MIN), "--marts", str(marts),
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert list((marts / "mart_actions_daily").glob("month=*/*.parquet"))
    with Warehouse(db).open_snapshot() as r:
        before = r.scalar("SELECT sum(count_actions) FROM mart_actions_daily")
    again = ingest_folder(handbuilt_folder, db)
    with Warehouse(db).open_snapshot() as r:
        assert r.scalar("SELECT sum(count_actions) FROM mart_actions_daily") == before
    actions = [x for x in again.reports if x.table == "actions"]
    assert sum(x.accepted for x in actions) == 0
    assert sum(x.already_loaded for x in actions) > 0


def test_a_spark_load_into_a_warehouse_with_a_snapshot_is_refused(handbuilt_db: Path) -> None:
    proc = run_cli("ingest", str(handbuilt_db), "--engine", "spark", "--db", str(handbuilt_db))
    assert proc.returncode == 1
    assert "the Spark engine loads into a new warehouse only" in proc.stderr
