"""Ingest on Spark: the DuckDB ingest's row rules, duplicate rule and rejects, for a lake no
single disk holds.

The steps have the modules of `greenstats.data.ingest`'s, each beside its DuckDB namesake:

- `adapter`: the rules' DuckDB SQL (`ingest.rules`) transpiled to Spark SQL, and what Spark
  lacks rewritten;
- `files`: which files the Spark engine reads, in groups read together, and which it refuses;
- `read`: a group's rows, each with its physical line (a CSV line that does not split, a reject);
- `check`: every row checked, the rows that break a rule kept as rejects;
- `keys`: a key repeated within a file is a reject, one loaded before is not loaded again;
- `loader`: the steps run for a folder, the lake and the rejects written.

Not yet equal: the text a reject keeps of a FLOAT (single precision) or nested Parquet value,
and of a time before year 1; a Parquet file whose data pages are damaged (its footer intact)
fails the Spark job, where the DuckDB engine refuses that file alone; the refusal of a file
Spark cannot read at all says "cannot be read: …" in Spark's words.
"""

from greenstats.data.spark.ingest.loader import SparkIngestResult, ingest_folder_spark

__all__ = ["SparkIngestResult", "ingest_folder_spark"]
