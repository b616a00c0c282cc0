"""Reading a group's rows on Spark: a Parquet file's rows with their position in it, a plain
CSV file's with their physical line, split into the header's columns as DuckDB's reader splits
them (a line that does not split keeps its text and the rule it breaks, and becomes a reject).
"""

from __future__ import annotations

from pyspark.sql import Column as SparkColumn
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as sf
from pyspark.sql import types as st

from greenstats.data.spark.ingest.files import Group

#: One field of a plain CSV line: quoted (quotes inside doubled) or without a quote. Possessive,
#: so that Java's regular expressions do not recurse once per character of a long value.
_QUOTED = r'"(?:[^"]++|"")*+"'
_CSV_LINE = rf'^(?:{_QUOTED}|[^",]*+)(?:,(?:{_QUOTED}|[^",]*+))*+$'
#: A field that is an empty quoted value (`""`), with the comma before it, if any.
_EMPTY_QUOTED = r'(^|,)""(?=,|$)'


def _file_numbers(spark: SparkSession, group: Group) -> SparkColumn:
    """The number of a row's file in the load, from the path Spark read it from."""
    number = None
    for n, _, path in group.files:
        # _metadata.file_path is a URI (its characters escaped as Hadoop escapes them).
        uri = spark._jvm.org.apache.hadoop.fs.Path(str(path.resolve())).toUri().toString()
        cond = sf.col("_metadata.file_path").endswith(uri.removeprefix("file:"))
        number = (sf.when if number is None else number.when)(cond, n)
    return number


def read_parquet(spark: SparkSession, group: Group) -> DataFrame:
    """The group's rows: file number, line (position in its file, from 1) and columns."""

    paths = [str(p) for _, _, p in group.files]
    wanted = [c for c in group.columns if c in group.table.names]
    return spark.read.parquet(*paths).select(
        _file_numbers(spark, group).alias("_file_no"),
        (sf.col("_metadata.row_index") + 1).alias("_line"),
        *(sf.col(f"`{c}`") for c in wanted),
    )


def read_csv(spark: SparkSession, group: Group) -> DataFrame:
    """A group of plain CSV files, read once: every line with its file number, physical line,
    `_rule` (the structural rule it breaks, NULL for none) and `_text` (the line), and its
    columns as text where it splits into the header's columns (NULL where it does not)."""

    names = list(group.columns)
    # One read of all the group's files, each file one row: Spark packs small files into a
    # few tasks, where a read per file made a task of each (a corpus of 50 small files of
    # actions: 95 s to check, 10 s read at once).
    paths = [str(p) for _, _, p in group.files]
    files = spark.read.text(paths, wholetext=True).select(
        _file_numbers(spark, group).alias("_file_no"), "value"
    )
    lines = files.select(
        "_file_no", sf.posexplode(sf.split("value", "\n")).alias("_pos", "_raw")
    ).select(
        "_file_no",
        (sf.col("_pos") + 1).alias("_line"),
        sf.regexp_replace("_raw", "\r$", "").alias("_raw"),
    )
    # Line 1 is the header; a plain file has no blank line but the end of its last line.
    lines = lines.where((sf.col("_line") > 1) & (sf.col("_raw") != ""))
    # Each quoted field as `q`, an empty one (`""`) as nothing: then the fields are split at
    # the commas. Empty fields past the header's (trailing commas) are no data: a row is too
    # long only when a field past the header's holds something (as DuckDB's reader reads it).
    bare = sf.regexp_replace(sf.regexp_replace("_raw", _EMPTY_QUOTED, "$1"), _QUOTED, "q")
    fields = sf.size(sf.split(bare, ",", -1))
    filled = sf.size(sf.split(sf.regexp_replace(bare, ",+$", ""), ",", -1))
    rule = (
        sf.when(~sf.col("_raw").rlike(_CSV_LINE), "bad_quoting")
        .when(filled > len(names), "too_many_fields")
        .when(fields < len(names), "too_few_fields")
    )
    lines = lines.withColumn("_rule", rule)
    schema = st.StructType([st.StructField(f"_c{i}", st.StringType()) for i in range(len(names))])
    parsed = sf.from_csv("_raw", schema.simpleString(), {"quote": '"', "escape": '"'})
    wanted = [(i, c) for i, c in enumerate(names) if c in group.table.names]
    split = sf.col("_rule").isNull()
    return lines.select(
        "_file_no", "_line", "_rule", sf.col("_raw").alias("_text"),
        sf.when(split, parsed).alias("_f"),
    ).select(
        "_file_no", "_line", "_rule", "_text",
        *(sf.col(f"_f._c{i}").alias(c) for i, c in wanted),
    )  # fmt: skip
