"""The Spark engine against DuckDB's: the same models, the same snapshot, the same figures.

Each warehouse below is built by DuckDB (ingest), copied, and rebuilt on Spark (`local[2]`)
from the same lake; then every table of the two snapshots must be equal, row for row, with the
same column types, and `summary` must give the same figures for every filter set tried. The
warehouses are the hand-built one (sparse, every region and edge the tests know), the hostile
one (free text made of markup and SQL), one with no events at all, and a demo of 100,000
events, which is built and loaded on Spark through the command line, as a user would. (Its bad
rows break every rule the million-event demo's break, and it fills every model: docs/TESTING.md.
The 1M and 100M parity runs are bench/spark.py's.)

The command line runs in the test's own process (`run_cli_here`), on the worker's Spark
session, so that no command starts and warms a JVM of its own; spark-submit starting one is
`test_spark_submit_runs_the_same_command_with_its_own_settings`'s.
"""

from __future__ import annotations

import shutil
import subprocess
from datetime import date
from pathlib import Path

import duckdb
import pytest

from greenstats.data.build import _ADMIN_TABLES, USER_DAYS, load_models
from greenstats.data.contract import REGION_CODES
from greenstats.data.demo import DemoResult
from greenstats.data.pipeline import ingest_folder
from greenstats.data.spark.sql import to_spark, top_order
from greenstats.data.warehouse import Warehouse, WarehouseError
from greenstats.metrics import sketch
from greenstats.metrics.filters import Filters
from greenstats.metrics.queries import headline
from tests import handbuilt
from tests.conftest import build_once, run_cli, run_cli_here

#: Every test here runs with the worker's Spark session up, so that the command line's Spark
#: runs get its settings (conftest.spark).
pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("spark")]

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
            assert headline.summary(b, f) == headline.summary(a, f), name
            assert headline.page_summary(b, f) == headline.page_summary(a, f), name


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


def expected_register(key: int) -> tuple[int, int]:
    """The register and value sketch.py defines, from the key's bits in Python."""
    h = key & ((1 << 64) - 1)
    low = h & ((1 << sketch.HASH_BITS_LEFT) - 1)
    rho = sketch.HASH_BITS_LEFT + 1 if low == 0 else sketch.HASH_BITS_LEFT + 1 - low.bit_length()
    return h >> sketch.HASH_BITS_LEFT, rho


HLL_DAY = next(m for m in load_models() if m.name == "mart_users_hll_day")
#: Each key acts on its own day, so that every row of the model is one key's register.
ACTIONS = [
    (
        date(2024, 1, 1 + i),
        "2024-01",
        "CN-GS",
        int.from_bytes(bytes.fromhex(key), "big", signed=True),
        f"2024-01-{1 + i:02d} 08:00:00+08",
    )
    for i, key in enumerate(EDGE_KEYS)
]


def test_the_sketch_reads_the_same_bits_of_the_stored_key_on_both_engines(spark) -> None:
    expected = sorted((a[0], *expected_register(a[3])) for a in ACTIONS)
    con = duckdb.connect()
    con.execute(
        "CREATE TEMP TABLE lake_actions_around "
        "(day DATE, month VARCHAR, region VARCHAR, user_id BIGINT, occurred_at TIMESTAMPTZ)"
    )
    con.executemany("INSERT INTO lake_actions_around VALUES (?, ?, ?, ?, ?)", ACTIONS)
    con.execute(f"CREATE TEMP VIEW lake_user_days AS {USER_DAYS}")
    on_duckdb = sorted(con.execute(f"SELECT day, reg, rho FROM ({HLL_DAY.sql})").fetchall())
    assert on_duckdb == expected

    spark.createDataFrame(
        ACTIONS, "day date, month string, region string, user_id bigint, occurred_at string"
    ).selectExpr("*", "CAST(occurred_at AS TIMESTAMP) AS t").drop("occurred_at").withColumnRenamed(
        "t", "occurred_at"
    ).createOrReplaceTempView("lake_actions_around")
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


