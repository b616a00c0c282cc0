"""Every model of `greenstats/data/models/` on Spark, written as partitioned Parquet.

The models are the DuckDB engine's own files, transpiled by `sql.to_spark`; this module only
sets up what they read (the lake views, the affected months and weeks, the user-days) and writes
each result where the next model and the publish step find it:

    <marts>/<model>/month=YYYY-MM/part-….parquet   (models partitioned by month)
    <marts>/<model>/week=YYYY-MM-DD/…               (by week)
    <marts>/<model>/year=YYYY/…                     (by year)
    <marts>/<model>/part-….parquet                  (whole-table models)

`<marts>` is a local path or any URI the cluster's Hadoop file system reads (`s3a://`,
`hdfs://`, `abfss://`). A Spark build is always a full build of every month: the DuckDB engine's
passes and merges exist to fit one machine's memory, which a cluster does not need; what a
model computes is the same, and the parity tests hold both engines to it.

Nothing is collected to the driver but the list of months (one string a month).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING

from greenstats.data.build import _PARTITIONED, USER_DAYS, load_models
from greenstats.data.contract import TABLES, Table
from greenstats.data.ingest.rules import is_user_id
from greenstats.data.spark.sql import SPARK_TYPES, to_spark

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession


def partition_column(materialized: str) -> str | None:
    """The column a model's Parquet is partitioned by (None: a whole-table model)."""
    m = _PARTITIONED.match(materialized)
    return m.group(1) if m else None


def lake_view(spark: SparkSession, table: Table, paths: Sequence[str]) -> DataFrame:
    """The accepted rows of one contract table: its lake files read as the DuckDB engine reads
    them (build._lake_view). A file written before its table gained an optional column lacks
    it: read by name, and a column no file has is NULL, of the contract's type."""
    from pyspark.sql import functions as sf

    columns = [
        (c.name, "bigint" if is_user_id(table, c.name) else SPARK_TYPES[c.type])
        for c in table.columns
    ]
    if table.partition_by:
        columns += [("day", "date"), ("month", "string")]
    if not paths:
        schema = ", ".join(f"`{name}` {kind}" for name, kind in columns)
        return spark.createDataFrame([], schema)
    df = spark.read.option("mergeSchema", "true").parquet(*paths)
    present = set(df.columns)
    return df.select(
        *[
            sf.col(f"`{name}`").cast(kind) if name in present else sf.lit(None).cast(kind)
            for name, kind in columns
        ]
    )


def build_marts(
    spark: SparkSession,
    lake: Mapping[str, Sequence[str]],
    marts: str,
    *,
    on_step: Callable[[str], None] | None = None,
) -> None:
    """Run every model over the lake files `lake` lists (table name → paths or URIs) and write
    each to `<marts>/<model>`, in run order."""
    for table in TABLES:
        lake_view(spark, table, lake.get(table.name, ())).createOrReplaceTempView(
            f"lake_{table.name}"
        )
    # A full build: every month is affected, every week of every month.
    spark.sql(
        """SELECT DISTINCT month, left(month, 4) AS year FROM (
             SELECT month FROM lake_actions UNION SELECT month FROM lake_redemptions)"""
    ).createOrReplaceTempView("affected_months")
    spark.sql(
        "SELECT DISTINCT CAST(date_trunc('WEEK', day) AS DATE) AS week FROM lake_actions"
    ).createOrReplaceTempView("affected_weeks")
    spark.table("lake_actions").createOrReplaceTempView("lake_actions_around")
    step(spark, "user days", on_step)
    _materialize(spark, to_spark(USER_DAYS), f"{marts}/_work/user_days", None, "lake_user_days")
    spark.table("lake_user_days").createOrReplaceTempView("lake_user_days_around")
    for model in load_models():
        step(spark, model.name, on_step)
        column = partition_column(model.materialized)
        _materialize(spark, to_spark(model.sql), f"{marts}/{model.name}", column, model.name)
    step(spark, None)


def step(
    spark: SparkSession, what: str | None, on_step: Callable[[str], None] | None = None
) -> None:
    """Name the Spark jobs that follow after a step (Spark's UI and event log show the name;
    bench/spark_stages.py sums the time by it), and report the step; None: the steps are
    done."""
    spark.sparkContext.setJobDescription(what)
    if on_step and what:
        on_step(what)


def _materialize(
    spark: SparkSession, sql: str, path: str, partition: str | None, view: str
) -> None:
    """Write a query's rows as Parquet at `path` (partitioned by `partition`), and make `view`
    read them back: a later model reads the written files, not the query's lineage again."""
    # Static overwrite: a full build replaces the whole model, stale partitions included.
    rows = spark.sql(sql)
    writer = rows.write.mode("overwrite").option("partitionOverwriteMode", "static")
    if partition:
        writer = writer.partitionBy(partition)
    writer.parquet(path)
    # With its schema: a partitioned write of no rows leaves no file to read one from.
    spark.read.schema(rows.schema).parquet(path).createOrReplaceTempView(view)
