"""Publishing is atomic: a killed build leaves the published snapshot as it was, and readers
see the old snapshot or the new one, never a mix."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from greenstats.data.warehouse import Warehouse
from greenstats.data.warehouse.reader import REMEMBERED
from greenstats.metrics.filters import Filters
from greenstats.metrics.queries import headline, program
from tests import handbuilt, ops
from tests.conftest import ROOT, run_cli, summary_json

EVENTS = 3_000_000  # enough that a rebuild takes seconds on 2 cores


@pytest.fixture(scope="module")
def big_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = handbuilt.write(tmp_path_factory.mktemp("big") / "input")
    ops.write_events(
        folder / "actions" / "bulk.parquet", EVENTS, 0, "2025-06-01", prefix="k", users=50_000
    )
    db = tmp_path_factory.mktemp("bigwh") / "warehouse"
    run_cli("ingest", str(folder), "--db", str(db), "--reference", str(handbuilt.REFERENCE_MIN),
            check=True)  # fmt: skip
    return db


def test_a_build_killed_midway_leaves_the_published_snapshot_unchanged(big_db: Path) -> None:
    warehouse = Warehouse(big_db)
    before_snapshot = warehouse.current()
    before = summary_json(big_db, "--as-of", "2026-06-30")
    proc = subprocess.Popen(
        [sys.executable, "-m", "greenstats", "build", "--db", str(big_db)],
        cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    building = warehouse.tmp / f"{before_snapshot.number + 1:06d}.duckdb"
    deadline = time.monotonic() + 60
    while not (building.exists() and building.stat().st_size > 1_000_000):
        assert proc.poll() is None, "the build finished before it could be killed"
        assert time.monotonic() < deadline, "the build never started writing"
        time.sleep(0.01)
    os.kill(proc.pid, signal.SIGKILL)
    assert proc.wait() == -signal.SIGKILL
    assert warehouse.current() == before_snapshot
    assert summary_json(big_db, "--as-of", "2026-06-30") == before
    # The next build is not disturbed by what the killed one left behind.
    run_cli("build", "--db", str(big_db), check=True)
    assert warehouse.current().number > before_snapshot.number
    assert summary_json(big_db, "--as-of", "2026-06-30") == before


READER = """
import json, pathlib, sys, time
from greenstats.data.warehouse import Warehouse
seen = set()
stop = pathlib.Path(sys.argv[2])
end = time.monotonic() + 600
while time.monotonic() < end and not stop.exists():
    with Warehouse(sys.argv[1]).open_snapshot() as r:
        seen.add(r.rows(
            "SELECT sum(count_actions)::BIGINT, sum(energy_g)::BIGINT FROM mart_actions_daily")[0])
print(json.dumps(sorted(seen)))
"""


def test_readers_see_the_old_snapshot_or_the_new_one_never_a_mix(
    big_db: Path, tmp_path: Path
) -> None:
    with Warehouse(big_db).open_snapshot() as r:
        old = tuple(r.rows("SELECT sum(count_actions), sum(energy_g) FROM mart_actions_daily")[0])
    extra = tmp_path / "extra"
    ops.write_events(
        extra / "actions" / "more.parquet", 500_000, EVENTS, "2025-06-02", prefix="k", users=50_000
    )
    reader = subprocess.Popen(
        [sys.executable, "-c", READER, str(big_db), str(tmp_path / "stop")],
        cwd=ROOT, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    time.sleep(1)
    run_cli("ingest", str(extra), "--db", str(big_db), check=True)
    with Warehouse(big_db).open_snapshot() as r:
        new = tuple(r.rows("SELECT sum(count_actions), sum(energy_g) FROM mart_actions_daily")[0])
    time.sleep(1)
    (tmp_path / "stop").touch()
    seen = {tuple(pair) for pair in json.loads(reader.communicate(timeout=120)[0])}
    assert new[0] == old[0] + 500_000
    assert seen <= {old, new}
    assert old in seen
    assert new in seen


def test_a_reader_keeps_its_latest_results_and_no_caller_changes_them(handbuilt_db: Path) -> None:
    """What a reader keeps of its snapshot (the plantings, alerts and summary several pages of
    one filter bar read) is handed out as a copy, and only the latest REMEMBERED are kept."""
    with Warehouse(handbuilt_db).open_snapshot() as r:
        f = Filters()
        first = program.planted(r, f)
        assert len(first) > 0
        units = first["units_planted"].sum()
        first["units_planted"] = -1  # one caller's change of its copy
        assert program.planted(r, f)["units_planted"].sum() == units
        s = headline.page_summary(r, f)
        s["energy_issued_g"] = -1
        assert headline.page_summary(r, f)["energy_issued_g"] >= 0
        for i in range(REMEMBERED):
            r.keep(("n", i), i)
        assert r.recall(("n", 0)) == 0  # read again: now the latest
        r.keep(("n", REMEMBERED), REMEMBERED)
        assert r.recall(("n", 1), "dropped") == "dropped"  # the least recently read
        assert r.recall(("n", 0)) == 0
        assert r.recall(("n", REMEMBERED)) == REMEMBERED
