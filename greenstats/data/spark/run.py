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

import shutil
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from greenstats.data.build import BuildInput, build_snapshot
from greenstats.data.contract import TABLES
from greenstats.data.keyindex import remove_unlisted
from greenstats.data.paths import is_uri, shown
from greenstats.data.pipeline import (
    IngestResult,
    _check_user_key,
    _lake_files,
    _reference,
    check_folder_name,
)
from greenstats.data.warehouse import LakeFile, Snapshot, Warehouse, WarehouseError
from greenstats.data.warehouse.snapshot import lake_location

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

    from greenstats.data.methodology import Reference
    from greenstats.data.pseudonym import UserKey
    from greenstats.data.spark.ingest import SparkIngestResult

#: The tables a key index covers (those the lake partitions by month): a Spark load lists none.
KEYED_TABLES = [t.name for t in TABLES if t.partition_by]

#: Where the marts go when no location is given: inside the warehouse, replaced by each build.
DEFAULT_MARTS = Path("spark") / "marts"


def rebuild_on_spark(
    db: str | Path | None = None,
    reference_dir: str | Path | None = None,
    *,
    marts: str | None = None,
    on_step: Callable[[str], None] | None = None,
    force: bool = False,
    on_warning: Callable[[str], None] | None = None,
) -> Snapshot:
    """Build every model on Spark from the current snapshot's lake, write the marts to `marts`
    (default: <warehouse>/spark/marts) and publish a snapshot of them."""
    from greenstats.data.spark.session import check_available, get_session

    check_available()
    warehouse = Warehouse(db)
    with warehouse.faults(writing=True), warehouse.writer_lock():
        prev = warehouse.require_current()
        reference = _reference(warehouse, prev, reference_dir, force, on_warning)
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


@contextmanager
def _readable(spark, location: str, root: Path, what: str = "marts") -> Iterator[str]:
    """The marts (or the rejects: `what`) at `location` where the publish step's DuckDB reads
    them. A local path is read where it is. Those at a URI are copied first, by Hadoop's file
    system (whichever the URI's scheme names, as Spark wrote them), into a folder of the
    warehouse that is removed after the publish: the marts are the aggregates and the rejects
    the bad rows, small beside the lake, and the snapshot holds them anyway."""
    from greenstats.data.spark import hadoop

    if not is_uri(location):
        yield location
        return
    staging = root / "spark" / f"staging-{uuid.uuid4().hex}"
    try:
        try:
            hadoop.copy(spark, location, staging.resolve().as_uri())
        except Exception as exc:
            if not _from_spark(exc):
                raise
            raise WarehouseError(
                f"The {what} at {location} could not be copied for the publish: "
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
    lake: str | None = None,
    on_step: Callable[[str], None] | None = None,
    force: bool = False,
    on_warning: Callable[[str], None] | None = None,
) -> IngestResult:
    """`greenstats ingest --engine spark`: check every row of `folder` on Spark, write the
    accepted rows to the warehouse's lake and the rejects beside them (Parquet), build every
    model on Spark and publish one snapshot of it all, with the same bookkeeping as a DuckDB
    load (lake_files, loads, rejects). Into a new warehouse or one loaded before, by either
    engine: a key in the current snapshot's lake counts as already loaded. Spark keeps no key
    index (it is DuckDB's hash): the snapshot lists none, and the next DuckDB load rebuilds it
    from the lake.

    `lake`: a URI (s3a://, hdfs://, abfss://, file:…) under which the load's lake files go
    (`<lake>/spark-LNNNNNN/`), instead of the warehouse's lake/ folder; the snapshot then lists
    them by URI, and only the Spark engine loads and builds that warehouse."""
    from greenstats.data import pseudonym
    from greenstats.data.ingest import discover
    from greenstats.data.paths import DEMO_MARKER
    from greenstats.data.spark import hadoop
    from greenstats.data.spark.session import check_available, get_session

    check_available()
    folder = Path(folder)
    if not folder.is_dir():
        raise WarehouseError(f"There is no folder {shown(folder)} to ingest: nothing was loaded.")
    check_folder_name(folder)
    if lake is not None and not is_uri(lake):
        raise WarehouseError(
            f"--lake {lake} is not a URI: give one such as s3a://bucket/lake, hdfs://…, "
            "abfss://… or file:///…; without --lake the lake is inside the warehouse."
        )
    warehouse = Warehouse(db)
    with warehouse.faults(writing=True), warehouse.writer_lock():
        prev = warehouse.current()
        reference = _reference(warehouse, prev, reference_dir, force, on_warning)
        key = pseudonym.user_key()
        before, _ = _lake_files(warehouse, prev)
        _check_user_key(warehouse, prev, before, key)
        earlier = {t: [lake_location(warehouse.root, f.path) for f in files]
                   for t, files in before.items()}  # fmt: skip
        number = warehouse.next_number()
        lake_dir = _lake_dir(warehouse.root, lake, number)
        if on_step:
            on_step("starting Spark")
        spark = get_session()
        if hadoop.holds_files(spark, lake_dir):
            raise WarehouseError(
                f"{lake_dir} already holds files (another warehouse's lake, or a load that was "
                "stopped): nothing was loaded; give another --lake, or remove that folder if no "
                "warehouse lists it."
            )
        try:
            result, new_files = _check_and_write(
                spark, folder, lake_dir, warehouse.root, reference, key, earlier, on_step
            )
            rows = [
                (r.table, r.name, r.rows_read, r.accepted, r.already_loaded, r.rejected,
                 r.refused, "; ".join(r.warnings) or None)
                for r in result.reports
            ]  # fmt: skip
            lake_by_table = {t.name: list(earlier.get(t.name, [])) for t in TABLES}
            for f in new_files:
                lake_by_table[f.table].append(lake_location(warehouse.root, f.path))
            location = marts or str(warehouse.root / DEFAULT_MARTS)
            _build_marts(spark, lake_by_table, location, on_step)
            if on_step:
                on_step("publishing")
            with (
                _readable(spark, location, warehouse.root) as local,
                _readable(spark, result.rejects, warehouse.root, "rejects") as rejects,
                warehouse.work_connection() as work,
            ):
                work.execute(
                    "CREATE TEMP TABLE spark_rejects AS SELECT * FROM read_parquet(?)",
                    [f"{rejects}/*.parquet"],
                )
                spec = BuildInput(
                    reference, new_files, rows, "spark_rejects",
                    full=True, demo=True if (folder / DEMO_MARKER).exists() else None,
                    key_index={t: [] for t in KEYED_TABLES}, user_key_id=key.fingerprint,
                    marts_from=local, built_by=described(spark),
                )  # fmt: skip
                snap = build_snapshot(warehouse, work, number, prev, spec, on_step)
        except BaseException:
            # Nothing of a load that failed stays in the lake (a URI's folder included).
            hadoop.remove(spark, lake_dir)
            raise
        # The key index files the snapshot before listed are stale: no snapshot lists them now.
        remove_unlisted(warehouse.root, set())
    ignored = [p for p in discover(folder).ignored if p.name != DEMO_MARKER]
    return IngestResult(result.reports, ignored, snap)


