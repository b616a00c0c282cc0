"""Where an ingest or a build spends its time: every SQL statement it runs, timed and grouped
by its first words, the slowest first.

    python bench/profile.py ingest INPUT_DIR WAREHOUSE [--steps]
    python bench/profile.py build WAREHOUSE [--steps]

The statements run exactly as in `greenstats ingest` / `greenstats build` (the work connection
is wrapped, nothing else changes), so the shares are those of the real command. `--steps` also
runs it under cProfile and lists the package's own functions (and the file copies) by the
time spent in them and what they call, which splits the time the statements leave out: the
key index, the snapshot's copy, Python.
"""

from __future__ import annotations

import argparse
import contextlib
import pstats
import re
import sys
import time
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from greenstats.data import pipeline, warehouse

TIMES: dict[str, list[float]] = defaultdict(lambda: [0, 0.0])


class TimedConnection:
    """A DuckDB connection whose execute() is timed."""

    def __init__(self, con: Any) -> None:
        self._con = con

    def execute(self, sql: str, *args: Any, **kwargs: Any) -> Any:
        start = time.perf_counter()
        result = self._con.execute(sql, *args, **kwargs)
        key = re.sub(r"\s+", " ", re.sub(r"--[^\n]*", "", sql)).strip()
        key = re.sub(r"'[^']*'", "'…'", key)[:110]
        TIMES[key][0] += 1
        TIMES[key][1] += time.perf_counter() - start
        return result

    def __getattr__(self, name: str) -> Any:
        return getattr(self._con, name)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("command", choices=["ingest", "build"])
    parser.add_argument("paths", nargs="+", type=Path)
    parser.add_argument("--top", type=int, default=20)
    parser.add_argument("--steps", action="store_true", help="the package's functions too")
    a = parser.parse_args()
    work_connection = warehouse.Warehouse.work_connection

    @contextlib.contextmanager
    def timed_work_connection(self: warehouse.Warehouse) -> Iterator[TimedConnection]:
        with work_connection(self) as con:
            yield TimedConnection(con)

    warehouse.Warehouse.work_connection = timed_work_connection  # type: ignore[method-assign]
    profiler = _cprofile().Profile() if a.steps else None
    start = time.perf_counter()
    if profiler:
        profiler.enable()
    if a.command == "ingest":
        pipeline.ingest_folder(a.paths[0], a.paths[1])
    else:
        pipeline.rebuild(a.paths[0])
    if profiler:
        profiler.disable()
    total = time.perf_counter() - start
    print(f"{a.command}: {total:,.1f} s in all")
    print("| seconds | share | runs | statement |\n|---|---|---|---|")
    for key, (runs, seconds) in sorted(TIMES.items(), key=lambda kv: -kv[1][1])[: a.top]:
        print(f"| {seconds:,.1f} | {seconds / total:.0%} | {runs:,} | `{key}` |")
    if profiler:
        print_steps(profiler, total, a.top)


def _cprofile() -> Any:
    """The standard library's cProfile (which imports `profile`: this file's name, so its
    folder leaves the path while it does)."""
    here = Path(__file__).resolve().parent
    saved = sys.path
    sys.path = [p for p in sys.path if Path(p or ".").resolve() != here]
    try:
        import cProfile
    finally:
        sys.path = saved
    return cProfile


def print_steps(profiler: Any, total: float, top: int) -> None:
    """The package's functions (and shutil's copies) by cumulative time: in them and in what
    they call, statements included."""
    stats = pstats.Stats(profiler).stats  # type: ignore[attr-defined]
    rows = []
    for (filename, line, name), (_cc, calls, _tt, cumulative, _callers) in stats.items():
        where = Path(filename)
        if "greenstats" in where.parts or where.name == "shutil.py":
            rel = (
                "/".join(where.parts[where.parts.index("greenstats") :])
                if ("greenstats" in where.parts)
                else where.name
            )
            rows.append((cumulative, calls, f"{rel}:{line} {name}"))
    print("\n| seconds (with what it calls) | share | calls | function |\n|---|---|---|---|")
    for cumulative, calls, label in sorted(rows, reverse=True)[:top]:
        print(f"| {cumulative:,.1f} | {cumulative / total:.0%} | {calls:,} | `{label}` |")


if __name__ == "__main__":
    main()
