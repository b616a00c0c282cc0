"""`greenstats build --engine spark`: every model on Spark, then the same publish as DuckDB's.

1. The lake files the current snapshot lists are read by Spark (on a cluster: the lake's URIs).
2. Every model is written as partitioned Parquet under the marts location (spark/build.py).
3. Publish: a new snapshot is built from those files (build.BuildInput.marts_from), with the
   same tables, columns and types as a DuckDB build, and the same bookkeeping; the dashboard
   and `summary` read it unchanged.

The warehouse's writer lock is held from the first step to the last, so no load changes the
lake while Spark reads it.
"""

from __future__ import annotations

import re
import shutil
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from greenstats.data.build import BuildInput, build_snapshot
from greenstats.data.contract import TABLES
from greenstats.data.pipeline import IngestResult, _reference
from greenstats.data.warehouse import LakeFile, Snapshot, Warehouse, WarehouseError

#: Where the marts go when no location is given: inside the warehouse, replaced by each build.
DEFAULT_MARTS = Path("spark") / "marts"


def rebuild_on_spark(
    db: str | Path | None = None,
    reference_dir: str | Path | None = None,
    *,
    marts: str | None = None,
    on_step: Callable[[str], None] | None = None,
) -> Snapshot:
    """Build every model on Spark from the current snapshot's lake, write the marts to `marts`
    (default: <warehouse>/spark/marts) and publish a snapshot of them."""
    from greenstats.data.spark.session import check_available, get_session

    check_available()
    warehouse = Warehouse(db)
    with warehouse.faults(writing=True), warehouse.writer_lock():
        prev = warehouse.require_current()
        reference = _reference(warehouse, prev, reference_dir)
        with warehouse.open_snapshot(prev) as reader:
            lake = {t.name: reader.lake_paths(t.name) for t in TABLES}
        location = marts or str(warehouse.root / DEFAULT_MARTS)
        if on_step:
            on_step("starting Spark")
        spark = get_session()
        _build_marts(spark, lake, location, on_step)
        number = warehouse.next_number()
        if on_step:
            on_step("publishing")
        with _readable(spark, location, warehouse.root) as local:
            spec = BuildInput(reference, full=True, marts_from=local, built_by=described(spark))
            with warehouse.work_connection() as con:
                return build_snapshot(warehouse, con, number, prev, spec, on_step)


#: A location with a scheme (s3a://, hdfs://, abfss://, file:…): Hadoop's to read, not DuckDB's.
_URI = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")


@contextmanager
def _readable(spark, location: str, root: Path) -> Iterator[str]:
    """The marts at `location` where the publish step's DuckDB reads them. A local path is read
    where it is. Marts at a URI are copied first, by Hadoop's file system (whichever the URI's
    scheme names, as Spark wrote them), into a folder of the warehouse that is removed after
    the publish: the marts are the aggregates, small beside the lake, and the snapshot holds
    them anyway."""
    if not _URI.match(location):
        yield location
        return
    jvm = spark._jvm
    conf = spark._jsc.hadoopConfiguration()
    source = jvm.org.apache.hadoop.fs.Path(location)
    staging = root / "spark" / f"staging-{uuid.uuid4().hex}"
    target = jvm.org.apache.hadoop.fs.Path(staging.resolve().as_uri())
    try:
        try:
            jvm.org.apache.hadoop.fs.FileUtil.copy(
                source.getFileSystem(conf), source, target.getFileSystem(conf), target, False, conf
            )
        except Exception as exc:
            if not _from_spark(exc):
                raise
            raise WarehouseError(
                f"The marts at {location} could not be copied for the publish: "
                f"{_first_line(exc)}; nothing was published"
            ) from exc
        yield str(staging)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _build_marts(spark, lake, location: str, on_step: Callable[[str], None] | None) -> None:
    """Every model on Spark into `location`; Spark's failure as one sentence, nothing published."""
    from greenstats.data.spark.build import build_marts

    try:
        build_marts(spark, lake, location, on_step=on_step)
    except Exception as exc:
        if not _from_spark(exc):
            raise
        raise WarehouseError(
            f"Spark could not build the marts at {location}: {_first_line(exc)}; nothing "
            "was published"
        ) from exc


def _from_spark(exc: BaseException) -> bool:
    """Whether an error was raised by Spark (its Python API or the JVM behind it)."""
    return type(exc).__module__.split(".")[0] in {"pyspark", "py4j"}


def _first_line(exc: BaseException) -> str:
    """The first line of Spark's message, without the JVM's stack (which follows it)."""
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    return lines[0] if lines else type(exc).__name__