def _lake_dir(root: Path, lake: str | None, number: int) -> str:
    """The folder of load `number`'s lake files: under the warehouse, or under a lake URI."""
    if lake is None:
        return str(root / "lake" / f"spark-L{number:06d}")
    return f"{lake.rstrip('/')}/spark-L{number:06d}"


def _check_and_write(
    spark: SparkSession,
    folder: Path,
    lake_dir: str,
    root: Path,
    reference: Reference,
    key: UserKey,
    earlier: dict[str, list[str]],
    on_step: Callable[[str], None] | None,
) -> tuple[SparkIngestResult, list[LakeFile]]:
    """The Spark ingest's checks and writes (spark/ingest/), as one sentence if Spark fails;
    returns its result and the lake files it wrote."""
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from greenstats.data.contract import LOCAL_TZ
    from greenstats.data.spark.ingest import ingest_folder_spark

    load_day = datetime.now(ZoneInfo(LOCAL_TZ)).date()
    if on_step:
        on_step("checking rows")
    try:
        result = ingest_folder_spark(
            spark, folder, lake_dir, reference, key, load_day, earlier=earlier
        )
        return result, _written_files(spark, root, lake_dir)
    except Exception as exc:
        if not _from_spark(exc):
            raise
        raise WarehouseError(
            f"Spark could not load {folder}: {_first_line(exc)}; nothing was published"
        ) from exc


def _written_files(spark, root: Path, lake_dir: str) -> list[LakeFile]:
    """The lake files a Spark ingest wrote under `lake_dir`, as lake_files lists them: the path
    under the warehouse (or the file's URI, for a lake at a URI), the month (from the
    `_month=` folder) and the rows (from the file's Parquet footer), listed and read by
    Hadoop's file system, as Spark wrote them."""
    from greenstats.data.spark import hadoop
    from greenstats.data.spark.ingest.loader import LAKE_PARTITION

    base, fs = hadoop.path_and_fs(spark, lake_dir)
    at_uri = is_uri(lake_dir)
    found = []
    for table in TABLES:
        folder = spark._jvm.org.apache.hadoop.fs.Path(base, table.name)
        if not fs.exists(folder):
            continue
        listed = fs.listFiles(folder, True)
        files = []
        while listed.hasNext():
            status = listed.next()
            path = status.getPath()
            if not path.getName().endswith(".parquet"):
                continue
            month = None
            if table.partition_by:
                month = path.getParent().getName().removeprefix(f"{LAKE_PARTITION}=")
            if at_uri:
                where = str(path.toString())
            else:
                where = str(Path(path.toUri().getPath()).relative_to(root.resolve()))
            files.append(LakeFile(table.name, where, month, hadoop.parquet_rows(spark, status)))
        found += sorted(files, key=lambda f: f.path)
    return found
