"""The bad-input corpus (tests/corpus.py), case by case: each is loaded on top of a small
warehouse and must end exactly as its case says. For every case:

- no traceback: the load either finishes or stops with one of the two errors the command line
  explains (a warehouse or a reference folder that cannot be used); a sample also runs through
  `python -m greenstats ingest` and `summary --json` as a user would;
- the exit code is the documented one (0 unless a file is refused or the load cannot run);
- nothing is lost: every table gains exactly the case's good rows, counted in the published
  snapshot before and after (the lake, the staging tables and marts, and `summary`'s counts),
  and a case whose load cannot run leaves the published snapshot as it was;
- each rejected row is listed with its file, its physical line and its rule, and nothing else;
- each refused file is named with its reason; warnings say what they must;
- `summary` gives finite numbers only (strict JSON).

The cases are loaded by two worker processes at once (each case in its own copy of the base
warehouse), then checked one test each.
"""

from __future__ import annotations

import contextlib
import json
import math
import re
import shutil
import sys
import traceback
import types
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path

import pytest

from greenstats.data.contract import TABLES
from greenstats.data.methodology import MethodologyError
from greenstats.data.pipeline import ingest_folder
from greenstats.data.warehouse import Warehouse, WarehouseError
from greenstats.metrics.filters import Filters
from greenstats.metrics.queries import headline
from tests import corpus
from tests.conftest import run_cli

CASES = corpus.cases()
CLI_CASES = [c for c in CASES if c.cli]
WORKERS = 2

#: Counts of a snapshot that a table's good rows must move: the lake, and what pages read.
_STAGED = {
    "projects": "SELECT count(*) FROM stg_projects",
    "protected_areas": "SELECT count(*) FROM stg_protected_areas",
    "area_species": "SELECT count(*) FROM stg_area_species",
    "brands": "SELECT count(*) FROM stg_brands",
    "plantings": "SELECT count(*) FROM stg_plantings",
    "surveys": "SELECT count(*) FROM stg_surveys",
    "actions": "SELECT coalesce(sum(count_actions), 0) FROM mart_actions_daily",
    "redemptions": "SELECT coalesce(sum(count_redemptions), 0) FROM mart_redemptions_daily",
}
_SUMMARY = {"actions": "actions", "projects": "projects", "protected_areas": "protected_areas"}


def counts(db: Path) -> dict[str, int]:
    """What the published snapshot holds, per table: lake rows, staged rows, summary counts;
    and whether every figure of `summary` is a finite number."""
    out: Counter = Counter()
    with Warehouse(db).open_snapshot() as r:
        for table, rows in r.rows("SELECT table_name, sum(rows) FROM lake_files GROUP BY ALL"):
            out[f"lake:{table}"] = int(rows)
        for table, sql in _STAGED.items():
            out[f"staged:{table}"] = int(r.scalar(sql))
        summary = headline.summary(r, Filters())
    out["summary-not-finite"] = sum(not math.isfinite(v) for v in summary.values())
    for table, key in _SUMMARY.items():
        out[f"summary:{table}"] = int(summary[key])
    return dict(out)


def expected_counts(before: dict[str, int], good: dict[str, int]) -> dict[str, int]:
    after = Counter(before)
    for table, n in good.items():
        for kind in ("lake", "staged", "summary"):
            if kind != "summary" or table in _SUMMARY:
                after[f"{kind}:{table}"] += n
    return dict(after)


def _ingest(folder: Path, db: Path, ref: Path | None) -> tuple[int, object, str]:
    """Load as `greenstats ingest` does: exit code, result, and the error of a load that
    cannot run. Any other exception escapes (it would be a traceback)."""
    try:
        result = ingest_folder(folder, db, ref)
    except (WarehouseError, MethodologyError) as exc:
        return 1, None, str(exc)
    return (1 if result.any_refused else 0), result, ""


