"""Readers during writes: threads and a second process render pages in a loop while ingests
publish one snapshot after another (and old ones are removed). No read fails, and no render
mixes two snapshots: each render pins one snapshot, as the dashboard does (ui.pin_snapshot),
and every figure it shows (the summary, the Overview's and the Actions page's cards, each
with its exact value) equals that snapshot's, computed beforehand on a replica that went
through the same loads; every publish changes the totals by a known number of events.
"""

from __future__ import annotations

import dataclasses
import itertools
import json
import subprocess
import sys
import threading
import time
from datetime import date
from pathlib import Path

import pytest

from greenstats.data.warehouse import Reader, Snapshot, Warehouse
from greenstats.metrics.filters import Filters
from greenstats.metrics.queries import headline
from greenstats.screens import SCREENS
from tests import ops
from tests.conftest import ROOT

#: Loads published while the readers read: load k adds STEP × k events on its own day.
LOADS = 5
STEP = 700
THREADS = 3
FILTERS = Filters(as_of=date.fromisoformat(ops.AS_OF))
CHECKED = ("overview", "actions")  # the pages whose cards are compared, figure for figure
BY_NAME = {s.name: s for s in SCREENS}


def _loads(root: Path) -> list[Path]:
    folders = []
    for k in range(1, LOADS + 1):
        folder = root / f"load-{k}"
        day = f"2025-{7 + k:02d}-1{k}"
        ops.write_events(folder / "actions" / f"{day}.parquet", STEP * k, 10**6 * k, day)
        folders.append(folder)
    return folders


def _figures(r: Reader) -> dict:
    """What a render shows that the test compares: summary, and the checked pages' cards."""
    figures = {"summary": headline.summary(r, FILTERS)}
    for name in CHECKED:
        cards = BY_NAME[name].view(r, FILTERS, "en").cards
        figures[name] = [dataclasses.asdict(c) for c in cards]
    return figures


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """The base warehouse, the loads, and each snapshot's figures by number (from a replica
    that went through the same loads, one at a time)."""
    root = tmp_path_factory.mktemp("concurrency")
    base, _ = ops.base_warehouse(root)
    loads = _loads(root)
    replica = ops.copy(base, root / "replica")
    expected = {}
    for folder in [None, *loads]:
        if folder is not None:
            code, _, err = ops.cli("ingest", str(folder), "--db", str(replica))
            assert code == 0, err
        with Warehouse(replica).open_snapshot() as r:
            expected[r.snapshot.number] = _figures(r)
    actions = [expected[n]["summary"]["actions"] for n in sorted(expected)]
    assert [b - a for a, b in itertools.pairwise(actions)] == [
        STEP * k for k in range(1, LOADS + 1)
    ]
    return {"root": root, "base": base, "loads": loads, "expected": expected}


READER_PROCESS = """
import dataclasses, json, pathlib, sys
from datetime import date
from greenstats.metrics.queries import headline
from greenstats.metrics.filters import Filters
from greenstats.screens import SCREENS
from greenstats.data.warehouse import Warehouse

db, stop, as_of = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2]), sys.argv[3]
f = Filters(as_of=date.fromisoformat(as_of))
overview = next(s for s in SCREENS if s.name == "overview")
renders, errors = [], []
while True:
    last = stop.exists()
    try:
        snap = Warehouse(db).current()  # the pin
        with Warehouse(db).open_snapshot(snap) as r:
            renders.append([snap.number, headline.summary(r, f),
                            [dataclasses.asdict(c) for c in overview.view(r, f, "en").cards]])
    except Exception as exc:
        errors.append(f"{type(exc).__name__}: {exc}")
    if last:
        break
print(json.dumps({"renders": renders, "errors": errors}))
"""


class Renders:
    """What the reader threads saw: renders by snapshot number, mismatches and errors."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.readers: dict[str, Reader] = {}
        self.seen: dict[int, int] = {}
        self.mismatches: list[str] = []
        self.errors: list[str] = []

    def reader(self, warehouse: Warehouse, snap: Snapshot) -> Reader:
        """One reader per snapshot, shared by the threads (door._reader, st.cache_resource)."""
        with self.lock:
            if snap.key not in self.readers:
                self.readers[snap.key] = warehouse.open_snapshot(snap)
            return self.readers[snap.key]


def _render_loop(db: Path, expected: dict, done: threading.Event, out: Renders, i: int) -> None:
    warehouse = Warehouse(db)
    turn = i
    while True:
        last = done.is_set()
        try:
            snap = warehouse.current()  # pinned once, as dashboard.py does for every run
            screen = SCREENS[turn % len(SCREENS)]
            turn += 1
            # Each read looks the reader up again, as each ui.query call does.
            summary = headline.summary(out.reader(warehouse, snap), FILTERS)
            data = screen.view(out.reader(warehouse, snap), FILTERS, "en")
            info = out.reader(warehouse, snap).info()
            want = expected[snap.number]
            problems = []
            if info["snapshot"] != snap.version:
                problems.append(f"info says {info['snapshot']}, pinned {snap.version}")
            if summary != want["summary"]:
                problems.append(f"summary of {snap.version} differs")
            if screen.name in CHECKED:
                cards = [dataclasses.asdict(c) for c in data.cards]
                if cards != want[screen.name]:
                    problems.append(f"{screen.name} cards of {snap.version} differ")
            with out.lock:
                out.seen[snap.number] = out.seen.get(snap.number, 0) + 1
                out.mismatches += problems
        except Exception as exc:
            with out.lock:
                out.errors.append(f"{type(exc).__name__}: {exc}")
        if last:
            return


def test_readers_during_writes_see_one_whole_snapshot_per_render(world: dict) -> None:
    db = ops.copy(world["base"], world["root"] / "live")
    stop = world["root"] / "stop"
    process = subprocess.Popen(
        [sys.executable, "-c", READER_PROCESS, str(db), str(stop), ops.AS_OF],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    done = threading.Event()
    out = Renders()
    threads = [
        threading.Thread(target=_render_loop, args=(db, world["expected"], done, out, i))
        for i in range(THREADS)
    ]
    for t in threads:
        t.start()
    started = time.monotonic()
    for folder in world["loads"]:
        time.sleep(0.5)  # let every reader render the snapshot just published
        code, _, err = ops.cli("ingest", str(folder), "--db", str(db))
        assert code == 0, err
    writes = time.monotonic() - started
    done.set()
    stop.touch()
    for t in threads:
        t.join(timeout=300)
    result, errors = process.communicate(timeout=300)
    assert process.returncode == 0, errors
    seen_by_process = json.loads(result)

    assert out.errors == []
    assert out.mismatches == []
    assert seen_by_process["errors"] == []
    for number, summary, cards in seen_by_process["renders"]:
        assert summary == world["expected"][number]["summary"]
        # As JSON on both sides: the other process's cards came through it (tuples as lists).
        assert cards == json.loads(json.dumps(world["expected"][number]["overview"]))
    numbers = sorted(world["expected"])
    assert set(out.seen) <= set(numbers)
    # The readers saw the loads land while they read, the last one included.
    assert len(out.seen) >= 3, out.seen
    assert numbers[-1] in out.seen
    assert len({n for n, *_ in seen_by_process["renders"]}) >= 2
    renders = sum(out.seen.values()) + len(seen_by_process["renders"])
    print(f"\n{renders} renders during {LOADS} publishes ({writes:.1f} s): {out.seen}")
    for reader in out.readers.values():
        reader.close()
