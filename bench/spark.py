"""Spark beside DuckDB on the same inputs, in one run: ingest, full build, and how each grows.

    python bench/spark.py --events 1000000 10000000 100000000 [--workdir bench/out] [--write]

For each size: the demo input is generated (or reused from bench/pipeline.py's folder of that
size); DuckDB ingests it (checks, lake, every model, publish) and rebuilds every model from the
lake (`greenstats build`); then Spark ingests the same folder into a new warehouse
(`greenstats ingest --engine spark`, local master on this machine's cores: checks, lake and
rejects, every model as Parquet, publish), its phases timed apart. Each step runs as a user
would run it (wall time; peak RSS of the largest process, the JVM's for Spark). After the
run, the two snapshots' marts and rejects are compared row for row, so a timing is never of a
wrong result.

With --write the results replace the "Spark beside DuckDB" section of BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import importlib.metadata
import itertools
import os
import re
import shutil
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import duckdb
from run import MB, ROOT, Timed, du_mb, machine, step, write_section

sys.path.insert(0, str(ROOT))

from greenstats.data.build import load_models
from greenstats.data.warehouse import Warehouse

SECTION = "## Spark beside DuckDB"


def same_tables(a: Path, b: Path, tables: list[str]) -> bool:
    """The named tables of the two warehouses' current snapshots equal, row for row."""
    con = duckdb.connect()
    con.execute("ATTACH ? AS a (READ_ONLY)", [str(Warehouse(a).require_current().path)])
    con.execute("ATTACH ? AS b (READ_ONLY)", [str(Warehouse(b).require_current().path)])
    for name in tables:
        for x, y in (("a", "b"), ("b", "a")):
            extra = con.execute(
                f"SELECT count(*) FROM (FROM {x}.{name} EXCEPT ALL FROM {y}.{name})"
            ).fetchone()[0]
            if extra:
                print(f"  {name}: {extra} rows of {x} not in {y}", flush=True)
                return False
    return True


# `greenstats ingest --engine spark` as the CLI runs it, with each step stamped on the system's
# monotonic clock (the same clock in every process), so the run splits into its phases.
SPARK_INGEST = """
import sys, time
from greenstats.data.spark.run import ingest_on_spark
def stamp(what):
    print(time.monotonic(), what, flush=True)
ingest_on_spark(sys.argv[1], sys.argv[2], on_step=stamp)
stamp("done")
"""
# The phases of a Spark ingest, each from its first step to the next phase's.
PHASES = {"starting Spark": "start", "checking rows": "rules", "user days": "marts",
          "publishing": "publish", "done": "end"}  # fmt: skip


def tree_step(name: str, args: list[str], out: list[str] | None = None) -> Timed:
    """Wall time and the peak RSS of the largest process of the command's tree. GNU time sees
    only the processes its child waited for, and pyspark never waits for the JVM it starts:
    so every process under the command is sampled for its high-water mark (VmHWM), which
    only grows, twice a second until it ends."""
    print(f"{name}…", flush=True)
    start = time.monotonic()
    stdout = subprocess.PIPE if out is not None else subprocess.DEVNULL
    proc = subprocess.Popen(args, cwd=ROOT, stdout=stdout, stderr=subprocess.PIPE)
    peak = 0
    while True:
        peak = max([peak, *(hwm_kb(pid) for pid in descendants(proc.pid))])
        try:
            stdout_bytes, stderr = proc.communicate(timeout=0.5)
            break
        except subprocess.TimeoutExpired:
            continue
    wall = time.monotonic() - start
    if out is not None:
        out.extend([f"{start} begin", *stdout_bytes.decode().splitlines()])
    if proc.returncode != 0:
        sys.exit(f"{' '.join(args)} failed:\n{stderr.decode(errors='replace')[-4000:]}")
    t = Timed(wall, peak * 1024 / MB)
    print(f"  {t.wall:,.1f} s, peak {t.rss:,.0f} MB (largest process)", flush=True)
    return t


def descendants(root: int) -> list[int]:
    """The process and every process under it, from /proc."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo.extend(children.get(pid, []))
    return found


def hwm_kb(pid: int) -> int:
    """A process's peak resident set so far (VmHWM), in kB (0 once it has gone)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return 0
    m = re.search(r"^VmHWM:\s+(\d+) kB", status, re.M)
    return int(m.group(1)) if m else 0


