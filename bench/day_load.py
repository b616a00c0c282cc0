"""One day's load into warehouses that already hold more and more history (issue 28).

    python bench/day_load.py --source IN --events 10000000 WAREHOUSE [WAREHOUSE ...]

Makes one day of `--events` action events (from the demo folder `--source`: its latest
events, moved to the day after its last one and given new ids), then, for each warehouse
(`empty` for a new one), copies it aside and times `greenstats ingest DAY --db COPY` under
`/usr/bin/time -v` (wall time, peak memory), as a user's daily load would run. With
`--in-place` the warehouses themselves take the load (no copy: for one too large to copy).
Prints one row per warehouse with its events before the load and the ratio to the first row.
"""

from __future__ import annotations

import argparse
import shutil
from datetime import date
from pathlib import Path

import duckdb
from run import PY, ROOT, one_more_day, timed

from greenstats.data.warehouse import Warehouse


def events_held(db: Path) -> int:
    """Action events the warehouse's snapshot counts (0: none, or no warehouse)."""
    if not (db / "CURRENT").exists():
        return 0
    with Warehouse(db).open_snapshot() as r:
        return int(r.scalar("SELECT coalesce(sum(count_actions), 0) FROM mart_actions_daily"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("warehouses", nargs="+", help="warehouse folders, or `empty`")
    parser.add_argument("--source", type=Path, required=True, help="a demo folder")
    parser.add_argument("--events", type=int, default=10_000_000, help="the day's events")
    parser.add_argument("--workdir", type=Path, default=ROOT / "bench" / "out" / "day")
    parser.add_argument("--in-place", action="store_true")
    parser.add_argument(
        "--prefix", default="day-", help="put before each event id (another day: another prefix)"
    )
    parser.add_argument("--day", type=date.fromisoformat, help="the day (default: the next)")
    a = parser.parse_args()
    a.workdir.mkdir(parents=True, exist_ok=True)
    with duckdb.connect() as con:
        total = con.execute(
            "SELECT count(*) FROM read_parquet(?)", [str(a.source / "actions" / "*.parquet")]
        ).fetchall()[0][0]
    day, n = one_more_day(
        a.source, a.workdir / "input", min(1.0, a.events / total), a.prefix, a.day
    )
    print(f"one day: {n:,} action events on {day}", flush=True)
    print("| events before | day's load, wall | peak memory | ratio to the first |")
    print("|---|---|---|---|")
    first = None
    for i, name in enumerate(a.warehouses):
        db = a.workdir / f"wh-{i}"
        shutil.rmtree(db, ignore_errors=True)
        if name != "empty":
            if a.in_place:
                db = Path(name)
            else:
                shutil.copytree(name, db, symlinks=True)
        before = events_held(db)
        t = timed([*PY, "ingest", str(a.workdir / "input"), "--db", str(db)])
        first = first or t.wall
        print(f"| {before:,} | {t.wall:,.1f} s | {t.rss:,.0f} MB | {t.wall / first:.2f}× |",
              flush=True)  # fmt: skip
        if not a.in_place:
            shutil.rmtree(db, ignore_errors=True)


if __name__ == "__main__":
    main()