def test_the_small_demo_breaks_every_rule_the_million_event_demo_breaks(
    demo_small: tuple[Path, DemoResult], demo_1m: tuple[Path, DemoResult]
) -> None:
    """The demo the parity tests run on is small, not thin: its bad rows break the same rules
    of the same tables as the million-event demo's, and every model has rows."""
    rules = "SELECT DISTINCT table_name, rule FROM rejects ORDER BY ALL"
    with (
        Warehouse(demo_small[0]).open_snapshot() as small,
        Warehouse(demo_1m[0]).open_snapshot() as big,
    ):
        assert small.rows(rules) == big.rows(rules)
        broken = {table for table, n in demo_small[1].bad_rows.items() if n}
        assert {table for table, _ in small.rows(rules)} == broken
        assert [m for m in MODELS if small.scalar(f"SELECT count(*) FROM {m}") == 0] == []


def test_the_demo_built_on_spark_from_the_command_line_is_the_same(
    demo_small: tuple[Path, DemoResult], tmp_path: Path
) -> None:
    spark_db = tmp_path / "spark"
    shutil.copytree(demo_small[0], spark_db)
    marts = tmp_path / "marts"
    # As a URI (file:, as s3a:// or hdfs:// on a cluster): Spark writes it through Hadoop's
    # file system, and the publish copies the marts from it to read them.
    uri = marts.as_uri()
    proc = run_cli_here("build", "--engine", "spark", "--db", str(spark_db), "--marts", uri)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "Published snapshot 000002" in proc.stdout
    # The marts stay as partitioned Parquet where they were asked for; the copy is gone.
    assert list((marts / "mart_actions_daily").glob("month=*/*.parquet"))
    assert list((marts / "mart_users_hll_year").glob("year=*/*.parquet"))
    assert not list((spark_db / "spark").glob("staging-*"))
    assert_same_snapshot(demo_small[0], spark_db)
    assert_same_figures(demo_small[0], spark_db)


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
    proc = run_cli_here(
        "build", "--engine", "spark", "--db", str(db), "--marts", str(blocker / "m")
    )
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
    demo_small: tuple[Path, DemoResult], tmp_path: Path
) -> None:
    """`ingest --engine spark` of the demo's folder: the same rejects, loads and marts as the
    DuckDB ingest of the same folder (the lake's files are Spark's, listed as its own)."""
    folder = demo_small[0].parent / "input"
    spark_db = tmp_path / "spark"
    proc = run_cli_here("ingest", str(folder), "--engine", "spark", "--db", str(spark_db))
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert_same_loads(demo_small[0], spark_db)
    assert_same_figures(demo_small[0], spark_db)


def assert_same_loads(duck: Path, spark: Path) -> None:
    """Two warehouses loaded from the same folders: every mart, reject (with its load's
    number) and load report equal, and the lake's accepted rows the same by table and month
    (the files themselves are each engine's)."""
    a, b = _snapshot(duck), _snapshot(spark)
    for table in [*MODELS, "rejects", "ref_actions", "ref_species"]:
        assert _columns(a, table) == _columns(b, table), table
        rows_a, rows_b, only_a, only_b = _differences(a, b, table)
        assert (rows_b, only_a, only_b) == (rows_a, 0, 0), table
    con = duckdb.connect()
    loads = "SELECT * EXCLUDE (loaded_at) FROM {}.loads ORDER BY load_number, table_name, file"
    con.execute(f"ATTACH '{a}' AS a (READ_ONLY)")
    con.execute(f"ATTACH '{b}' AS b (READ_ONLY)")
    assert con.execute(loads.format("b")).fetchall() == con.execute(loads.format("a")).fetchall()
    # The lake lists every accepted row, by month, as the DuckDB load's does.
    months = "SELECT table_name, month, sum(rows) FROM {}.lake_files GROUP BY ALL ORDER BY ALL"
    assert con.execute(months.format("b")).fetchall() == con.execute(months.format("a")).fetchall()