def described(spark) -> str:
    """The engine and the settings a build ran with, as `greenstats info` shows them."""
    partitions = spark.conf.get("spark.sql.shuffle.partitions")
    return f"spark {spark.version} ({spark.sparkContext.master}, {partitions} shuffle partitions)"


def ingest_on_spark(
    folder: str | Path,
    db: str | Path | None = None,
    reference_dir: str | Path | None = None,
    *,
    marts: str | None = None,
    on_step: Callable[[str], None] | None = None,
) -> IngestResult:
    """`greenstats ingest --engine spark`: check every row of `folder` on Spark, write the
    accepted rows to the warehouse's lake and the rejects beside them (Parquet), build every
    model on Spark and publish one snapshot of it all, with the same bookkeeping as a DuckDB
    load (lake_files, loads, rejects). Only into a new warehouse (the Spark ingest checks keys
    within its load, not against a lake loaded before); a later DuckDB load rebuilds the key
    index from the lake on its first run."""
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from greenstats.data import pseudonym
    from greenstats.data.contract import LOCAL_TZ
    from greenstats.data.ingest import discover
    from greenstats.data.paths import DEMO_MARKER
    from greenstats.data.spark.ingest import ingest_folder_spark
    from greenstats.data.spark.session import check_available, get_session

    check_available()
    folder = Path(folder)
    if not folder.is_dir():
        raise WarehouseError(f"There is no folder {folder} to ingest: nothing was loaded.")
    warehouse = Warehouse(db)
    with warehouse.faults(writing=True), warehouse.writer_lock():
        if warehouse.current() is not None:
            raise WarehouseError(
                f"{warehouse.root} already holds a snapshot: the Spark engine loads into a new "
                "warehouse only (its duplicate check sees one load); load this folder with the "
                "DuckDB engine, or into a new --db."
            )
        reference = _reference(warehouse, None, reference_dir)
        key = pseudonym.user_key()
        number = warehouse.next_number()
        lake_rel = Path("lake") / f"spark-L{number:06d}"
        lake = str(warehouse.root / lake_rel)
        if on_step:
            on_step("starting Spark")
        spark = get_session()
        load_day = datetime.now(ZoneInfo(LOCAL_TZ)).date()
        if on_step:
            on_step("checking rows")
        try:
            result = ingest_folder_spark(spark, folder, lake, reference, key, load_day)
        except Exception as exc:
            if not _from_spark(exc):
                raise
            raise WarehouseError(
                f"Spark could not load {folder}: {_first_line(exc)}; nothing was published"
            ) from exc
        new_files = _written_files(warehouse.root, lake_rel)
        rows = [
            (r.table, r.name, r.rows_read, r.accepted, r.already_loaded, r.rejected, r.refused,
             "; ".join(r.warnings) or None)
            for r in result.reports
        ]  # fmt: skip
        lake_by_table = {t.name: [] for t in TABLES}
        for f in new_files:
            lake_by_table[f.table].append(str(warehouse.root / f.path))
        location = marts or str(warehouse.root / DEFAULT_MARTS)
        _build_marts(spark, lake_by_table, location, on_step)
        if on_step:
            on_step("publishing")
        with (
            _readable(spark, location, warehouse.root) as local,
            warehouse.work_connection() as work,
        ):
            work.execute(
                "CREATE TEMP TABLE spark_rejects AS SELECT * FROM read_parquet(?)",
                [f"{result.rejects}/*.parquet"],
            )
            spec = BuildInput(
                reference, new_files, rows, "spark_rejects",
                full=True, demo=True if (folder / DEMO_MARKER).exists() else None,
                key_index={}, user_key_id=key.fingerprint, marts_from=local,
                built_by=described(spark),
            )  # fmt: skip
            snap = build_snapshot(warehouse, work, number, None, spec, on_step)
    ignored = [p for p in discover(folder).ignored if p.name != DEMO_MARKER]
    return IngestResult(result.reports, ignored, snap)


def _written_files(root: Path, lake_rel: Path) -> list[LakeFile]:
    """The lake files a Spark ingest wrote under root/lake_rel, as lake_files lists them: path
    under the warehouse, month (from the `_month=` folder) and rows (from the file's footer)."""
    import duckdb

    from greenstats.data.spark.ingest import LAKE_PARTITION

    found = []
    with duckdb.connect() as con:
        for table in TABLES:
            for path in sorted((root / lake_rel / table.name).glob("**/*.parquet")):
                rows = con.execute(
                    "SELECT sum(num_rows) FROM parquet_file_metadata(?)", [str(path)]
                ).fetchone()[0]
                month = None
                if table.partition_by:
                    month = path.parent.name.removeprefix(f"{LAKE_PARTITION}=")
                rel = str(path.relative_to(root))
                found.append(LakeFile(table.name, rel, month, int(rows or 0)))
    return found
