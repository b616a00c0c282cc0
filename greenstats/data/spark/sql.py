"""The one adapter between the engines' SQL: the DuckDB dialect the models are written in,
transpiled to Spark SQL by sqlglot. What sqlglot cannot carry over is kept here, small and
tested (tests/test_spark.py), never as a second copy of a model."""

from __future__ import annotations

import functools

import sqlglot

#: The contract's column types (contract.Column.type) as Spark types.
SPARK_TYPES = {
    "text": "string",
    "int": "bigint",
    "number": "double",
    "timestamp": "timestamp",
    "date": "date",
}


@functools.cache
def to_spark(sql: str) -> str:
    """A DuckDB statement (comments allowed) as Spark SQL. An ORDER BY at the top is dropped:
    it orders the rows of a DuckDB table for its zone maps, which the publish step does again
    when it loads the Parquet; on Spark it would only cost a global sort."""
    tree = sqlglot.parse_one(sql, read="duckdb")
    tree.set("order", None)
    return tree.sql(dialect="spark", comments=False)


def top_order(sql: str) -> str | None:
    """The ORDER BY list of a DuckDB statement's outer query, as DuckDB SQL (None: unordered)."""
    order = sqlglot.parse_one(sql, read="duckdb").args.get("order")
    if order is None:
        return None
    return ", ".join(e.sql(dialect="duckdb") for e in order.expressions)
