"""Where a Spark ingest spends its time: each stage's wall time, task time and spill.

    python bench/spark_stages.py bench/out/pipeline-10000000/input [--top 20]

Runs `ingest --engine spark` of the folder into a new warehouse (in a temporary folder) with
Spark's event log on, then reads the log: for each step (the name greenstats gives its jobs:
`check actions`, `write lake actions`, `write rejects`, each model…; else the call site), the
stages it ran, their wall time, the time their tasks ran (summed over tasks: core-seconds),
the bytes shuffled and spilled. Spark's UI is off here (no port),
so the event log is how a run is profiled after the fact.

The session is a local one made here, before greenstats asks for one, with the same settings
as greenstats' (GREENSTATS_SPARK_MASTER, GREENSTATS_SPARK_DRIVER_MEMORY) plus the event log.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

# bench/ itself off the path (its profile.py would shadow the standard library's, which
# pyspark imports), the project on it.
HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != HERE]
sys.path.insert(0, str(HERE.parent))


def profile(folder: Path, work: Path) -> tuple[float, Path]:
    """Run the Spark ingest with the event log on; returns its wall time and the log's
    folder."""
    from pyspark.sql import SparkSession

    from greenstats.data.spark.run import ingest_on_spark
    from greenstats.data.spark.session import ENV_MASTER, ENV_SHUFFLE, REQUIRED_CONF

    logs = work / "eventlog"
    logs.mkdir()
    builder = (
        SparkSession.builder.appName("greenstats-profile")
        .master(os.environ.get(ENV_MASTER, "local[*]"))
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.shuffle.partitions", os.environ.get(ENV_SHUFFLE, "8"))
        .config("spark.driver.memory", os.environ.get("GREENSTATS_SPARK_DRIVER_MEMORY", "4g"))
        .config("spark.eventLog.enabled", "true")
        .config("spark.eventLog.dir", logs.as_uri())
        .config("spark.eventLog.compress", "false")
    )
    for key, value in REQUIRED_CONF.items():
        builder = builder.config(key, value)
    spark = builder.getOrCreate()
    spark.sparkContext.setLogLevel("WARN")
    start = time.monotonic()
    try:
        ingest_on_spark(folder, work / "warehouse")
    finally:
        wall = time.monotonic() - start
        spark.stop()
    return wall, logs


def _events(logs: Path):
    """The events of the log's files (Spark 4 rolls its log into numbered files), in order."""
    files = sorted(
        (p for p in logs.rglob("events_*") if p.is_file()),
        key=_file_order,
    )
    for path in files:
        with open(path, encoding="utf-8") as fh:
            for line in fh:
                if line.strip():
                    yield json.loads(line)


def _file_order(path: Path) -> tuple[int, str]:
    parts = path.name.split("_")
    return (int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else 0, path.name)


def stages(logs: Path) -> dict[str, dict[str, float]]:
    """Per call site: stages, wall seconds, task seconds, shuffle written and spilled (MB)."""
    per_site: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    site_of: dict[int, str] = {}
    step_of: dict[int, str] = {}  # stage id: the step its job was started in
    for event in _events(logs):
        kind = event["Event"]
        if kind == "SparkListenerJobStart":
            what = (event.get("Properties") or {}).get("spark.job.description")
            for stage_id in event.get("Stage IDs", []):
                if what:
                    step_of[stage_id] = what
        elif kind == "SparkListenerStageCompleted":
            info = event["Stage Info"]
            site = step_of.get(info["Stage ID"]) or _site(info)
            site_of[info["Stage ID"]] = site
            row = per_site[site]
            row["stages"] += 1
            row["tasks"] += info["Number of Tasks"]
            row["wall_s"] += (info["Completion Time"] - info["Submission Time"]) / 1000
        elif kind == "SparkListenerTaskEnd" and event.get("Task Metrics"):
            m = event["Task Metrics"]
            row = per_site[site_of.get(event["Stage ID"], f"stage {event['Stage ID']}")]
            row["task_s"] += m["Executor Run Time"] / 1000
            row["shuffle_write_mb"] += m["Shuffle Write Metrics"]["Shuffle Bytes Written"] / 1e6
            row["spill_mb"] += m["Disk Bytes Spilled"] / 1e6
    # Task ends come before their stage's end: fold those counted under "stage N" in.
    for stage_id, site in site_of.items():
        early = per_site.pop(f"stage {stage_id}", None)
        for key, value in (early or {}).items():
            per_site[site][key] += value
    return per_site


def _site(info: dict) -> str:
    """Where a stage no step names was started: its call site (a greenstats line, if any)."""
    for line in [info["Stage Name"], *info.get("Details", "").splitlines()]:
        if "greenstats/" in line:
            return line.strip().rsplit("greenstats/", 1)[1]
    return info["Stage Name"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("folder", type=Path)
    parser.add_argument("--top", type=int, default=20)
    parser.add_argument("--keep", type=Path, help="a new folder to keep the warehouse and log in")
    args = parser.parse_args()
    if args.keep:
        args.keep.mkdir(parents=True)
        wall, log = profile(args.folder, args.keep)
        rows = stages(log)
    else:
        with tempfile.TemporaryDirectory(prefix="greenstats-stages-") as tmp:
            wall, log = profile(args.folder, Path(tmp))
            rows = stages(log)
    total = sum(r["wall_s"] for r in rows.values())
    print(f"Spark ingest of {args.folder}: {wall:,.1f} s; stages' wall time {total:,.1f} s")
    print("| step | stages | tasks | wall s | task s | shuffle written MB | spilled MB |")
    print("|---|---|---|---|---|---|---|")
    top = sorted(rows.items(), key=lambda kv: -kv[1]["wall_s"])[: args.top]
    for site, r in top:
        print(
            f"| `{site}` | {int(r['stages'])} | {int(r['tasks'])} | {r['wall_s']:,.1f} | "
            f"{r['task_s']:,.1f} | {r['shuffle_write_mb']:,.0f} | {r['spill_mb']:,.0f} |"
        )


if __name__ == "__main__":
    main()