#: A second load after the hand-built folder: rows sent again (the same month, and dated
#: another), repeats within a file, new rows, and rows that refer to a project or an area
#: loaded only by the first load.
LATER = {
    "actions.csv": """\
event_id,user_id,occurred_at,action,region,energy_g,brand_id
a02,u2,2024-12-31T15:30:00Z,metro_ride,CN-GD,52,brand-metro
a04,u3,2025-05-10 09:00:00,e_invoice,CN-BJ,5,brand-tax
a30,u1,2025-05-10 10:00:00,walking,CN-BJ,100,
a30,u1,2025-05-10 10:00:00,walking,CN-BJ,100,
a02,u2,2024-12-31T15:30:00Z,metro_ride,CN-GD,52,brand-metro
a31,u9,2025-05-11 10:00:00,walking,CN-ZZ,100,
a32,u9,2025-05-11 11:00:00,metro_ride,CN-SH,52,brand-metro
""",
    "projects.csv": """\
project_id,name,partner,kind,region,lat,lon,started_on,target_units,target_area_ha,target_date
P1,Alxa saxaul belt again,Desert Green,afforestation,CN-NM,39.20,105.60,2020-03-01,,,
P8,Hobq poplar belt,Desert Green,afforestation,CN-NM,40.30,108.70,2025-03-01,800,,
""",
    "protected_areas.csv": """\
area_id,name,partner,region,area_ha,established_on,lat,lon,project_id
A6,Dongchu marine reserve,Blue Coast,CN-SD,120,2022-06-01,37.5,122.1,P3
""",
    "area_species.csv": """\
area_id,scientific_name,iucn_category,common_name,taxon_group
A1,Panthera uncia,VU,Snow leopard,mammals
A1,Pica pica,LC,Eurasian magpie,birds
A9,Ghost species,LC,,
""",
    "plantings.csv": """\
planting_id,project_id,species,planted_on,units_planted,area_ha,lat,lon
PL1,P1,saxaul,2023-04-10,1000,1.48,39.21,105.61
PL10,P2,sand_willow,2025-04-01,600,0.4,,
PL11,P8,saxaul,2025-04-02,800,1.2,,
PL12,P9,saxaul,2025-04-02,10,1,,
""",
    "redemptions.csv": """\
redemption_id,user_id,redeemed_at,project_id,species,units,energy_g
r2,u2,2025-02-10 10:00,P1,saxaul,2,35800
r9,u9,2025-05-12 10:00,P2,sand_willow,1,17900
""",
}


def later_folder(root: Path) -> Path:
    later = root / "later"
    later.mkdir()
    for name, text in LATER.items():
        (later / name).write_text(text, encoding="utf-8")
    return later


@pytest.fixture(scope="session")
def handbuilt_loaded_on_spark(
    spark, handbuilt_folder: Path, tmp_path_factory: pytest.TempPathFactory
) -> tuple[Path, Path, subprocess.CompletedProcess[str]]:
    """`ingest --engine spark` of the hand-built folder (the minimal reference, the marts at
    --marts), once per run: its warehouse, its marts, and what the command returned. The tests
    of a load after a Spark load start from a copy of it."""

    def build(root: Path) -> tuple[Path, Path, subprocess.CompletedProcess[str]]:
        db, marts = root / "warehouse", root / "marts"
        proc = run_cli_here(
            "ingest", str(handbuilt_folder), "--engine", "spark", "--db", str(db),
            "--reference", str(handbuilt.REFERENCE_MIN), "--marts", str(marts),
        )  # fmt: skip
        return db, marts, proc

    return build_once(tmp_path_factory, "handbuilt-spark-load", handbuilt_folder, build)


def copy_of(loaded: tuple[Path, Path, subprocess.CompletedProcess[str]], to: Path) -> Path:
    """A copy of a warehouse the command line loaded, once it is known to have loaded it."""
    db, _, proc = loaded
    assert proc.returncode == 0, proc.stderr[-3000:]
    shutil.copytree(db, to)
    return to


