"""`greenstats build --engine spark`: every model on Spark, then the same publish as DuckDB's.

1. The lake files the current snapshot lists are read by Spark (on a cluster: the lake's URIs).
2. Every model is written as partitioned Parquet under the marts location (spark/build.py).
3. Publish: a new snapshot is built from those files (build.BuildInput.marts_from), with the
   same tables, columns and types as a DuckDB build, and the same bookkeeping; the dashboard
   and `summary` read it unchanged.

The warehouse's writer lock is held from the first step to the last, so no load changes the
lake while Spark reads it.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from greenstats.data.build import BuildInput, build_snapshot
from greenstats.data.contract import TABLES
from greenstats.data.pipeline import _reference
from greenstats.data.warehouse import Snapshot, Warehouse, WarehouseError

#: Where the marts go when no location is given: inside the warehouse, replaced by each build.
DEFAULT_MARTS = Path("spark") / "marts"


def rebuild_on_spark(
    db: str | Path | None = None,
    reference_dir: str | Path | None = None,
    *,
    marts: str | None = None,
    on_step: Callable[[str], None] | None = None,
) -> Snapshot:
    """Build every model on Spark from the current snapshot's lake, write the marts to `marts`
    (default: <warehouse>/spark/marts) and publish a snapshot of them."""
    from greenstats.data.spark.build import build_marts
    from greenstats.data.spark.session import check_available, get_session

    check_available()
    warehouse = Warehouse(db)
    with warehouse.faults(writing=True), warehouse.writer_lock():
        prev = warehouse.require_current()
        reference = _reference(warehouse, prev, reference_dir)
        with warehouse.open_snapshot(prev) as reader:
            lake = {t.name: reader.lake_paths(t.name) for t in TABLES}
        location = marts or str(warehouse.root / DEFAULT_MARTS)
        if on_step:
            on_step("starting Spark")
        spark = get_session()
        try:
            build_marts(spark, lake, location, on_step=on_step)
        except Exception as exc:
            if not _from_spark(exc):
                raise
            raise WarehouseError(
                f"Spark could not build the marts at {location}: {_first_line(exc)}; nothing "
                "was published"
            ) from exc
        number = warehouse.next_number()
        spec = BuildInput(reference, full=True, marts_from=location, built_by=described(spark))
        with warehouse.work_connection() as con:
            return build_snapshot(warehouse, con, number, prev, spec, on_step)


def _from_spark(exc: BaseException) -> bool:
    """Whether an error was raised by Spark (its Python API or the JVM behind it)."""
    return type(exc).__module__.split(".")[0] in {"pyspark", "py4j"}


def _first_line(exc: BaseException) -> str:
    """The first line of Spark's message, without the JVM's stack (which follows it)."""
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    return lines[0] if lines else type(exc).__name__


def described(spark) -> str:
    """The engine and the settings a build ran with, as `greenstats info` shows them."""
    partitions = spark.conf.get("spark.sql.shuffle.partitions")
    return f"spark {spark.version} ({spark.sparkContext.master}, {partitions} shuffle partitions)"
