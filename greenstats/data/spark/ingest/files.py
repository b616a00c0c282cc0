"""The input files on Spark: which the Spark engine reads, in groups it reads together (the same
table, kind and columns), and the checks of a file as a whole (`greenstats.data.ingest.files`
holds those the engines share).

Parquet files are read fully, by Spark. A CSV file is read by Spark when it is plain
(`csvfile.is_plain`: UTF-8, one physical line per row), each row with its physical line;
any other CSV file (a quoted line break, GB18030 rows, mixed line ends, blank lines…), which the
DuckDB engine reads row by row with csvfile.Reader, is refused here with a message naming the
file and why; so is a file whose path holds a character of a pattern (`*?[]{}\\`). A plain
file is read whole as one value (Spark's `wholetext`), so each must stay under 2 GB. Also
refused: a Parquet column of a nested type (struct, list, map) for a text column, and files
Spark's Parquet reader cannot read (nanosecond timestamps).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow.parquet as pq
from pyspark.sql import Column as SparkColumn
from pyspark.sql import SparkSession
from pyspark.sql import functions as sf
from pyspark.sql import types as st

from greenstats.data import csvfile
from greenstats.data.contract import Table
from greenstats.data.ingest import rules
from greenstats.data.ingest.files import (
    GLOB_CHARS,
    FileRefusedError,
    FileReport,
    column_named_twice,
    extra_columns,
    lacks_column,
)

#: Why a CSV file that is not plain is refused.
NOT_PLAIN = (
    "is not a plain CSV file (one physical line per row, UTF-8, one kind of line end, no blank "
    "line): the Spark engine does not read it; load it with the DuckDB engine"
)
#: Why a file whose path holds a character of a pattern is refused (Spark's readers, Hadoop's
#: file systems, expand patterns in the paths they are given; the DuckDB engine links to it).
GLOB_NAME = (
    "its path holds a character Spark reads as a pattern (* ? [ ] { } \\): the Spark engine "
    "does not read it; rename it, or load it with the DuckDB engine"
)


@dataclass
class Group:
    """Files of one table Spark reads together: the same kind and columns."""

    table: Table
    kind: str  # "parquet" or "csv"
    columns: dict[str, str]  # name -> DuckDB type name (as rules.typed and rules.checks take them)
    files: list[tuple[int, str, Path]] = field(default_factory=list)  # (number, name, path)


@dataclass
class Numbered:
    """A file's report and its number in the load (its order)."""

    number: int
    report: FileReport


def group_files(
    spark: SparkSession, folder: Path, files: list[tuple[Table, Path]], reports: list[Numbered]
) -> list[Group]:
    """The load's files in groups Spark reads together (same table, kind and columns); a file
    that cannot be loaded is refused (its report says why) and is in none."""
    groups: dict[tuple, Group] = {}
    for number, (table, path) in enumerate(files):
        report = FileReport(table.name, str(path.relative_to(folder)))
        reports.append(Numbered(number, report))
        try:
            if GLOB_CHARS & set(str(path)):
                raise FileRefusedError(GLOB_NAME)
            if path.suffix.lower() == ".csv":
                columns = _csv_columns(path)
                signature = (table.name, "csv", tuple(columns))
                group = groups.setdefault(signature, Group(table, "csv", columns))
            else:
                signature = (table.name, "parquet", _parquet_schema(path))
                group = groups.setdefault(signature, Group(table, "parquet", {}))
        except FileRefusedError as exc:
            report.refused = str(exc)
            continue
        group.files.append((number, report.name, path))
    by_number = {r.number: r.report for r in reports}
    usable = []
    for group in groups.values():
        table = group.table
        try:
            if group.kind == "parquet":
                group.columns = _parquet_columns(spark, table, group.files[0][2])
            message = lacks_column(table, group.columns)
            if message:
                raise FileRefusedError(message)
            for c in table.columns:  # a column of a type the contract's cannot be read from
                rules.typed(c, group.columns.get(c.name))
        except FileRefusedError as exc:
            for number, _, _ in group.files:
                by_number[number].refused = str(exc)
            continue
        extra = extra_columns(table, group.columns)
        for number, _, _ in group.files:
            if extra:
                by_number[number].warnings.insert(0, extra)
        usable.append(group)
    return usable


def _spark_type_name(data_type: st.DataType) -> str:
    """The DuckDB name of a Spark column type, as DuckDB's DESCRIBE names it."""

    names = {
        st.StringType: "VARCHAR",
        st.LongType: "BIGINT",
        st.IntegerType: "INTEGER",
        st.ShortType: "SMALLINT",
        st.ByteType: "TINYINT",
        st.DoubleType: "DOUBLE",
        st.FloatType: "FLOAT",
        st.DateType: "DATE",
        st.TimestampType: "TIMESTAMP WITH TIME ZONE",
        st.TimestampNTZType: "TIMESTAMP",
        st.BooleanType: "BOOLEAN",
        st.BinaryType: "BLOB",
    }
    if isinstance(data_type, st.DecimalType):
        return f"DECIMAL({data_type.precision},{data_type.scale})"
    for spark_type, name in names.items():
        if isinstance(data_type, spark_type):
            return name
    return data_type.simpleString().upper()


def _parquet_schema(path: Path) -> str:
    """A Parquet file's schema as text (files with the same are read together), read from its
    footer alone; refused if it cannot be read."""
    try:
        return str(pq.read_schema(path).remove_metadata())
    except Exception as exc:  # pyarrow's errors are of many classes: the file cannot be read
        raise FileRefusedError(f"cannot be read: {str(exc).strip().splitlines()[0]}") from None


def _parquet_columns(spark: SparkSession, table: Table, path: Path) -> dict[str, str]:
    """The columns of a Parquet file as Spark reads them, with DuckDB's type names."""
    twice = column_named_twice(path)
    if twice:
        raise FileRefusedError(twice)
    try:
        schema = spark.read.parquet(str(path)).schema
    except Exception as exc:  # e.g. nanosecond timestamps, which Spark does not read
        raise FileRefusedError(f"cannot be read: {str(exc).strip().splitlines()[0]}") from None
    columns = {f.name: _spark_type_name(f.dataType) for f in schema.fields}
    for name, type_name in columns.items():
        text = name in table.names and table.column(name).type == "text"
        if text and type_name.startswith(("STRUCT", "ARRAY", "MAP")):
            raise FileRefusedError(
                f"column {name!r} has type {type_name}; the Spark engine reads a text "
                "column from text, numbers, dates or times only"
            )
    return columns


def _csv_columns(path: Path) -> dict[str, str]:
    """A plain CSV file's columns (all text), from its header as csvfile.Reader reads it."""
    try:
        with csvfile.Reader(path) as reader:
            names = reader.header.names
    except csvfile.CsvRefusedError as exc:
        raise FileRefusedError(str(exc)) from None
    except OSError as exc:
        raise FileRefusedError(f"cannot be read: {exc.strerror or exc}") from None
    if not csvfile.is_plain(path):
        raise FileRefusedError(NOT_PLAIN)
    return dict.fromkeys(names, "VARCHAR")


def file_names(numbers: Iterable[tuple[int, str]], column: str) -> SparkColumn:
    """The input file's name (relative to the folder) of a row, by its file number."""

    cases = None
    for number, name in numbers:
        cases = (sf.when if cases is None else cases.when)(sf.col(column) == number, name)
    return cases
