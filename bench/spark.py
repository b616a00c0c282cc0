"""Spark beside DuckDB on the same inputs, in one run: ingest, full build, and how each grows.

    python bench/spark.py --events 1000000 10000000 100000000 [--workdir bench/out] [--write]

For each size: the demo input is generated (or reused from bench/pipeline.py's folder of that
size), DuckDB ingests it (validate, load, build, publish), DuckDB rebuilds every model from the
lake (`greenstats build`), and Spark rebuilds every model from the same lake
(`greenstats build --engine spark`, local master on this machine's cores) into a copy of the
warehouse. Each step runs as a user would run it, under `/usr/bin/time -v` (wall time; peak
RSS of the largest process, the JVM's for Spark). After the Spark build, the two snapshots'
marts are compared row for row, so a timing is never of a wrong result.

With --write the results replace the "Spark beside DuckDB" section of BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import importlib.metadata
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


def same_marts(a: Path, b: Path) -> bool:
    """Every model table of the two warehouses' current snapshots equal, row for row."""
    con = duckdb.connect()
    con.execute("ATTACH ? AS a (READ_ONLY)", [str(Warehouse(a).require_current().path)])
    con.execute("ATTACH ? AS b (READ_ONLY)", [str(Warehouse(b).require_current().path)])
    for m in load_models():
        for x, y in (("a", "b"), ("b", "a")):
            extra = con.execute(
                f"SELECT count(*) FROM (FROM {x}.{m.name} EXCEPT ALL FROM {y}.{m.name})"
            ).fetchone()[0]
            if extra:
                print(f"  {m.name}: {extra} rows of {x} not in {y}", flush=True)
                return False
    return True


def tree_step(name: str, args: list[str]) -> Timed:
    """Wall time and the peak RSS of the largest process of the command's tree. GNU time sees
    only the processes its child waited for, and pyspark never waits for the JVM it starts:
    so every process under the command is sampled for its high-water mark (VmHWM), which
    only grows, twice a second until it ends."""
    print(f"{name}…", flush=True)
    start = time.perf_counter()
    proc = subprocess.Popen(args, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    peak = 0
    stderr = b""
    while True:
        peak = max([peak, *(hwm_kb(pid) for pid in descendants(proc.pid))])
        try:
            _, stderr = proc.communicate(timeout=0.5)
            break
        except subprocess.TimeoutExpired:
            continue
    wall = time.perf_counter() - start
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
    for old in (duck, spark):
        shutil.rmtree(old, ignore_errors=True)
    m = {"events": events, "input_mb": du_mb(folder)}
    m["duck_ingest"] = step("DuckDB ingest", [*py, "ingest", str(folder), "--db", str(duck)])
    m["duck_build"] = step("DuckDB full build", [*py, "build", "--db", str(duck)])
    shutil.copytree(duck, spark)
    m["spark_build"] = tree_step(
        "Spark full build",
        [*py, "build", "--engine", "spark", "--db", str(spark), "--marts", str(work / "marts")],
    )
    m["lake_mb"] = du_mb(duck / "lake")
    m["marts_mb"] = du_mb(work / "marts")
    m["equal"] = same_marts(duck, spark)
    m["load"] = os.getloadavg()[2]  # the 15-minute load average at the end of this size
    print(f"  marts equal: {m['equal']}", flush=True)
    return m


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
        f"Command: `python bench/spark.py --events {sizes} --write`. Each step is "
        "`python -m greenstats …`; DuckDB's under `/usr/bin/time -v`, Spark's with every "
        "process of its tree sampled for its peak resident set (VmHWM), since `time` does not "
        "see the JVM pyspark starts: the peak is the largest process's (the JVM's). The "
        "DuckDB and Spark builds read the same lake, and every mart of the two snapshots was "
        "compared row for row after the run (the last column).",
        "",
        "| action events | DuckDB ingest | DuckDB full build | Spark full build | Spark ÷ DuckDB "
        "build | peak: DuckDB build / Spark build | marts equal |",
        "|---|---|---|---|---|---|---|",
    ]
    for m in results:
        d, s = m["duck_build"], m["spark_build"]
        lines.append(
            f"| {m['events']:,} | {m['duck_ingest'].wall:,.1f} s | {d.wall:,.1f} s | "
            f"{s.wall:,.1f} s | {s.wall / d.wall:,.1f}× | {d.rss:,.0f} MB / {s.rss:,.0f} MB | "
            f"{'yes' if m['equal'] else '**no**'} |"
        )
    if len(results) > 1:
        lines += ["", "How each grows with the input (time at this size ÷ time at the first):", ""]
        lines += ["| action events | × events | DuckDB build | Spark build |", "|---|---|---|---|"]
        first = results[0]
        for m in results:
            lines.append(
                f"| {m['events']:,} | {m['events'] / first['events']:,.0f}× | "
                f"{m['duck_build'].wall / first['duck_build'].wall:,.1f}× | "
                f"{m['spark_build'].wall / first['spark_build'].wall:,.1f}× |"
            )
    loads = ", ".join(f"{m['load']:.1f}" for m in results)
    lines += [
        "",
        f"15-minute load average at the end of each size: {loads} (on {os.cpu_count()} cores; "
        "above the core count, other work shared the machine and the times are inflated).",
        "",
        "Sizes: "
        + "; ".join(
            f"{m['events']:,} events: input {m['input_mb']:,.0f} MB, lake {m['lake_mb']:,.0f} MB, "
            f"Spark's marts {m['marts_mb']:,.0f} MB"
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
