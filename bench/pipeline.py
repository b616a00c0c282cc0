"""Time and peak memory of the data core at scale: demo → ingest → full build.

    python bench/pipeline.py --events 100000000 [--workdir bench/out] [--write]

Each step runs as the user would run it (`python -m greenstats ...`) under `/usr/bin/time -v`,
which reports wall time and the peak resident memory of the process. With --write the results
replace the "Data core" section of BENCHMARKS.md, with the machine, the date and the command.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
from datetime import UTC, datetime
from pathlib import Path

from run import ROOT, du_mb, machine, timed, write_section

SECTION = "## Data core: generate, ingest, build"


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
        t = timed(cmd)
        wall, rss = t.wall, t.rss
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


if __name__ == "__main__":
    main()
