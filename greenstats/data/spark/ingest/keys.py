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
from greenstats.data.spark.ingest.check import ACCEPTED, ALREADY, BAD, REPEAT
from greenstats.data.spark.ingest.files import file_names


def duplicates(
    table: Table, rows: DataFrame, names: list[tuple[int, str]], earlier: DataFrame | None = None
) -> DataFrame:
    """Give each checked row its `_status`: bad (it broke a rule: `_check`), accepted, a repeat
    of its key within its file (a reject, with REJECT_COLUMNS) or already loaded (its key
    loaded before, `earlier`, or accepted from an earlier file of the load), as
    `ingest.keys.dedupe_and_write` and `Loader.finish` do: within a file the first line wins,
    whether or not its key was loaded before; across loads the earlier load, and across the
    files of a load the first file, whatever the months. A row that broke a rule has no key:
    it keeps its reject and takes no part in the rule."""
    # A bad row's window is its own line (its key is NULL): the bad rows of a file do not
    # all fall into one window, on one task.
    rows = rows.withColumn("_alone", sf.when(sf.col("_check").isNotNull(), sf.col("_line")))
    # The first file of a key is the least file number that holds it. The rows are shuffled
    # once, by key: the window by key computes that first, and the window by file and key
    # finds its rows already together (a window by file and key first shuffled them twice).
    by_key = Window.partitionBy("_key", "_alone")
    rows = rows.withColumn("_first_file", sf.min("_file_no").over(by_key))
    in_file = Window.partitionBy("_key", "_alone", "_file_no")
    rows = rows.withColumn("_first", sf.min("_line").over(in_file))
    if earlier is not None:
        # A shuffle join, not a broadcast: a table's keys loaded before may be billions.
        # A bad row joins on a value of its own (its key is NULL, and NULLs would all meet in
        # one task); should it equal a key, the row is bad all the same.
        own = sf.concat(sf.lit("\u0000bad "), sf.col("_file_no"), sf.lit(" "), sf.col("_line"))
        seen = earlier.select(sf.col("_key").alias("_join"), sf.lit(True).alias("_earlier"))
        rows = rows.withColumn("_join", sf.coalesce(sf.col("_key"), own))
        rows = rows.join(seen, "_join", "left").drop("_join")
    else:
        rows = rows.withColumn("_earlier", sf.lit(False))
    status = (
        sf.when(sf.col("_check").isNotNull(), BAD)
        .when(sf.col("_line") > sf.col("_first"), REPEAT)
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
    kept = [c for c in rows.columns if c not in reject and c != "_alone"]
    # A repeat's reject; a bad row's, as its check wrote it.
    return rows.select(*kept, *(sf.when(repeat, v).otherwise(sf.col(k)).alias(k)
                                for k, v in reject.items()))  # fmt: skip
