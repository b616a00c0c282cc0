"""greenstats on Apache Spark: the same models (and, in time, the same ingest rules) as the
DuckDB engine, transpiled from the one SQL definition with sqlglot, for a lake no single disk
holds. pyspark is optional (requirements-spark.txt): nothing outside this package imports it.
"""
