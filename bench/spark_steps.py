"""Where a Spark load of a small folder spends its wall time, step by step, on a warm JVM.

    python bench/spark_steps.py [FOLDER] [--runs 3] [--master local[2]] [--shuffle 2]

Runs `ingest --engine spark` of FOLDER (default: the tests' hand-built folder, tests/handbuilt.py)
into new warehouses, `--runs` times in one Spark session, with the tests' settings (local[2], 2
shuffle partitions, C1 only: tests/conftest.py `spark`). The first run pays for the JVM's start
and compiling; the last is what a test pays on a warm worker. It prints the runs' wall times,
then the last run's time between steps: building a table's checks (`check_group`, Python and
Spark's analysis), its duplicate rule (`dup`), the job that counts its rows (`check <table>`),
its lake write (`write lake <table>`), the rejects' write, and the marts (`build`).

bench/spark_stages.py sums the time Spark's tasks ran from the event log; this one sees the
driver's time between jobs too (planning), which is most of it on data this small.
"""

from __future__ import annotations

import argparse
import itertools
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

# bench/ itself off the path (its profile.py would shadow the standard library's, which
# pyspark imports), the project on it.
HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != HERE]
sys.path.insert(0, str(HERE.parent))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", nargs="?", type=Path, help="input folder (default: hand-built)")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--master", default="local[2]")
    parser.add_argument("--shuffle", default="2")
    args = parser.parse_args()

    from greenstats.data.spark.session import ENV_MASTER, ENV_SHUFFLE
    from tests.conftest import SPARK_TEST_SUBMIT_ARGS

    os.environ[ENV_MASTER], os.environ[ENV_SHUFFLE] = args.master, args.shuffle
    os.environ.setdefault("PYSPARK_SUBMIT_ARGS", SPARK_TEST_SUBMIT_ARGS)

    import greenstats.data.spark.ingest.loader as spark_loader
    from greenstats.data.spark.ingest.check import SparkLoader
    from greenstats.data.spark.run import ingest_on_spark
    from tests import handbuilt

    marks: list[tuple[float, str]] = []

    def mark(label: str) -> None:
        marks.append((time.perf_counter(), label))

    step, check_group, duplicates = (
        spark_loader.step, SparkLoader.check_group, spark_loader.duplicates
    )  # fmt: skip

    def timed_step(spark, what, on_step=None):
        mark(f"{what}" if what else "build (the marts) and publish")
        return step(spark, what, on_step)

    def timed_check_group(self, group):
        mark(f"check_group {group.table.name}")
        return check_group(self, group)

    def timed_duplicates(table, *rest, **kw):
        mark(f"dup {table.name}")
        return duplicates(table, *rest, **kw)

    spark_loader.step = timed_step
    SparkLoader.check_group = timed_check_group
    spark_loader.duplicates = timed_duplicates

    work = Path(tempfile.mkdtemp(prefix="spark-steps-"))
    try:
        folder, reference = args.folder, None
        if folder is None:
            folder, reference = handbuilt.write(work / "input"), handbuilt.REFERENCE_MIN
        for n in range(args.runs):
            marks.clear()
            mark("start")
            ingest_on_spark(folder, work / f"warehouse-{n}", reference)
            mark("end")
            print(f"run {n + 1}: {marks[-1][0] - marks[0][0]:.1f} s", flush=True)
        print("the last run, between steps (s):")
        for (t0, label), (t1, _) in itertools.pairwise(marks):
            print(f"  {t1 - t0:6.2f}  {label}")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
