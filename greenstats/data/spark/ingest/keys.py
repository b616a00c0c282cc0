"""Keys loaded once on Spark (docs/CONTRACT.md, Loading again), as
`greenstats.data.ingest.keys` keeps them on DuckDB.

A repeat of a key within a file is a reject; a key loaded before (found in the lake files
of earlier loads, whichever engine wrote them, by a join on the keys themselves) or accepted
from an earlier file of this load, of any month, counts as already loaded, as the DuckDB
engine's key index counts it. A project or area loaded before may be referred to
(`check`).
"""

from __future__ import annotations

from pyspark.sql import DataFrame, Window
from pyspark.sql import functions as sf

from greenstats.data.contract import REJECT_RULES, Table
from greenstats.data.ingest import rules
from greenstats.data.spark.ingest.adapter import SparkAdapter
from greenstats.data.spark.ingest.check import ACCEPTED, ALREADY, REPEAT
from greenstats.data.spark.ingest.files import file_names


def duplicates(
    table: Table, rows: DataFrame, names: list[tuple[int, str]], earlier: DataFrame | None = None
) -> DataFrame:
    """Give each stored row its `_status`: accepted, a repeat of its key within its file (a
    reject, with REJECT_COLUMNS) or already loaded (its key loaded before, `earlier`, or
    accepted from an earlier file of the load), as `ingest.keys.dedupe_and_write` and
    `Loader.finish` do: within a file the first line wins, whether or not its key was loaded
    before; across loads the earlier load, and across the files of a load the first file,
    whatever the months."""
    in_file = Window.partitionBy("_file_no", "_key")
    rows = rows.withColumn("_first", sf.min("_line").over(in_file))
    first_file = sf.min(sf.when(sf.col("_line") == sf.col("_first"), sf.col("_file_no")))
    rows = rows.withColumn("_first_file", first_file.over(Window.partitionBy("_key")))
    if earlier is not None:
        # A shuffle join, not a broadcast: a table's keys loaded before may be billions.
        seen = earlier.select("_key", sf.lit(True).alias("_earlier"))
        rows = rows.join(seen, "_key", "left")
    else:
        rows = rows.withColumn("_earlier", sf.lit(False))
    status = (
        sf.when(sf.col("_line") > sf.col("_first"), REPEAT)
        .when(sf.col("_earlier"), ALREADY)
        .when(sf.col("_file_no") > sf.col("_first_file"), ALREADY)
        .otherwise(ACCEPTED)
    )
    rows = rows.withColumn("_status", status)
    label = " + ".join(table.key)
    template = REJECT_RULES["duplicate_key"].replace("%", "%%").format(id=label, first_line="%d")
    detail = sf.struct(sf.col("_first").cast("string").alias("first_line"),
                       sf.lit(label).alias("id"))  # fmt: skip
    repeat = sf.col("_status") == REPEAT
    reject = {
        "table_name": sf.lit(table.name),
        "file": file_names(names, "_file_no"),
        "line": sf.col("_line").cast("bigint"),
        "column_name": sf.lit(table.key[0]),
        "reason": sf.format_string(template, "_first"),
        "value": sf.expr(SparkAdapter({})(rules.shortened("_key"))),
        "rule": sf.lit("duplicate_key"),
        "detail": sf.to_json(detail),
    }
    return rows.select("*", *(sf.when(repeat, v).alias(k) for k, v in reject.items()))
