"""Ingest on Spark: the DuckDB ingest's row rules, duplicate rule and rejects, for a lake no
single disk holds.

The rules are not restated here. Every rule is the SQL `greenstats.data.ingest` generates for
DuckDB (`rules.typed`, `checks`, `error_case`, `failed_value`, `control_guard`, `trimmed`,
`stored`, …), transpiled to Spark SQL by sqlglot. What Spark lacks, or reads otherwise, is
rewritten in the parsed SQL by `SparkAdapter` (each rewrite is tested on its own in
tests/test_spark_ingest.py, and the whole against the DuckDB ingest):

- `regexp_full_match(x, p)` is kept by sqlglot as it is, and Spark has no such function:
  `x RLIKE '\\A(?:p)\\z'` (a Java regular expression anchored at both ends).
- `isfinite(x)` likewise: `abs(x) < CAST('Infinity' AS DOUBLE)` (false for NaN, which Spark
  orders above every number).
- `x[-1]`, DuckDB's last character, which sqlglot writes `x[-2]` (Spark: an array's
  element): `right(x, 1)`.
- `TRY_CAST(text AS TIMESTAMPTZ)`: Spark's cast refuses a time without seconds followed by an
  offset, and offsets `+08` and `+0800`, which DuckDB's cast reads: the text is first written
  as `YYYY-MM-DD HH:MM:SS[.f]±HH:MM` (and left unreadable where DuckDB's cast fails: a space or
  a lower-case z before the offset).
- `x IN (SELECT code FROM codes WHERE list = 'L')` (Spark allows no subquery in a CASE of a
  projection): `x IN ('a', 'b', …)`, the codes of list L (small: the contract's and the
  methodology's lists).
- `x IN (SELECT key FROM known_keys WHERE table_name = 'T')`: a boolean column, true when a
  left join with T's keys accepted by this load (broadcast) found x.
- `nfc_normalize(x)` (an identifier's canonical form): ICU4J's
  `reflect('com.ibm.icu.text.Normalizer', 'compose', x, false)`; `strlen(x)`, the bytes of x:
  `octet_length(x)`; a group in a replacement of `regexp_replace`, `\\1`: `$1`.
- `getvariable('greenstats_user_…pad')`, the HMAC pads of the pseudonyms: a column of the pad's
  bytes made with `sf.lit`, so the key is never SQL text.
- `CAST(column AS VARCHAR)` of a file's typed column (the value a reject keeps): a DOUBLE as
  DuckDB writes it (Python's repr, by the function DOUBLE_TEXT: `1e+20`, `nan`, where Spark
  writes `1.0E20`, `NaN`), a TIMESTAMPTZ with its offset in China time (`…10:00:00.5+08`).

Scope. Parquet files are read fully, by Spark. A CSV file is read by Spark when it is plain
(`csvfile.is_plain`: UTF-8, one physical line per row), each row with its physical line;
any other CSV file (a quoted line break, GB18030 rows, mixed line ends, blank lines…), which the
DuckDB engine reads row by row with csvfile.Reader, is refused here with a message naming the
file and why; so is a file whose path holds a character of a pattern (`*?[]{}\\`). A plain
file is read whole as one value (Spark's `wholetext`), so each must stay under 2 GB. Also
refused: a Parquet column of a nested type (struct, list, map) for a text column, and files
Spark's Parquet reader cannot read (nanosecond timestamps).

Keys. A repeat of a key within a file is a reject; a key loaded before (found in the lake files
of earlier loads, whichever engine wrote them, by a join on the keys themselves) or accepted
from an earlier file of this load, of any month, counts as already loaded, as the DuckDB
engine's key index counts it. A project or area loaded before may be referred to. Nothing is
collected to the driver but counts; rows go from the input files to the lake and the rejects
as Parquet.

Not yet equal: the text a reject keeps of a FLOAT (single precision) or nested Parquet value,
and of a time before year 1; a Parquet file whose data pages are damaged (its footer intact)
fails the Spark job, where the DuckDB engine refuses that file alone; the refusal of a file
Spark cannot read at all says "cannot be read: …" in Spark's words.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import pyarrow.parquet as pq
import sqlglot
from pyspark import StorageLevel
from pyspark.sql import Column as SparkColumn
from pyspark.sql import DataFrame, SparkSession, Window
from pyspark.sql import functions as sf
from pyspark.sql import types as st
from sqlglot import exp

from greenstats.data import csvfile, keyindex, pseudonym
from greenstats.data.contract import REJECT_RULES, TABLES, Table
from greenstats.data.ingest import rules
from greenstats.data.ingest.files import (
    GLOB_CHARS,
    FileRefusedError,
    FileReport,
    column_named_twice,
    discover,
    extra_columns,
    lacks_column,
)
from greenstats.data.ingest.rules import Check
from greenstats.data.methodology import Reference
from greenstats.data.spark.build import lake_view, step
from greenstats.data.spark.hadoop import holds_files

#: The rejects' columns, as the DuckDB engine's new_rejects table has them.
REJECT_COLUMNS = ("table_name", "file", "line", "column_name", "reason", "value", "rule", "detail")

#: The pieces of a text timestamp that DuckDB's cast reads (the contract's pattern,
#: ingest.rules._ISO_TIMESTAMP, also lets through a space or a lower-case z before the offset, which
#: the cast refuses: then nothing matches here, and Spark's cast of what is left fails too).
_TIMESTAMP_PARTS = (
    r"^(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2})(:\d{2})?(\.\d{1,9})?(?:(Z)|([+-]\d{2}):?(\d{2})?)?$"
)
#: One field of a plain CSV line: quoted (quotes inside doubled) or without a quote. Possessive,
#: so that Java's regular expressions do not recurse once per character of a long value.
_QUOTED = r'"(?:[^"]++|"")*+"'
_CSV_LINE = rf'^(?:{_QUOTED}|[^",]*+)(?:,(?:{_QUOTED}|[^",]*+))*+$'
#: A field that is an empty quoted value (`""`), with the comma before it, if any.
_EMPTY_QUOTED = r'(^|,)""(?=,|$)'
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
#: The Spark SQL function that writes a DOUBLE as DuckDB does (Python's repr).
DOUBLE_TEXT = "greenstats_double_text"
#: Statuses of a row, once checked.
_BAD, _REPEAT, _ACCEPTED, _ALREADY = "bad", "repeat", "accepted", "already"


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


# --- the adapter: DuckDB SQL of ingest.py → Spark SQL -------------------------------------------


@dataclass
class KnownKeyLookup:
    """A `value IN (SELECT key FROM known_keys …)` of a check, replaced by a boolean column."""

    column: str  # the boolean column that replaces it
    table: str  # the table whose accepted keys it looks in
    value: str  # the Spark SQL of the value looked up


class SparkAdapter:
    """Transpiles the DuckDB SQL of ingest.py to Spark SQL, rewriting what does not transpile
    (see the module's docstring). `lookups` collects the known-key lookups it replaced."""

    def __init__(
        self, codes: dict[str, tuple[str, ...]], columns: dict[str, str] | None = None
    ) -> None:
        self.codes = codes
        self.columns = columns or {}  # a file's columns and their DuckDB types
        self.lookups: list[KnownKeyLookup] = []

    def __call__(self, sql: str) -> str:
        tree = sqlglot.parse_one(sql, read="duckdb")
        return tree.transform(self._rewrite).sql(dialect="spark")

    def _rewrite(self, node: exp.Expression) -> exp.Expression:
        """A node's Spark form. sqlglot's transform does not descend into a node it replaced:
        a rewrite adapts the parts it keeps itself (`self._sub`)."""
        if isinstance(node, exp.RegexpFullMatch):
            pattern = exp.Literal.string(rf"\A(?:{node.expression.this})\z")
            return exp.RegexpLike(this=self._sub(node.this), expression=pattern)
        if isinstance(node, exp.Anonymous) and node.name.lower() == "isfinite":
            infinity = exp.cast(exp.Literal.string("Infinity"), exp.DataType.Type.DOUBLE)
            return exp.LT(this=exp.Abs(this=self._sub(node.expressions[0])), expression=infinity)
        if isinstance(node, exp.Anonymous) and node.name.lower() == "nfc_normalize":
            # ICU4J, which Spark ships, composes to NFC in a static method `reflect` can call
            # (which fails on NULL: NULL stays NULL before it).
            value = self._sub(node.expressions[0])
            composed = exp.Anonymous(
                this="reflect",
                expressions=[exp.Literal.string("com.ibm.icu.text.Normalizer"),
                             exp.Literal.string("compose"), value, exp.false()],
            )  # fmt: skip
            return exp.If(this=exp.Is(this=value.copy(), expression=exp.Null()),
                          true=exp.Null(), false=composed)  # fmt: skip
        if isinstance(node, exp.RegexpReplace) and "\\" in node.args["replacement"].name:
            # A group in the replacement: `\1` to RE2, `$1` to Java.
            node = node.copy()
            group = re.sub(r"\\(\d)", r"$\1", node.args["replacement"].name)
            node.set("replacement", exp.Literal.string(group))
            node.set("this", self._sub(node.this))
            return node
        if isinstance(node, exp.Anonymous) and node.name.lower() == "strlen":
            return exp.Anonymous(this="octet_length", expressions=[self._sub(node.expressions[0])])
        if isinstance(node, exp.Anonymous) and node.name.lower() == "getvariable":
            return exp.column(_pad_column(node.expressions[0].name))
        if isinstance(node, exp.Bracket) and _is_last(node):
            return exp.Right(this=self._sub(node.this), expression=exp.Literal.number(1))
        if isinstance(node, exp.TryCast) and node.to.is_type(exp.DataType.Type.TIMESTAMPTZ):
            cast = node.copy()  # keeps what makes it a TRY_CAST in Spark
            cast.set("this", self._sub(_iso_timestamp(node.this)))
            return cast
        if isinstance(node, exp.In) and node.args.get("query"):
            return self._lookup(node)
        if isinstance(node, exp.Cast) and node.to.is_type(*exp.DataType.TEXT_TYPES):
            return self._as_text(node)
        return node

    def _as_text(self, node: exp.Cast) -> exp.Expression:
        """A file's typed column as DuckDB writes it as text (a rejected value keeps it so):
        a DOUBLE as Python's repr (`1e+20`, `nan`; Java's is `1.0E20`, `NaN`), a time with its
        offset in China time, the fraction of a second only if it has one."""
        if not isinstance(node.this, exp.Column):
            return node
        c = node.this.sql("spark")
        source = self.columns.get(node.this.name)
        if source == "DOUBLE":
            return exp.Anonymous(this=DOUBLE_TEXT, expressions=[node.this.copy()])
        if source == "TIMESTAMP WITH TIME ZONE":
            micros = f"pmod(unix_micros({c}), 1000000)"
            return sqlglot.parse_one(
                f"""concat(date_format({c}, 'yyyy-MM-dd HH:mm:ss'),
                    CASE WHEN {micros} <> 0
                         THEN '.' || rtrim('0', lpad(CAST({micros} AS STRING), 6, '0'))
                         ELSE '' END,
                    regexp_replace(date_format({c}, 'xxx'), ':00$', ''))""",
                read="spark",
            )
        return node

    def _sub(self, node: exp.Expression) -> exp.Expression:
        return node.transform(self._rewrite)

    def _lookup(self, node: exp.In) -> exp.Expression:
        query = node.args["query"].find(exp.Select)
        source = query.find(exp.Table).name
        name = query.find(exp.EQ).expression.name
        value = self._sub(node.this)
        if source == "codes":
            codes = self.codes[name]
            if not codes:
                return exp.false()
            return exp.In(this=value, expressions=[exp.Literal.string(c) for c in codes])
        if source == "known_keys":
            lookup = KnownKeyLookup(f"_known_{len(self.lookups)}", name, value.sql("spark"))
            self.lookups.append(lookup)
            return exp.column(lookup.column)
        raise AssertionError(f"no Spark rewrite for a subquery on {source}")


def register_functions(spark: SparkSession) -> None:
    """Give the session the functions the adapter's SQL calls: DOUBLE_TEXT, and the
    pseudonym's 16 hex characters as the signed 64-bit integer with the same bits
    (pseudonym.INT_OF_HEX; conv to base -10 reads them as two's complement)."""
    spark.udf.register(DOUBLE_TEXT, _double_text, "string")
    spark.sql(
        f"CREATE OR REPLACE TEMPORARY FUNCTION {pseudonym.INT_OF_HEX}(h STRING) RETURNS BIGINT "
        "RETURN CAST(conv(h, 16, -10) AS BIGINT)"
    )


def _double_text(value: float | None) -> str | None:
    """A DOUBLE as DuckDB writes it as text: Python's shortest repr (`12.5`, `1e+20`, `nan`).
    Run for the rejected values of a DOUBLE column only (few), and for a text column a file
    has as DOUBLE."""
    return None if value is None else repr(float(value))


def _pad_column(variable: str) -> str:
    return f"_pad_{variable}"


def _is_last(node: exp.Bracket) -> bool:
    """Whether a bracket is DuckDB's `x[-1]` (read back as DuckDB writes it: sqlglot keeps
    indexes shifted to its own base)."""
    return node.sql("duckdb") == f"{node.this.sql('duckdb')}[-1]"


def _iso_timestamp(text: exp.Expression) -> exp.Expression:
    """A text that matched the contract's ISO 8601 pattern, written as Spark casts it."""
    t = text.sql("duckdb")
    part = [f"regexp_extract({t}, '{_TIMESTAMP_PARTS}', {i})" for i in range(8)]
    return sqlglot.parse_one(
        f"""concat({part[1]}, ' ', {part[2]}, coalesce(nullif({part[3]}, ''), ':00'), {part[4]},
            CASE WHEN {part[5]} <> '' THEN '+00:00'
                 WHEN {part[6]} <> '' THEN {part[6]} || ':' || coalesce(nullif({part[7]}, ''), '00')
                 ELSE '' END)""",
        read="duckdb",
    )


# --- reading the files --------------------------------------------------------------------------


@dataclass
class _Group:
    """Files of one table Spark reads together: the same kind and columns."""

    table: Table
    kind: str  # "parquet" or "csv"
    columns: dict[str, str]  # name -> DuckDB type name (as rules.typed and rules.checks take them)
    files: list[tuple[int, str, Path]] = field(default_factory=list)  # (number, name, path)


def _numbers(group: _Group) -> list[tuple[int, str]]:
    return [(number, name) for number, name, _ in group.files]


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


def _file_names(numbers: Iterable[tuple[int, str]], column: str) -> SparkColumn:
    """The input file's name (relative to the folder) of a row, by its file number."""

    cases = None
    for number, name in numbers:
        cases = (sf.when if cases is None else cases.when)(sf.col(column) == number, name)
    return cases


def _file_numbers(spark: SparkSession, group: _Group) -> SparkColumn:
    """The number of a row's file in the load, from the path Spark read it from."""
    number = None
    for n, _, path in group.files:
        # _metadata.file_path is a URI (its characters escaped as Hadoop escapes them).
        uri = spark._jvm.org.apache.hadoop.fs.Path(str(path.resolve())).toUri().toString()
        cond = sf.col("_metadata.file_path").endswith(uri.removeprefix("file:"))
        number = (sf.when if number is None else number.when)(cond, n)
    return number


def _read_parquet(spark: SparkSession, group: _Group) -> DataFrame:
    """The group's rows: file number, line (position in its file, from 1) and columns."""

    paths = [str(p) for _, _, p in group.files]
    wanted = [c for c in group.columns if c in group.table.names]
    return spark.read.parquet(*paths).select(
        _file_numbers(spark, group).alias("_file_no"),
        (sf.col("_metadata.row_index") + 1).alias("_line"),
        *(sf.col(f"`{c}`") for c in wanted),
    )


def _read_csv(spark: SparkSession, group: _Group) -> tuple[DataFrame, DataFrame]:
    """A group of plain CSV files: (rows that split into the header's columns, with file
    number, physical line and columns as text; rows that do not, as rejects)."""

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
    good = (
        lines.where(sf.col("_rule").isNull())
        .select("_file_no", "_line", parsed.alias("_f"))
        .select("_file_no", "_line", *(sf.col(f"_f._c{i}").alias(c) for i, c in wanted))
    )
    bad = lines.where(sf.col("_rule").isNotNull())
    return good, bad


# --- the load -----------------------------------------------------------------------------------


class SparkLoader:
    """One Spark load: the code lists, the pads of the pseudonyms, the load's day, the keys of
    earlier loads (read from their lake files) and the keys accepted so far of the tables
    others refer to (projects, protected areas)."""

    def __init__(
        self,
        spark: SparkSession,
        reference: Reference,
        user_key: pseudonym.UserKey,
        load_day: date,
        earlier: Mapping[str, Sequence[str]] | None = None,
    ) -> None:
        self.spark = spark
        register_functions(spark)
        self.codes = rules.code_lists(reference)
        self.pads = pseudonym.pad_variables(user_key)
        self.load_day = load_day
        self.accepted_keys: dict[str, DataFrame] = {}
        #: Each table's keys loaded before (`_key`, distinct), from the lake files of earlier
        #: loads; none for a table they hold no file of.
        self.earlier_keys: dict[str, DataFrame] = {}
        for table in TABLES:
            paths = list((earlier or {}).get(table.name, []))
            if paths:
                lake = lake_view(spark, table, paths)
                key = self.adapter()(keyindex.key_sql(table))
                self.earlier_keys[table.name] = lake.selectExpr(f"{key} AS _key").distinct()

    def known_keys(self, table: str) -> DataFrame | None:
        """The keys of `table` a row may refer to: loaded before, or accepted by this load."""
        found = [k for k in (self.earlier_keys.get(table), self.accepted_keys.get(table))
                 if k is not None]  # fmt: skip
        return _union(found) if found else None

    def adapter(self) -> SparkAdapter:
        return SparkAdapter(self.codes)

    def check_group(self, group: _Group) -> tuple[list[DataFrame], DataFrame]:
        """Check every row of a group, as `check.check_rows` does: (its rejects, each frame with
        `_file_no`, `_status` "bad" and REJECT_COLUMNS; its rows that break no rule, stored as
        the lake keeps them, with `_file_no`, `_line` and `_key`)."""
        table, columns = group.table, group.columns
        rejects = []
        if group.kind == "csv":
            src, structural = _read_csv(self.spark, group)
            rejects.append(self._structural_rejects(group, structural))
        else:
            src = _read_parquet(self.spark, group)
        adapter = SparkAdapter(self.codes, columns)
        raw = [f"`{c}`" for c in columns if c in table.names]
        typed = [f"{adapter(rules.typed(c, columns.get(c.name)))} AS `{c.name}__v`"
                 for c in table.columns]  # fmt: skip
        checks = rules.checks(table, columns, self.load_day)
        checked = src.selectExpr("_file_no", "_line", *raw, *typed)
        checked = checked.withColumn("_ctl", sf.expr(adapter(rules.control_guard(table, columns))))
        error_case = adapter(rules.error_case(checks))  # collects the known-key lookups it replaced
        checked = self._join_known_keys(checked, adapter.lookups)
        checked = self._with_pads(checked).withColumn("_check", sf.expr(error_case))
        bad = checked.where(sf.col("_check").isNotNull())
        bad = bad.withColumn("_raw", sf.expr(adapter(rules.failed_text(checks))))
        bad = bad.withColumn("_value", sf.expr(adapter(rules.failed_value(table, checks, columns))))
        rejects.append(self._rule_rejects(group, checks, bad))
        return rejects, self._stored(table, checked.where(sf.col("_check").isNull()))

    def _join_known_keys(self, df: DataFrame, lookups: list[KnownKeyLookup]) -> DataFrame:
        """Add each lookup's column: whether its value is a key of its table loaded before or
        accepted by this load (a left join with the keys, broadcast: a reference table is
        small)."""
        for lookup in lookups:
            keys = self.known_keys(lookup.table)
            if keys is None:
                df = df.withColumn(lookup.column, sf.lit(False))
                continue
            found = f"{lookup.column}_key"
            keys = keys.select(sf.col("_key").alias(found)).distinct()
            df = df.join(sf.broadcast(keys), sf.expr(lookup.value) == sf.col(found), "left")
            df = df.withColumn(lookup.column, sf.col(found).isNotNull()).drop(found)
        return df

    def _with_pads(self, df: DataFrame) -> DataFrame:
        """The pseudonyms' HMAC pads as columns (sf.lit of their bytes, never SQL text)."""
        for variable, pad in self.pads.items():
            df = df.withColumn(_pad_column(variable), sf.lit(bytearray(pad)))
        return df

    def _rule_rejects(self, group: _Group, checks: list[Check], bad: DataFrame) -> DataFrame:
        """The rejects of rows that broke a rule, as `ingest.check` writes them: the
        check's column, reason, rule and detail by its number, the value as `rules.failed_value`
        keeps it (hidden or shortened)."""

        def pick(values: list) -> SparkColumn:
            return sf.element_at(sf.array(*(sf.lit(v) for v in values)), sf.col("_check") + 1)

        return _rejects(
            bad, group, pick([c.column for c in checks]), pick([c.reason for c in checks]),
            sf.col("_value"), pick([c.rule for c in checks]),
            pick([rules.detail_json(c.detail) for c in checks]).cast("string"),
        )  # fmt: skip

    def _structural_rejects(self, group: _Group, bad: DataFrame) -> DataFrame:
        """Rows of a plain CSV file that do not split into its header's columns, as
        `ingest.read` writes them."""
        table = group.table
        reasons = sf.create_map(*(x for rule in rules.CSV_ERROR_RULES.values()
                                  for x in (sf.lit(rule), sf.lit(REJECT_RULES[rule]))))  # fmt: skip
        if table.name in pseudonym.TABLES_WITH_USERS:
            kept = sf.lit(rules.line_kept(table, None))
        else:
            kept = sf.expr(self.adapter()(rules.shortened("_raw")))
        none = sf.lit(None).cast("string")
        return _rejects(bad, group, none, reasons[sf.col("_rule")], kept, sf.col("_rule"), none)

    def _stored(self, table: Table, valid: DataFrame) -> DataFrame:
        """The lake's columns of the rows that passed: each column's stored value (a user id's
        pseudonym), `day` and `month` of a table partitioned by month, and `_key`."""
        adapter = self.adapter()
        values = [f"{adapter(rules.stored(table, c))} AS `{c.name}`" for c in table.columns]
        out = self._with_pads(valid).selectExpr("_file_no", "_line", *values)
        if table.partition_by:
            # The session time zone is China time (session.REQUIRED_CONF): a day is CST's.
            out = out.selectExpr("*", f"CAST(`{table.partition_by}` AS DATE) AS day")
            out = out.selectExpr("*", "date_format(day, 'yyyy-MM') AS month")
        return out.selectExpr("*", f"{adapter(keyindex.key_sql(table))} AS _key")


def _rejects(
    rows: DataFrame,
    group: _Group,
    column: SparkColumn,
    reason: SparkColumn,
    value: SparkColumn,
    rule: SparkColumn,
    detail: SparkColumn,
) -> DataFrame:
    """Rejects with REJECT_COLUMNS, `_file_no` and `_status` "bad"."""
    return rows.select(
        "_file_no",
        sf.lit(_BAD).alias("_status"),
        sf.lit(group.table.name).alias("table_name"),
        _file_names(_numbers(group), "_file_no").alias("file"),
        sf.col("_line").cast("bigint").alias("line"),
        column.alias("column_name"),
        reason.alias("reason"),
        value.alias("value"),
        rule.alias("rule"),
        detail.alias("detail"),
    )


def _duplicates(
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
        sf.when(sf.col("_line") > sf.col("_first"), _REPEAT)
        .when(sf.col("_earlier"), _ALREADY)
        .when(sf.col("_file_no") > sf.col("_first_file"), _ALREADY)
        .otherwise(_ACCEPTED)
    )
    rows = rows.withColumn("_status", status)
    label = " + ".join(table.key)
    template = REJECT_RULES["duplicate_key"].replace("%", "%%").format(id=label, first_line="%d")
    detail = sf.struct(sf.col("_first").cast("string").alias("first_line"),
                       sf.lit(label).alias("id"))  # fmt: skip
    repeat = sf.col("_status") == _REPEAT
    reject = {
        "table_name": sf.lit(table.name),
        "file": _file_names(names, "_file_no"),
        "line": sf.col("_line").cast("bigint"),
        "column_name": sf.lit(table.key[0]),
        "reason": sf.format_string(template, "_first"),
        "value": sf.expr(SparkAdapter({})(rules.shortened("_key"))),
        "rule": sf.lit("duplicate_key"),
        "detail": sf.to_json(detail),
    }
    return rows.select("*", *(sf.when(repeat, v).alias(k) for k, v in reject.items()))


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
    reports = [_Numbered(-1 - i, report) for i, report in enumerate(found.refused)]
    groups = _groups(spark, folder, found.files, reports)
    rejects_parts: list[DataFrame] = []
    cached: list[DataFrame] = []
    written: list[str] = []
    for table in TABLES:
        parts, valid = [], []
        for group in (g for g in groups if g.table is table):
            bad, good = loader.check_group(group)
            parts += bad
            valid.append(good)
        if not valid:
            continue
        names = [(r.number, r.report.name) for r in reports if r.report.table == table.name]
        earlier_keys = loader.earlier_keys.get(table.name)
        parts.append(_duplicates(table, _union(valid), names, earlier_keys))
        rows = _union(parts).persist(StorageLevel.MEMORY_AND_DISK)
        cached.append(rows)
        step(spark, f"check {table.name}")
        _count(rows.groupBy("_file_no", "_status").count().collect(), reports)
        accepted = rows.where(sf.col("_status") == _ACCEPTED)
        if table.name in ("projects", "protected_areas"):
            loader.accepted_keys[table.name] = accepted.select("_key")
        rejects_parts.append(rows.where(sf.col("_status").isin(_BAD, _REPEAT)))
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


def _union(frames: list[DataFrame]) -> DataFrame:
    """Frames one under the other, by column name (a column one lacks is NULL in its rows)."""
    out = frames[0]
    for more in frames[1:]:
        out = out.unionByName(more, allowMissingColumns=True)
    return out


@dataclass
class _Numbered:
    """A file's report and its number in the load (its order)."""

    number: int
    report: FileReport


def _groups(
    spark: SparkSession, folder: Path, files: list[tuple[Table, Path]], reports: list[_Numbered]
) -> list[_Group]:
    """The load's files in groups Spark reads together (same table, kind and columns); a file
    that cannot be loaded is refused (its report says why) and is in none."""
    groups: dict[tuple, _Group] = {}
    for number, (table, path) in enumerate(files):
        report = FileReport(table.name, str(path.relative_to(folder)))
        reports.append(_Numbered(number, report))
        try:
            if GLOB_CHARS & set(str(path)):
                raise FileRefusedError(GLOB_NAME)
            if path.suffix.lower() == ".csv":
                columns = _csv_columns(path)
                signature = (table.name, "csv", tuple(columns))
                group = groups.setdefault(signature, _Group(table, "csv", columns))
            else:
                signature = (table.name, "parquet", _parquet_schema(path))
                group = groups.setdefault(signature, _Group(table, "parquet", {}))
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


def _count(rows: list, reports: list[_Numbered]) -> None:
    """Add the rows counted per file number and status to the files' reports."""
    by_number = {r.number: r.report for r in reports}
    for row in rows:
        report, n = by_number[row["_file_no"]], row["count"]
        report.rows_read += n
        if row["_status"] in (_BAD, _REPEAT):
            report.rejected += n
        elif row["_status"] == _ACCEPTED:
            report.accepted += n
        else:
            report.already_loaded += n


def _write_rejects(spark: SparkSession, parts: list[DataFrame], location: str) -> None:
    """Write every reject of the load as one Parquet data set (empty: its schema only)."""

    schema = st.StructType([
        st.StructField(c, st.LongType() if c == "line" else st.StringType()) for c in REJECT_COLUMNS
    ])  # fmt: skip
    out = _union([spark.createDataFrame([], schema), *parts]).select(*REJECT_COLUMNS)
    out.coalesce(1).write.mode("errorifexists").parquet(location)