def _setup(name: str, base_db: str, tmp: str) -> tuple[corpus.Case, Path, Path, Path | None]:
    case = next(c for c in corpus.cases() if c.name == name)
    root = Path(tmp)
    db = root / "warehouse"
    shutil.copytree(base_db, db, symlinks=True)
    return case, db, case.write(root / "input"), case.write_reference(root / "reference")


def observe(name: str, base_db: str, tmp: str) -> dict:
    """Load one case (in a worker process) and report what happened."""
    try:
        case, db, folder, ref = _setup(name, base_db, tmp)
        published = Warehouse(db).current()
        code, result, error = _ingest(folder, db, ref)
        if case.twice and result is not None:
            code, result, error = _ingest(folder, db, None)
        seen: dict = {"code": code, "error": error, "counts": counts(db),
                      "published_kept": Warehouse(db).current() == published}  # fmt: skip
        if result is None:
            return seen
        already: Counter = Counter()
        for r in result.reports:
            already[r.table] += r.already_loaded
        with Warehouse(db).open_snapshot() as r:
            seen["rejects"] = r.rows(
                "SELECT file, line, rule FROM rejects WHERE load_number = "
                "(SELECT max(load_number) FROM loads) ORDER BY file, line"
            )
            seen["reject_loads"] = r.scalar("SELECT count(DISTINCT load_number) FROM rejects")
        seen |= {
            "refused": {r.name: r.refused for r in result.reports if r.refused},
            "already": dict(+already),
            "warnings": "\n".join(w for r in result.reports for w in r.warnings),
            "unbalanced": [r.name for r in result.reports
                           if r.rows_read != r.accepted + r.already_loaded + r.rejected],
        }  # fmt: skip
    except Exception:  # a traceback: the test of the case shows it
        return {"crash": traceback.format_exc()}
    return seen


def observe_cli(name: str, base_db: str, tmp: str) -> dict:
    """Load one case through the command line, then read `summary --json`."""
    _case, db, folder, ref = _setup(name, base_db, tmp)
    args = ["ingest", str(folder), "--db", str(db)] + (["--reference", str(ref)] if ref else [])
    proc = run_cli(*args)
    summary = run_cli("summary", "--db", str(db), "--json")
    return {"code": proc.returncode, "output": proc.stdout + proc.stderr,
            "summary_code": summary.returncode, "summary": summary.stdout}  # fmt: skip


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, int]]:
    """The warehouse every case starts from, and what it holds."""
    root = tmp_path_factory.mktemp("corpus-base")
    folder = corpus.Case("base", "", corpus.BASE).write(root / "input")
    db = root / "warehouse"
    result = ingest_folder(folder, db, corpus.REFERENCE_MIN)
    assert not result.any_refused
    assert {r.table: r.accepted for r in result.reports} == corpus.BASE_ROWS
    assert all(r.rejected == 0 for r in result.reports)
    return db, counts(db)


def _selected(request: pytest.FixtureRequest, test: str) -> set[str]:
    """The cases of a test of this module that this run selected (`-k`, node ids)."""
    return {
        item.callspec.params["case"].name
        for item in request.session.items
        if item.module is request.module
        and item.originalname == test
        and "case" in getattr(item, "callspec", None).params
    }


@contextlib.contextmanager
def _no_main_script() -> Iterator[None]:
    """A spawned worker runs the parent's main script again before anything else. After an
    AppTest (tests/test_app.py and others run first in the suite), that script is dashboard.py,
    which Streamlit left as sys.modules['__main__'], and a worker would die running it: hand
    the workers a main module with no script while they start."""
    saved = sys.modules["__main__"]
    sys.modules["__main__"] = types.ModuleType("__main__")
    try:
        yield
    finally:
        sys.modules["__main__"] = saved


