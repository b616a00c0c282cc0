"""Time and peak memory of the data core at scale: demo → ingest → full build.

    python bench/pipeline.py --events 100000000 [--workdir bench/out] [--write]

Each step runs as the user would run it (`python -m greenstats ...`) under `/usr/bin/time -v`,
which reports wall time and the peak resident memory of the process. With --write the results
replace the "Data core" section of BENCHMARKS.md, with the machine, the date and the command.
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import shutil
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SECTION = "## Data core: generate, ingest, build"


def timed(args: list[str]) -> tuple[float, float]:
    """(wall seconds, peak RSS in MB) of one command."""
    proc = subprocess.run(
        ["/usr/bin/time", "-v", *args], cwd=ROOT, capture_output=True, text=True, check=False
    )
    if proc.returncode != 0:
        sys.exit(f"{' '.join(args)} failed:\n{proc.stdout[-2000:]}\n{proc.stderr[-4000:]}")
    wall = re.search(r"Elapsed \(wall clock\) time.*: (?:(\d+):)?(\d+):([\d.]+)", proc.stderr)
    rss = re.search(r"Maximum resident set size \(kbytes\): (\d+)", proc.stderr)
    if not (wall and rss):
        sys.exit(f"could not read /usr/bin/time's report:\n{proc.stderr[-2000:]}")
    hours, minutes, seconds = (float(g) if g else 0.0 for g in wall.groups())
    return hours * 3600 + minutes * 60 + seconds, int(rss.group(1)) / 1024


def machine() -> str:
    """One line about this machine."""
    cpuinfo = Path("/proc/cpuinfo").read_text() if Path("/proc/cpuinfo").exists() else ""
    model = re.search(r"^model name\s*:\s*(.+)$", cpuinfo, re.M)
    cpu = model.group(1).strip() if model else "unknown CPU"
    meminfo = Path("/proc/meminfo").read_text() if Path("/proc/meminfo").exists() else ""
    total = re.search(r"MemTotal:\s+(\d+)", meminfo)
    mem_kb = int(total.group(1)) if total else 0
    return (
        f"{os.cpu_count()} cores ({cpu}), {mem_kb / 1024**2:.0f} GiB RAM, "
        f"Python {platform.python_version()}"
    )


def du_mb(path: Path) -> float:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) / 1024**2


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--workdir", type=Path, default=ROOT / "bench" / "out")
    parser.add_argument("--write", action="store_true", help="update BENCHMARKS.md")
    args = parser.parse_args()
    work = args.workdir / f"pipeline-{args.events}"
    shutil.rmtree(work, ignore_errors=True)
    folder, db = work / "input", work / "warehouse"
    py = [sys.executable, "-m", "greenstats"]
    steps = [
        ("generate", [*py, "demo", str(folder), "--events", str(args.events)]),
        ("ingest (validate, load, build, publish)", [*py, "ingest", str(folder), "--db", str(db)]),
        ("full rebuild of every model", [*py, "build", "--db", str(db)]),
    ]
    rows = []
    for name, cmd in steps:
        print(f"{name}…", flush=True)
        wall, rss = timed(cmd)
        rows.append((name, wall, rss))
        print(f"  {wall:,.1f} s, peak {rss:,.0f} MB", flush=True)
    snapshot = max((db / "snapshots").glob("*.duckdb"))
    sizes = (
        f"input {du_mb(folder):,.0f} MB, lake {du_mb(db / 'lake'):,.0f} MB, "
        f"snapshot {snapshot.stat().st_size / 1024**2:,.0f} MB"
    )
    lines = [
        SECTION,
        "",
        f"Measured {datetime.now(UTC):%Y-%m-%d} on {machine()}, DuckDB memory_limit "
        f"{os.environ.get('GREENSTATS_MEMORY_LIMIT', '4GB')} (spilling to disk above it).",
        "",
        f"Command: `python bench/pipeline.py --events {args.events} --write` "
        "(each step is `python -m greenstats ...` under `/usr/bin/time -v`).",
        "",
        f"| {args.events:,} action events | wall time | peak memory (RSS) |",
        "|---|---|---|",
        *(f"| {name} | {wall:,.1f} s | {rss:,.0f} MB |" for name, wall, rss in rows),
        "",
        f"Sizes: {sizes}.",
        "",
    ]
    print("\n".join(lines))
    if args.write:
        write_section(ROOT / "BENCHMARKS.md", SECTION, "\n".join(lines))


def write_section(path: Path, heading: str, body: str) -> None:
    """Replace (or append) the section that starts with `heading` in a Markdown file."""
    text = path.read_text() if path.exists() else "# Benchmarks\n\n"
    pattern = re.compile(rf"^{re.escape(heading)}\n.*?(?=^## |\Z)", re.S | re.M)
    text = pattern.sub(body, text) if pattern.search(text) else text.rstrip() + "\n\n" + body
    path.write_text(text.rstrip() + "\n")


if __name__ == "__main__":
    main()
