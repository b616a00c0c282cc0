"""One Spark load: each group of a folder's files read and checked, each table's keys kept once,
and the accepted rows written to a new lake and the rejects beside it, as
`greenstats.data.ingest.loader` loads a folder on DuckDB.

Nothing is collected to the driver but counts; rows go from the input files to the lake and
the rejects as Parquet.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from pyspark import StorageLevel
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as sf
from pyspark.sql import types as st

from greenstats.data import pseudonym
from greenstats.data.contract import TABLES
from greenstats.data.ingest.files import FileReport, discover
from greenstats.data.methodology import Reference
from greenstats.data.spark.build import step
from greenstats.data.spark.hadoop import holds_files
from greenstats.data.spark.ingest.check import (
    ACCEPTED,
    BAD,
    REJECT_COLUMNS,
    REPEAT,
    SparkLoader,
    union,
)
from greenstats.data.spark.ingest.files import Numbered, group_files
from greenstats.data.spark.ingest.keys import duplicates

#: The folder level of a partitioned table's lake files: `<lake>/<table>/_month=YYYY-MM/`.
LAKE_PARTITION = "_month"


@dataclass
class SparkIngestResult:
    """What a Spark ingest did: a report per file (as the DuckDB engine's) and where the lake
    (one folder per table) and the rejects (Parquet, REJECT_COLUMNS) were written."""

    reports: list[FileReport]
    lake: str
    rejects: str
    tables: list[str] = field(default_factory=list)  # the tables written to the lake


def ingest_folder_spark(
    spark: SparkSession,
    folder: str | Path,
    lake: str,
    reference: Reference,
    user_key: pseudonym.UserKey,
    load_day: date,
    rejects: str | None = None,
    earlier: Mapping[str, Sequence[str]] | None = None,
) -> SparkIngestResult:
    """Check every row of a folder's contract files on Spark and write the accepted rows to
    `lake` (`<lake>/<table>/`, Parquet; a table partitioned by month as `month=YYYY-MM/`, with
    the DuckDB engine's columns: the stored values, `day`) and the rejects to `rejects`
    (default `<lake>/_rejects`, Parquet, REJECT_COLUMNS).

    `load_day` is "today" of the contract's bounds (the DuckDB engine's Loader.load_day).
    `lake` must be new (this load's folder); `earlier` lists, per table, the lake files of the
    loads before it (paths or URIs, as the current snapshot lists them): a key found there
    counts as already loaded, and a project or area found there can be referred to. Returns a
    report per file, as the DuckDB engine's.
    """

    folder = Path(folder)
    lake = lake.rstrip("/")
    rejects = rejects or f"{lake}/_rejects"
    for location in (lake, rejects):
        if holds_files(spark, location):
            raise FileExistsError(f"{location} is not empty: the Spark ingest writes a new lake")
    loader = SparkLoader(spark, reference, user_key, load_day, earlier)
    found = discover(folder)
    # A file refused on discovery (see discover) is numbered apart from those read.
    reports = [Numbered(-1 - i, report) for i, report in enumerate(found.refused)]
    groups = group_files(spark, folder, found.files, reports)
    rejects_parts: list[DataFrame] = []
    cached: list[DataFrame] = []
    written: list[str] = []
    for table in TABLES:
        checked: list[DataFrame] = []
        for group in (g for g in groups if g.table is table):
            checked.append(loader.check_group(group))
        if not checked:
            continue
        names = [(r.number, r.report.name) for r in reports if r.report.table == table.name]
        earlier_keys = loader.earlier_keys.get(table.name)
        # Every row read once and checked once: the counts, the lake and the rejects all read
        # these rows, kept (MEMORY_AND_DISK) for the three.
        rows = duplicates(table, union(checked), names, earlier_keys)
        rows = rows.persist(StorageLevel.MEMORY_AND_DISK)
        cached.append(rows)
        step(spark, f"check {table.name}")
        _count(rows.groupBy("_file_no", "_status").count().collect(), reports)
        accepted = rows.where(sf.col("_status") == ACCEPTED)
        if table.name in ("projects", "protected_areas"):
            loader.accepted_keys[table.name] = accepted.select("_key")
        rejects_parts.append(rows.where(sf.col("_status").isin(BAD, REPEAT)))
        if any(r.report.accepted for r in reports if r.report.table == table.name):
            lake_columns = [*table.names, *(["day", "month"] if table.partition_by else [])]
            rows_out = accepted.select(*lake_columns)
            if table.partition_by:
                # Files hold every column, `month` too, as the DuckDB engine's lake files do
                # (its build reads them without hive partitioning): Spark's partitionBy takes
                # its column out of the files, so the folders are cut by a copy, `_month`.
                rows_out = rows_out.withColumn(LAKE_PARTITION, sf.col("month"))
            writer = rows_out.write.mode("errorifexists")
            if table.partition_by:
                writer = writer.partitionBy(LAKE_PARTITION)
            step(spark, f"write lake {table.name}")
            writer.option("compression", "zstd").parquet(f"{lake}/{table.name}")
            written.append(table.name)
    step(spark, "write rejects")
    _write_rejects(spark, rejects_parts, rejects)
    step(spark, None)
    for df in cached:
        df.unpersist()
    return SparkIngestResult([r.report for r in reports], lake, rejects, written)


def _count(rows: list, reports: list[Numbered]) -> None:
    """Add the rows counted per file number and status to the files' reports."""
    by_number = {r.number: r.report for r in reports}
    for row in rows:
        report, n = by_number[row["_file_no"]], row["count"]
        report.rows_read += n
        if row["_status"] in (BAD, REPEAT):
            report.rejected += n
        elif row["_status"] == ACCEPTED:
            report.accepted += n
        else:
            report.already_loaded += n


def _write_rejects(spark: SparkSession, parts: list[DataFrame], location: str) -> None:
    """Write every reject of the load as one Parquet data set (empty: its schema only)."""

    schema = st.StructType([
        st.StructField(c, st.LongType() if c == "line" else st.StringType()) for c in REJECT_COLUMNS
    ])  # fmt: skip
    out = union([spark.createDataFrame([], schema), *parts]).select(*REJECT_COLUMNS)
    out.coalesce(1).write.mode("errorifexists").parquet(location)