@pytest.fixture(scope="module")
def observed(
    base: tuple[Path, dict[str, int]],
    tmp_path_factory: pytest.TempPathFactory,
    request: pytest.FixtureRequest,
) -> dict[str, dict]:
    """Every selected case loaded, in and out of process, by WORKERS processes at once."""
    root = tmp_path_factory.mktemp("corpus")
    runs_of, clis_of = (
        _selected(request, "test_case"),
        _selected(request, "test_case_through_the_command_line"),
    )
    with _no_main_script(), ProcessPoolExecutor(WORKERS, mp_context=get_context("spawn")) as pool:
        runs = {c.name: pool.submit(observe, c.name, str(base[0]), str(root / c.name))
                for c in CASES if c.name in runs_of}  # fmt: skip
        clis = {c.name: pool.submit(observe_cli, c.name, str(base[0]), str(root / f"cli-{c.name}"))
                for c in CLI_CASES if c.name in clis_of}  # fmt: skip
        seen = {name: f.result() for name, f in runs.items()}
        seen |= {f"cli:{name}": f.result() for name, f in clis.items()}
    return seen


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_case(case: corpus.Case, base: tuple[Path, dict], observed: dict[str, dict]) -> None:
    seen = observed[case.name]
    assert "crash" not in seen, seen.get("crash")
    assert seen["code"] == case.exit_code, seen["error"] or seen.get("refused")
    assert seen["counts"]["summary-not-finite"] == 0
    if case.error is not None:
        # The load could not run: nothing was loaded, nothing published.
        assert "rejects" not in seen
        assert case.error in seen["error"], seen["error"]
        assert seen["published_kept"]
        assert seen["counts"] == base[1]
        return
    assert not seen["error"]
    assert seen["counts"] == expected_counts(base[1], case.good)
    assert set(seen["refused"]) == set(case.refused), seen["refused"]
    for name, words in case.refused.items():
        assert words in seen["refused"][name], seen["refused"][name]
    if case.twice:  # the second load finds every row already loaded that the first kept
        assert sum(seen["already"].values()) == sum(case.good.values()) + sum(case.already.values())
    else:
        assert seen["already"] == case.already
    assert seen["rejects"] == sorted(case.rejects)
    if case.twice and case.rejects:
        assert seen["reject_loads"] == 2  # each load keeps its own rejects
    for words in case.warnings:
        assert words in seen["warnings"], seen["warnings"]
    # Each report adds up: every row read is accepted, already loaded or rejected.
    assert seen["unbalanced"] == []


@pytest.mark.parametrize("case", CLI_CASES, ids=[c.name for c in CLI_CASES])
def test_case_through_the_command_line(
    case: corpus.Case, base: tuple[Path, dict], observed: dict[str, dict]
) -> None:
    seen = observed[f"cli:{case.name}"]
    assert seen["code"] == case.exit_code, seen["output"]
    assert "Traceback" not in seen["output"]
    assert seen["summary_code"] == 0

    def no_constant(name: str) -> float:
        raise AssertionError(f"summary --json printed {name}")

    values = json.loads(seen["summary"], parse_constant=no_constant)
    gained = 0 if case.error is not None else case.good.get("actions", 0)
    assert values["actions"] == base[1]["summary:actions"] + gained


def test_the_corpus_covers_every_class_and_at_least_100_kinds() -> None:
    assert len(CASES) >= 100
    assert {c.fault for c in CASES} == set(corpus.FAULTS.values())
    # Every table of the contract is in some case, and every class has a CLI sample.
    touched = {rel.split("/")[0].split(".")[0] for c in CASES for rel in c.files}
    assert {t.name for t in TABLES} <= touched
    assert {c.fault for c in CLI_CASES} == set(corpus.FAULTS.values())


def test_reliability_md_lists_every_case_under_its_class() -> None:
    """RELIABILITY.md's Bad input tables (made by `python tests/corpus.py --reliability`) show
    every case of the corpus, each under its class."""
    text = (Path(__file__).resolve().parent.parent / "RELIABILITY.md").read_text(encoding="utf-8")
    bad_input = text.split("## Bad input", 1)[1].split("\n## ", 1)[0]
    for fault in corpus.FAULTS.values():
        section = bad_input.split(f"### {fault}\n", 1)[1].split("\n### ", 1)[0]
        listed = set(re.findall(r"^\| `([\w-]+)` \|", section, re.MULTILINE))
        assert listed == {c.name for c in CASES if c.fault == fault}, fault
