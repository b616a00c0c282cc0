"""The adapter: the DuckDB SQL of the ingest's rules (`greenstats.data.ingest.rules`) as
Spark SQL.

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
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import sqlglot
from pyspark.sql import SparkSession
from sqlglot import exp

from greenstats.data import pseudonym

#: The pieces of a text timestamp that DuckDB's cast reads (the contract's pattern,
#: ingest.rules._ISO_TIMESTAMP, also lets through a space or a lower-case z before the offset, which
#: the cast refuses: then nothing matches here, and Spark's cast of what is left fails too).
_TIMESTAMP_PARTS = (
    r"^(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2})(:\d{2})?(\.\d{1,9})?(?:(Z)|([+-]\d{2}):?(\d{2})?)?$"
)
#: The Spark SQL function that writes a DOUBLE as DuckDB does (Python's repr).
DOUBLE_TEXT = "greenstats_double_text"


@dataclass
class KnownKeyLookup:
    """A `value IN (SELECT key FROM known_keys …)` of a check, replaced by a boolean column."""

    column: str  # the boolean column that replaces it
    table: str  # the table whose accepted keys it looks in
    value: str  # the Spark SQL of the value looked up


class SparkAdapter:
    """Transpiles the DuckDB SQL of ingest.rules to Spark SQL, rewriting what does not transpile
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
            return exp.column(pad_column(node.expressions[0].name))
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


def pad_column(variable: str) -> str:
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