def test_a_second_load_is_the_same_on_both_engines(
    handbuilt_folder: Path, handbuilt_loaded_on_spark, tmp_path: Path
) -> None:
    """The hand-built folder, then LATER, loaded by DuckDB, by Spark, and by DuckDB then Spark:
    a key loaded before counts as already loaded whatever its month, a repeat within a file
    is still a reject, and a row may refer to a project or area of the first load."""
    from greenstats.data.spark.run import ingest_on_spark

    later = later_folder(tmp_path)
    ref = handbuilt.REFERENCE_MIN
    duck, on_spark, mixed = tmp_path / "duck", tmp_path / "spark", tmp_path / "mixed"
    ingest_folder(handbuilt_folder, duck, ref)
    second = {r.name: r for r in ingest_folder(later, duck).reports}
    copy_of(handbuilt_loaded_on_spark, on_spark)  # ingest --engine spark of handbuilt_folder
    spark_second = {r.name: r for r in ingest_on_spark(later, on_spark).reports}
    ingest_folder(handbuilt_folder, mixed, ref)
    ingest_on_spark(later, mixed)
    # What the contract says of each row of LATER (docs/CONTRACT.md, Loading again).
    counts = {name: (r.accepted, r.already_loaded, r.rejected) for name, r in second.items()}
    assert counts == {
        # a02 again (same month) and a04 dated May: already loaded; the second a30 and a02
        # repeat a line of the file; CN-ZZ is no region.
        "actions.csv": (2, 2, 3),
        "projects.csv": (1, 1, 0),
        "protected_areas.csv": (1, 0, 0),  # its project P3 came with the first load
        "area_species.csv": (1, 1, 1),  # A9 is no area
        "plantings.csv": (2, 1, 1),  # PL10 is on P2 of the first load; P9 is no project
        "redemptions.csv": (1, 1, 0),
    }
    assert {n: (r.accepted, r.already_loaded, r.rejected) for n, r in spark_second.items()} == (
        counts
    )
    assert_same_loads(duck, on_spark)
    assert_same_loads(duck, mixed)
    assert_same_figures(duck, on_spark)
    # Spark keeps no key index: the next DuckDB load rebuilds it from the lake and sees the
    # keys of both loads.
    with Warehouse(on_spark).open_snapshot() as r:
        assert r.scalar("SELECT count(*) FROM key_index") == 0
    third = ingest_folder(later, on_spark)
    assert sum(r.accepted for r in third.reports) == 0
    assert sum(r.already_loaded for r in third.reports) == sum(
        r.accepted + r.already_loaded for r in second.values()
    )


def test_a_duckdb_load_after_a_spark_load_sees_its_keys(
    handbuilt_folder: Path, handbuilt_loaded_on_spark, tmp_path: Path
) -> None:
    """The Spark load leaves no key index; the next DuckDB load rebuilds it from the lake and
    counts a repeated event as already loaded, not again."""
    db = copy_of(handbuilt_loaded_on_spark, tmp_path / "warehouse")
    marts = handbuilt_loaded_on_spark[1]
    assert list((marts / "mart_actions_daily").glob("month=*/*.parquet"))
    with Warehouse(db).open_snapshot() as r:
        before = r.scalar("SELECT sum(count_actions) FROM mart_actions_daily")
    again = ingest_folder(handbuilt_folder, db)
    with Warehouse(db).open_snapshot() as r:
        assert r.scalar("SELECT sum(count_actions) FROM mart_actions_daily") == before
    actions = [x for x in again.reports if x.table == "actions"]
    assert sum(x.accepted for x in actions) == 0
    assert sum(x.already_loaded for x in actions) > 0