def measure(events: int, work: Path) -> dict:
    py = [sys.executable, "-m", "greenstats"]
    folder = ROOT / "bench" / "out" / f"pipeline-{events}" / "input"
    if not (folder / "SYNTHETIC_DEMO_DATA.txt").exists():
        folder = work / "input"
        if not (folder / "SYNTHETIC_DEMO_DATA.txt").exists():
            step(f"generate {events:,}", [*py, "demo", str(folder), "--events", str(events)])
    duck, spark = work / "duckdb", work / "spark"
    for old in (duck, spark, work / "marts"):
        shutil.rmtree(old, ignore_errors=True)
    m = {"events": events, "input_mb": du_mb(folder)}
    m["duck_ingest"] = step("DuckDB ingest", [*py, "ingest", str(folder), "--db", str(duck)])
    m["duck_build"] = step("DuckDB full build", [*py, "build", "--db", str(duck)])
    stamps: list[str] = []
    m["spark_ingest"] = tree_step(
        "Spark ingest", [sys.executable, "-c", SPARK_INGEST, str(folder), str(spark)], stamps
    )
    m["phases"] = phases(stamps)
    print("  " + ", ".join(f"{k} {v:,.1f} s" for k, v in m["phases"].items()), flush=True)
    m["lake_mb"] = du_mb(duck / "lake")
    m["spark_lake_mb"] = du_mb(spark / "lake")
    m["marts_mb"] = du_mb(spark / "spark")
    m["equal"] = same_tables(duck, spark, [x.name for x in load_models()])
    m["rejects_equal"] = same_tables(duck, spark, ["rejects"])
    m["load"] = os.getloadavg()[2]  # the 15-minute load average at the end of this size
    print(f"  marts equal: {m['equal']}, rejects equal: {m['rejects_equal']}", flush=True)
    return m


def phases(stamps: list[str]) -> dict[str, float]:
    """Seconds in each phase of a Spark ingest, from its stamped steps: `start` (the command
    and the JVM starting), `rules` (the contract's checks, the lake and the rejects written),
    `marts` (every model), `publish` (the snapshot filled from the marts)."""
    seen: dict[str, float] = {}
    for line in stamps:  # Spark may print lines of its own among the stamps
        m = re.fullmatch(r"(\d+\.\d+) (.+)", line.strip())
        if not m:
            continue
        at, what = m.groups()
        key = "start" if what == "begin" else PHASES.get(what)
        if key and key not in seen:
            seen[key] = float(at)
    order = ["start", "rules", "marts", "publish", "end"]
    return {a: seen[b] - seen[a] for a, b in itertools.pairwise(order)}


