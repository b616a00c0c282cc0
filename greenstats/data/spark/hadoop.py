"""The few file-system calls the Spark engine makes itself, through Hadoop's file systems
(whichever a location's scheme names: local, HDFS, S3, Azure…), as Spark reads and writes them.

Kept here, in one place, so that a lake or marts at a URI and one on a local path go through
the same calls (tests/test_spark.py runs them at a `file:` URI)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pyspark.sql import SparkSession


def path_and_fs(spark: SparkSession, location: str) -> tuple[Any, Any]:
    """A location as Hadoop's Path, and the file system that holds it."""
    path = spark._jvm.org.apache.hadoop.fs.Path(location)
    return path, path.getFileSystem(spark._jsc.hadoopConfiguration())


def holds_files(spark: SparkSession, location: str) -> bool:
    """Whether a path or URI exists and holds anything."""
    path, fs = path_and_fs(spark, location)
    return bool(fs.exists(path)) and len(fs.listStatus(path)) > 0


def remove(spark: SparkSession, location: str) -> None:
    """Remove a folder and everything in it, if it exists."""
    path, fs = path_and_fs(spark, location)
    if fs.exists(path):
        fs.delete(path, True)


def copy(spark: SparkSession, source: str, target: str) -> None:
    """Copy a folder (or file) from one location to another, each on its own file system."""
    src, src_fs = path_and_fs(spark, source)
    dst, dst_fs = path_and_fs(spark, target)
    conf = spark._jsc.hadoopConfiguration()
    spark._jvm.org.apache.hadoop.fs.FileUtil.copy(src_fs, src, dst_fs, dst, False, conf)


def parquet_rows(spark: SparkSession, status: Any) -> int:
    """The rows of a Parquet file (a FileStatus of a listing), from its footer."""
    parquet = spark._jvm.org.apache.parquet.hadoop
    conf = spark._jsc.hadoopConfiguration()
    footer = parquet.ParquetFileReader.open(parquet.util.HadoopInputFile.fromStatus(status, conf))
    try:
        return int(footer.getRecordCount())
    finally:
        footer.close()