def test_a_lake_at_a_uri_is_loaded_and_built_by_spark(
    handbuilt_folder: Path, spark, tmp_path: Path
) -> None:
    """Two Spark loads with --lake at a URI (here file:, as s3a:// or hdfs:// on a cluster):
    the snapshot lists the files by URI, nothing lands in the warehouse's lake folder, the
    marts and figures are those of the same loads on DuckDB, Spark rebuilds from that lake,
    and the DuckDB engine refuses the warehouse, by name, changing nothing."""
    from greenstats.data.spark.run import ingest_on_spark, rebuild_on_spark

    later = later_folder(tmp_path)
    ref = handbuilt.REFERENCE_MIN
    duck, db, lake = tmp_path / "duck", tmp_path / "warehouse", tmp_path / "lake"
    ingest_folder(handbuilt_folder, duck, ref)
    ingest_folder(later, duck)
    ingest_on_spark(handbuilt_folder, db, ref, lake=lake.as_uri())
    ingest_on_spark(later, db, lake=lake.as_uri())
    with Warehouse(db).open_snapshot() as r:
        paths = [p for (p,) in r.rows("SELECT path FROM lake_files")]
    assert len(paths) == len(set(paths)) > 0
    assert all(p.startswith(f"file:{lake}/spark-L00000") for p in paths)
    assert not list((db / "lake").glob("**/*.parquet"))
    assert_same_loads(duck, db)
    assert_same_figures(duck, db)  # summary's exact users read the lake at its URI
    version = Warehouse(db).require_current().version
    for args in (["ingest", str(later)], ["build"]):
        proc = run_cli_here(*args, "--db", str(db))
        assert proc.returncode == 1, proc.stdout
        assert f"is at a URI (file:{lake}/spark-L" in proc.stderr
        assert "with --engine spark" in proc.stderr
    assert Warehouse(db).require_current().version == version
    rebuild_on_spark(db)
    assert_same_loads(duck, db)
    # A load whose folder at the URI holds files (another warehouse's, or a load stopped) is
    # refused before it writes, and those files stay.
    taken = lake / f"spark-L{Warehouse(db).next_number():06d}" / "other.parquet"
    taken.parent.mkdir()
    taken.write_bytes(b"not ours")
    with pytest.raises(WarehouseError, match="already holds files"):
        ingest_on_spark(later, db, lake=lake.as_uri())
    assert taken.read_bytes() == b"not ours"
    # The exact count of users reads the lake: one DuckDB cannot read at its URI is named.
    shutil.rmtree(lake / "spark-L000001")
    with Warehouse(db).open_snapshot() as r, pytest.raises(WarehouseError) as lost:
        headline.summary(r, Filters())
    assert str(lost.value).startswith(f"The lake at file:{lake}/spark-L000001/actions/")
    assert "could not be read by DuckDB" in str(lost.value)
    # --lake is a URI, and a setting of the Spark engine only.
    proc = run_cli_here("ingest", str(later), "--db", str(db), "--engine", "spark", "--lake", "lk")
    assert proc.returncode == 1
    assert "error: --lake lk is not a URI" in proc.stderr
    proc = run_cli_here("ingest", str(later), "--db", str(db), "--lake", lake.as_uri())
    assert proc.returncode == 2
    assert "--lake is a setting of --engine spark" in proc.stderr


def test_every_re_send_route_loaded_twice_on_spark_counts_once(spark, tmp_path: Path) -> None:
    """Issue 26: one event re-sent in another form (CSV 9002 and Parquet DOUBLE 9002.0, BIGINT
    and "9003.0", a NO-BREAK or IDEOGRAPHIC SPACE, a BOM mid-file, NFD) is one key on Spark as
    on DuckDB: the corpus's dup-resend-* cases, their files as the parts of one folder on top
    of the corpus's base, loaded twice by each engine; the second load adds nothing."""
    from greenstats.data.spark.run import ingest_on_spark
    from tests import corpus

    base = corpus.Case("base", "", corpus.BASE).write(tmp_path / "base")
    folder = tmp_path / "resend"
    cases = [c for c in corpus.cases() if c.name.startswith("dup-resend-")]
    assert len(cases) == 6
    for case in cases:
        for rel, content in case.files.items():
            part = folder / "actions" / f"{case.name}--{Path(rel).name}"
            part.parent.mkdir(parents=True, exist_ok=True)
            if callable(content):
                content(part)
            else:
                part.write_bytes(content)
    expected_new = sum(c.good.get("actions", 0) for c in cases)
    counts = {}
    for engine, load in (("duckdb", ingest_folder), ("spark", ingest_on_spark)):
        db = tmp_path / engine
        ingest_folder(base, db, corpus.REFERENCE_MIN)
        first, second = load(folder, db), load(folder, db)
        assert sum(r.accepted for r in second.reports) == 0, engine
        assert sum(r.already_loaded for r in second.reports) == sum(
            r.rows_read for r in first.reports
        ), engine
        with Warehouse(db).open_snapshot() as r:
            counts[engine] = r.scalar("SELECT sum(count_actions) FROM mart_actions_daily")
    # BASE's 4 actions and the keys the cases add, less one: two cases send g0 (one with a
    # NO-BREAK SPACE), which in one folder is one key.
    assert counts["duckdb"] == counts["spark"] == corpus.BASE_ROWS["actions"] + expected_new - 1
