"""The Spark session greenstats runs on: its settings are the ones the results depend on.

- `spark.sql.session.timeZone` is the contract's China time: a timestamp's day and month, and a
  timestamp text without an offset, are read in it, as the DuckDB engine reads them.
- ANSI mode stays on (Spark 4's default): a cast that cannot hold its value fails the job
  instead of writing NULL, as DuckDB's CAST does.
- Parquet timestamps are written as INT64 microseconds, which DuckDB and every other reader
  take as they are (Spark's INT96 default is a legacy type).
- Partition values are read back as text: `month=2024-01` is the string the model wrote.
- Hadoop's file systems, which write Spark's files and set their modes themselves (0644 by
  default), create them with the warehouse's umask (warehouse.writer_umask: 0600 files and
  0700 folders, or 0640 and 0750 with GREENSTATS_SHARE_GROUP=1). A file system Hadoop opened
  before (a session that wrote elsewhere first) keeps the umask it was opened with: under
  spark-submit, pass `--conf spark.hadoop.fs.permissions.umask-mode=077` (or 027).

On a cluster the master, memory and shuffle partitions come from `spark-submit` (README,
"Running on Spark"); `local_session` is for one machine, the tests and the benchmarks.
"""

from __future__ import annotations

import os
import shutil
from typing import TYPE_CHECKING

from greenstats.data.contract import LOCAL_TZ
from greenstats.data.warehouse.permissions import writer_umask

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

#: The settings every greenstats job needs, on one machine or a cluster.
REQUIRED_CONF: dict[str, str] = {
    "spark.sql.session.timeZone": LOCAL_TZ,
    "spark.sql.ansi.enabled": "true",
    "spark.sql.parquet.outputTimestampType": "TIMESTAMP_MICROS",
    # A partition's value is read back as the text of its folder name (month=2024-01 is the
    # string '2024-01', never a guessed date or number), as the models wrote it.
    "spark.sql.sources.partitionColumnTypeInference.enabled": "false",
}

#: Hadoop's umask for the files and folders its file systems create (default 022).
HADOOP_UMASK = "fs.permissions.umask-mode"
#: The environment variable that sets a local session's master (default local[*]).
ENV_MASTER = "GREENSTATS_SPARK_MASTER"
#: The environment variable that sets spark.sql.shuffle.partitions of a local session.
ENV_SHUFFLE = "GREENSTATS_SPARK_SHUFFLE_PARTITIONS"


class SparkUnavailableError(RuntimeError):
    """pyspark or Java is missing: the message says what to install."""


def check_available() -> None:
    """Raise SparkUnavailableError naming what is missing (pyspark, or a Java runtime)."""
    try:
        import pyspark  # noqa: F401
    except ImportError:
        raise SparkUnavailableError(
            "the Spark engine needs pyspark: pip install -r requirements-spark.txt"
        ) from None
    if not (os.environ.get("JAVA_HOME") or shutil.which("java")):
        raise SparkUnavailableError(
            "the Spark engine needs Java 17: apt-get install openjdk-17-jre-headless "
            "(or set JAVA_HOME)"
        )


def submitted() -> bool:
    """Whether spark-submit (or pyspark) started this process: its JVM is already running, and
    the master, memory and shuffle partitions are the ones it was given."""
    return "PYSPARK_GATEWAY_PORT" in os.environ


def get_session(app_name: str = "greenstats") -> SparkSession:
    """The running session with greenstats' settings applied; else, under spark-submit, one of
    its configuration; else a new local one (GREENSTATS_SPARK_MASTER, default local[*])."""
    check_available()
    from pyspark.sql import SparkSession

    active = SparkSession.getActiveSession()
    if active is None and submitted():
        active = SparkSession.builder.appName(app_name).getOrCreate()
    umask = f"{writer_umask():03o}"
    if active is not None:
        for key, value in REQUIRED_CONF.items():
            active.conf.set(key, value)
        active.sparkContext._jsc.hadoopConfiguration().set(HADOOP_UMASK, umask)
        return active
    builder = (
        SparkSession.builder.appName(app_name)
        .master(os.environ.get(ENV_MASTER, "local[*]"))
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        # One machine: a few shuffle partitions per core, not Spark's 200.
        .config("spark.sql.shuffle.partitions", os.environ.get(ENV_SHUFFLE, "8"))
        .config("spark.driver.memory", os.environ.get("GREENSTATS_SPARK_DRIVER_MEMORY", "4g"))
        .config(f"spark.hadoop.{HADOOP_UMASK}", umask)
    )
    for key, value in REQUIRED_CONF.items():
        builder = builder.config(key, value)
    spark = builder.getOrCreate()
    spark.sparkContext.setLogLevel("WARN")
    return spark
