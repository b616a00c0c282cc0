"""The benchmark keeps working: bench/run.py end to end at a tiny size (its figures are not
checked against targets here; BENCHMARKS.md holds those, measured at 100M events)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from greenstats.screens import SCREENS
from tests.conftest import query_functions, users_tolerance

ROOT = Path(__file__).resolve().parent.parent

TARGETS = [
    "Build time: ingest + build vs the floor",
    "Build time vs one bare GROUP BY",
    "Build speed vs pandas",
    "Build peak memory vs pandas",
    "Build peak memory (memory_limit",
    "Incremental: one day",
    "Reading: worst p95",
    "Concurrency: p95 of all queries",
    "Issue 28: ingest vs the floor",
    "Issue 28: ingest (set for 100M events)",
    "Issue 28: full build (set for 100M events)",
    "Issue 28: the lake on disk",
]


@pytest.fixture(scope="module")
def bench_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, dict]:
    work = tmp_path_factory.mktemp("bench")
    out, figures = work / "BENCHMARKS.md", work / "figures.json"
    out.write_text("# Benchmarks\n\n## Data core\n\nkept as it is\n")
    subprocess.run(
        [sys.executable, "bench/run.py", "--events", "20000", "--workdir", str(work),
         "--combos", "2", "--clients", "3", "--write", str(out), "--json", str(figures)],
        cwd=ROOT, check=True, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    return out.read_text(), json.loads(figures.read_text())


def test_every_target_is_reported_with_its_anchor_and_verdict(bench_run: tuple[str, dict]) -> None:
    text, m = bench_run
    assert "## Data core\n\nkept as it is" in text  # other sections are left alone
    rows = [line for line in text.splitlines() if line.startswith("| ")]
    for target in TARGETS:
        row = next((r for r in rows if r.startswith(f"| {target}")), None)
        assert row, f"no row for {target!r}"
        assert row.endswith(("| **pass** |", "| **miss** |")), row
    build = next(r for r in rows if r.startswith(f"| {TARGETS[0]}"))
    ratio = m["ingest"]["wall"] / m["floor_marts"]["wall"]
    assert f"| {ratio:,.2f}× |" in build


def test_the_incremental_day_adds_exactly_its_events(bench_run: tuple[str, dict]) -> None:
    _, m = bench_run
    assert m["day_events"] == round(20000 * 0.003)
    assert m["day_accepted"] + m["day_rejected"] == m["day_events"]
    assert m["actions_after"] - m["actions_before"] == m["day_accepted"]


def test_every_page_is_loaded_and_its_sql_timed(bench_run: tuple[str, dict]) -> None:
    text, m = bench_run
    # Every page of the app's one list, by its default view, and the views a page offers.
    pages = {name.split(" · ")[0] for name in m["pages"]}
    assert pages == {screen.name for screen in SCREENS}
    assert {"actions · grain"} <= set(m["pages"])
    assert m["loads"] == sum(v["loads"] for v in m["pages"].values())
    for figures in [*m["pages"].values(), *m["reads"].values()]:
        assert 0 < figures["p50"] <= figures["p95_single"] <= figures["max"]
    for figures in m["pages"].values():
        assert 0 < figures["sql_share"] < 1  # the Python of a load is timed too
    # Every SQL statement is named by the query function that ran it.
    assert m["reads"]
    assert set(m["reads"]) <= set(query_functions()), set(m["reads"])
    assert m["calls"] == sum(v["calls"] for v in m["reads"].values())
    assert "### Page loads" in text
    assert "| `overview` |" in text


def test_distinct_users_estimates_are_within_four_standard_errors(
    bench_run: tuple[str, dict],
) -> None:
    _, m = bench_run
    for name, exact, estimate in m["sketch"]:
        assert exact > 0, name
        assert abs(estimate - exact) <= users_tolerance(exact), (name, exact, estimate)