def report(args: argparse.Namespace, results: list[dict]) -> str:
    sizes = " ".join(str(e) for e in args.events)
    lines = [
        SECTION,
        "",
        f"Measured {datetime.now(UTC):%Y-%m-%d} on {machine()}; Spark "
        f"{spark_version()} in local mode on the same cores "
        f"(`{os.environ.get('GREENSTATS_SPARK_MASTER', 'local[*]')}`, shuffle partitions "
        f"{os.environ.get('GREENSTATS_SPARK_SHUFFLE_PARTITIONS', '8')}, driver memory "
        f"{os.environ.get('GREENSTATS_SPARK_DRIVER_MEMORY', '4g')}), Java "
        f"{java_version()}.",
        "",
        f"Command: `python bench/spark.py --events {sizes} --write`. On each size, in this "
        "order: `greenstats ingest` (DuckDB: the contract's checks, the lake, every model, the "
        "snapshot), `greenstats build` (DuckDB: every model again from the lake, a new "
        "snapshot), then `greenstats ingest --engine spark` into a new warehouse (Spark: the "
        "same checks, its own lake and rejects as Parquet, every model as Parquet, then the "
        "snapshot filled from those marts). DuckDB's steps run under `/usr/bin/time -v`; "
        "Spark's has every process of its tree sampled for its peak resident set (VmHWM), "
        "since `time` does not see the JVM pyspark starts, and its steps stamped on the "
        "monotonic clock, which splits it into phases. After the run, every mart and the "
        "rejects table of the two snapshots were compared row for row (the last columns).",
        "",
        "| action events | DuckDB ingest | DuckDB full build | Spark ingest, in all | "
        "Spark: start | Spark: checks, lake, rejects | Spark: marts | Spark: publish | "
        "peak: DuckDB build / Spark | marts equal | rejects equal |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for m in results:
        d, s, p = m["duck_build"], m["spark_ingest"], m["phases"]
        lines.append(
            f"| {m['events']:,} | {m['duck_ingest'].wall:,.1f} s | {d.wall:,.1f} s | "
            f"{s.wall:,.1f} s | {p['start']:,.1f} s | {p['rules']:,.1f} s | "
            f"{p['marts']:,.1f} s | {p['publish']:,.1f} s | "
            f"{d.rss:,.0f} MB / {s.rss:,.0f} MB | {'yes' if m['equal'] else '**no**'} | "
            f"{'yes' if m['rejects_equal'] else '**no**'} |"
        )
    lines += [
        "",
        "Spark beside DuckDB, step for step: Spark's checks and lake (its `start` and "
        "`checks` phases) against DuckDB's ingest less DuckDB's build (DuckDB's ingest builds "
        "every model too), and Spark's marts and publish against DuckDB's full build:",
        "",
        "| action events | checks and lake: DuckDB / Spark | build: DuckDB / Spark | "
        "Spark ÷ DuckDB, build |",
        "|---|---|---|---|",
    ]
    for m in results:
        d, p = m["duck_build"].wall, m["phases"]
        duck_rules = m["duck_ingest"].wall - d
        spark_build = p["marts"] + p["publish"]
        lines.append(
            f"| {m['events']:,} | {duck_rules:,.1f} s / {p['start'] + p['rules']:,.1f} s | "
            f"{d:,.1f} s / {spark_build:,.1f} s | {spark_build / d:,.1f}× |"
        )
    if len(results) > 1:
        lines += ["", "How each grows with the input (time at this size ÷ time at the first):", ""]
        lines += [
            "| action events | × events | DuckDB ingest | DuckDB build | Spark ingest, in all "
            "| Spark: checks, lake, rejects | Spark: marts |",
            "|---|---|---|---|---|---|---|",
        ]
        f = results[0]
        for m in results:
            lines.append(
                f"| {m['events']:,} | {m['events'] / f['events']:,.0f}× | "
                f"{m['duck_ingest'].wall / f['duck_ingest'].wall:,.1f}× | "
                f"{m['duck_build'].wall / f['duck_build'].wall:,.1f}× | "
                f"{m['spark_ingest'].wall / f['spark_ingest'].wall:,.1f}× | "
                f"{m['phases']['rules'] / f['phases']['rules']:,.1f}× | "
                f"{m['phases']['marts'] / f['phases']['marts']:,.1f}× |"
            )
    loads = ", ".join(f"{m['load']:.1f}" for m in results)
    lines += [
        "",
        f"15-minute load average at the end of each size: {loads} (on {os.cpu_count()} cores; "
        "above the core count, other work shared the machine and the times are inflated).",
        "",
        "Sizes: "
        + "; ".join(
            f"{m['events']:,} events: input {m['input_mb']:,.0f} MB, DuckDB's lake "
            f"{m['lake_mb']:,.0f} MB, Spark's lake {m['spark_lake_mb']:,.0f} MB, Spark's marts "
            f"{m['marts_mb']:,.0f} MB"
            for m in results
        )
        + ".",
        "",
    ]
    return "\n".join(lines)


def spark_version() -> str:
    # From the package's metadata: importing pyspark here would import bench/profile.py as
    # the standard library's profile module (bench/ comes first on the path).
    return importlib.metadata.version("pyspark")


def java_version() -> str:
    import subprocess

    out = subprocess.run(["java", "-version"], capture_output=True, text=True, check=False)
    first = (out.stderr or out.stdout).splitlines()
    return first[0].split('"')[1] if first and '"' in first[0] else "unknown"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, nargs="+", default=[1_000_000])
    parser.add_argument("--workdir", type=Path, default=ROOT / "bench" / "out")
    parser.add_argument("--write", action="store_true", help="update BENCHMARKS.md")
    args = parser.parse_args()
    results = []
    for events in args.events:
        print(f"== {events:,} events", flush=True)
        results.append(measure(events, args.workdir / f"spark-{events}"))
    body = report(args, results)
    print(body)
    if args.write:
        write_section(ROOT / "BENCHMARKS.md", SECTION, body)


if __name__ == "__main__":
    main()
