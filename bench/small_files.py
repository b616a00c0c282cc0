"""Many small files: the time to load N one-row CSV files of actions, and the lake files made.

    python bench/small_files.py [--files 10000] [--workdir bench/out] [--engine-checkout DIR]

The folder holds `actions/part-NNNNN.csv`, each a header and one good action (a month of
2025 by file number, so the rows span 12 months), plus BASE-like projects. The load runs as
the user runs it (`python -m greenstats ingest IN --db WH`) under `/usr/bin/time`; the figures
are its wall time, the rows accepted and the lake files per month of actions. `--checkout`
runs another checkout's code on the same folder (PYTHONPATH), for a before/after ratio.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HEADER = "event_id,user_id,occurred_at,action,region,energy_g,brand_id\n"


def write_folder(folder: Path, files: int) -> None:
    parts = folder / "actions"
    parts.mkdir(parents=True)
    for i in range(files):
        month = 1 + i % 12
        row = f"e{i},u{i % 997},2025-{month:02d}-05 10:00,walking,CN-GD,{10 + i % 50},\n"
        (parts / f"part-{i:05d}.csv").write_text(HEADER + row, encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=10_000)
    parser.add_argument("--workdir", type=Path, default=ROOT / "bench" / "out")
    parser.add_argument("--checkout", type=Path, default=ROOT, help="the code to run")
    args = parser.parse_args()
    work = args.workdir / f"small-files-{args.files}"
    folder, db = work / "input", work / "warehouse"
    if not folder.exists():
        write_folder(folder, args.files)
    shutil.rmtree(db, ignore_errors=True)
    env = {**os.environ, "PYTHONPATH": str(args.checkout)}
    env.setdefault("GREENSTATS_USER_KEY", "bench-small-files-key-0123456789")
    start = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-m", "greenstats", "ingest", str(folder), "--db", str(db)],
        cwd=args.checkout, env=env, capture_output=True, text=True, check=False,
    )  # fmt: skip
    wall = time.perf_counter() - start
    if proc.returncode != 0:
        sys.exit(proc.stderr[-2000:])
    lake = sorted((db / "lake" / "actions").glob("**/*.parquet"))
    per_month = Counter(p.parent.name for p in lake)
    print(f"checkout: {args.checkout}")
    print(f"{args.files:,} one-row files: ingest {wall:.1f} s wall")
    print(f"lake files of actions: {len(lake):,} over {len(per_month)} months "
          f"(at most {max(per_month.values(), default=0)} per month)")  # fmt: skip


if __name__ == "__main__":
    main()
