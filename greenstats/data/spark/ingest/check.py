"""Checking a group's rows on Spark: every row against the rules (`rules.checks`, transpiled by
`SparkAdapter`), as `greenstats.data.ingest.check` does on DuckDB.

A row that breaks a rule becomes a reject (REJECT_COLUMNS) with the first rule it breaks and the
value it had (hidden where it may be a user id); the rows that break none are stored as the
lake keeps them, with their key, for the duplicate rule (`keys`).

Both come out of one projection of the rows read: each row carries `_check` (the number of the
rule it breaks, NULL for none), its reject's columns (NULL unless it breaks one) and its stored
values and key (NULL if it does). A rejects' branch and an accepted branch split before the
duplicate rule's shuffle made Spark read the input and evaluate the rules twice, once for each
(BENCHMARKS.md, "Spark: where its ingest spends the time"): here the file is read once, each
rule evaluated once per row, and the split is by `_status` after the rows are counted.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date

from pyspark.sql import Column as SparkColumn
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as sf

from greenstats.data import keyindex, pseudonym
from greenstats.data.contract import REJECT_RULES, TABLES, Table
from greenstats.data.ingest import rules
from greenstats.data.ingest.rules import Check
from greenstats.data.methodology import Reference
from greenstats.data.spark.build import lake_view
from greenstats.data.spark.ingest.adapter import (
    KnownKeyLookup,
    SparkAdapter,
    pad_column,
    register_functions,
)
from greenstats.data.spark.ingest.files import Group, file_names
from greenstats.data.spark.ingest.read import read_csv, read_parquet

#: The rejects' columns, as the DuckDB engine's new_rejects table has them.
REJECT_COLUMNS = ("table_name", "file", "line", "column_name", "reason", "value", "rule", "detail")
#: Statuses of a row, once checked.
BAD, REPEAT, ACCEPTED, ALREADY = "bad", "repeat", "accepted", "already"


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
        return union(found) if found else None

    def adapter(self) -> SparkAdapter:
        return SparkAdapter(self.codes)

    def check_group(self, group: Group) -> DataFrame:
        """Check every row of a group once, as `check.check_rows` and, for a plain CSV file's
        lines that do not split into its header's columns, `ingest.read` do: each row with
        `_file_no`, `_line`, `_check` (the rule it breaks, -1 for a line that does not split,
        NULL for none), REJECT_COLUMNS if it breaks one, else its columns as the lake stores
        them and `_key`."""
        table, columns = group.table, group.columns
        if group.kind == "csv":
            src = read_csv(self.spark, group)
        else:
            none = sf.lit(None).cast("string")
            src = read_parquet(self.spark, group).select("*", none.alias("_rule"),
                                                         none.alias("_text"))  # fmt: skip
        adapter = SparkAdapter(self.codes, columns)
        raw = [f"`{c}`" for c in columns if c in table.names]
        typed = [f"{adapter(rules.typed(c, columns.get(c.name)))} AS `{c.name}__v`"
                 for c in table.columns]  # fmt: skip
        checks = rules.checks(table, columns, self.load_day)
        checked = src.selectExpr("_file_no", "_line", "_rule", "_text", *raw, *typed)
        checked = checked.withColumn("_ctl", sf.expr(adapter(rules.control_guard(table, columns))))
        error_case = adapter(rules.error_case(checks))  # collects the known-key lookups it replaced
        checked = self._join_known_keys(checked, adapter.lookups)
        unsplit = sf.col("_rule").isNotNull()
        checked = self._with_pads(checked).withColumn(
            "_check", sf.when(unsplit, sf.lit(-1)).otherwise(sf.expr(error_case))
        )
        # Both CASEs are NULL unless `_check` is a rule's number: only a failed row's value is
        # written out.
        checked = checked.withColumn("_raw", sf.expr(adapter(rules.failed_text(checks))))
        checked = checked.withColumn(
            "_value", sf.expr(adapter(rules.failed_value(table, checks, columns)))
        )
        return self._stored(table, checks, group, checked)

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
            df = df.withColumn(pad_column(variable), sf.lit(bytearray(pad)))
        return df

    def _rule_rejects(self, group: Group, checks: list[Check]) -> dict[str, SparkColumn]:
        """The reject columns of a row that broke a rule (NULL for one that broke none), as
        `ingest.check` writes them: the check's column, reason, rule and detail by its number,
        the value as `rules.failed_value` keeps it (hidden or shortened); and of a plain CSV
        line that does not split (`_rule`), as `ingest.read` writes it: its rule and reason,
        the line shortened (or hidden, in a table with user ids), no column."""
        table = group.table
        failed = sf.col("_check").isNotNull()
        unsplit = sf.col("_rule").isNotNull()

        def pick(values: list) -> SparkColumn:
            at = sf.element_at(sf.array(*(sf.lit(v) for v in values)), sf.col("_check") + 1)
            return sf.when(sf.col("_check") >= 0, at)

        reasons = sf.create_map(*(x for rule in rules.CSV_ERROR_RULES.values()
                                  for x in (sf.lit(rule), sf.lit(REJECT_RULES[rule]))))  # fmt: skip
        if table.name in pseudonym.TABLES_WITH_USERS:
            line = sf.lit(rules.line_kept(table, None))
        else:
            line = sf.expr(self.adapter()(rules.shortened("_text")))
        return {
            "table_name": sf.when(failed, sf.lit(table.name)),
            "file": sf.when(failed, file_names(_numbers(group), "_file_no")),
            "line": sf.when(failed, sf.col("_line").cast("bigint")),
            "column_name": pick([c.column for c in checks]),
            "reason": sf.when(unsplit, reasons[sf.col("_rule")]).otherwise(
                pick([c.reason for c in checks])
            ),
            "value": sf.when(unsplit, line).otherwise(sf.col("_value")),
            "rule": sf.coalesce(sf.col("_rule"), pick([c.rule for c in checks])),
            "detail": pick([rules.detail_json(c.detail) for c in checks]).cast("string"),
        }

    def _stored(
        self, table: Table, checks: list[Check], group: Group, checked: DataFrame
    ) -> DataFrame:
        """The checked rows, each with `_check`, its reject's columns (`_rule_rejects`) and the
        lake's columns: each column's stored value (a user id's pseudonym), `day` and `month`
        of a table partitioned by month, and `_key`, all NULL in a row that broke a rule (its
        values are never stored, nor hashed)."""
        adapter = self.adapter()
        passed = sf.col("_check").isNull()
        values = [
            sf.when(passed, sf.expr(adapter(rules.stored(table, c)))).alias(c.name)
            for c in table.columns
        ]
        rejects = [v.alias(k) for k, v in self._rule_rejects(group, checks).items()]
        out = checked.select("_file_no", "_line", "_check", *rejects, *values)
        if table.partition_by:
            # The session time zone is China time (session.REQUIRED_CONF): a day is CST's.
            out = out.selectExpr("*", f"CAST(`{table.partition_by}` AS DATE) AS day")
            out = out.selectExpr("*", "date_format(day, 'yyyy-MM') AS month")
        return out.selectExpr("*", f"{adapter(keyindex.key_sql(table))} AS _key")


def _numbers(group: Group) -> list[tuple[int, str]]:
    return [(number, name) for number, name, _ in group.files]


def union(frames: list[DataFrame]) -> DataFrame:
    """Frames one under the other, by column name (a column one lacks is NULL in its rows)."""
    out = frames[0]
    for more in frames[1:]:
        out = out.unionByName(more, allowMissingColumns=True)
    return out
