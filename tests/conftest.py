"""Shared fixtures: each warehouse built once per test run, whichever worker asks first.

`python -m pytest` runs on pytest-xdist's workers (pyproject.toml). A session fixture runs once
per worker, so a warehouse that several workers read is built through `build_once`: the first
worker to ask builds it under a file lock in the run's shared temporary folder, the others wait
and read the same files. docs/TESTING.md lists which fixture each test file uses.
"""

from __future__ import annotations

import hashlib
import json
import os
import pickle
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from functools import partial
from pathlib import Path
from typing import TypeVar

import pytest
from filelock import FileLock

from greenstats.data.demo import DemoResult, generate
from greenstats.data.pipeline import IngestResult, ingest_folder
from greenstats.data.warehouse import Reader, Warehouse
from tests import handbuilt, hostile, shapes

ROOT = Path(__file__).resolve().parent.parent
DEMO_EVENTS = 1_000_000
#: The Spark parity tests' demo (seed 42): at 100,000 events its bad rows break the same rules,
#: per table, as the million-event demo's, and every model has rows.
SMALL_DEMO_EVENTS = 100_000
#: How pyspark starts the tests' Spark JVMs (conftest.spark).
SPARK_TEST_SUBMIT_ARGS = (
    '--driver-java-options "-XX:TieredStopAtLevel=1 -XX:ReservedCodeCacheSize=512m" pyspark-shell'
)

T = TypeVar("T")


def users_tolerance(exact: int) -> float:
    """How far a distinct-users estimate may be from the exact count in a test: four standard
    errors (4 × 0.81 %) plus four users. The user ids are keyed hashes, so each clone's key moves
    the estimate: at many users it strays like a normal error (beyond four standard errors about
    once in 16,000), but at a few hundred users it is whole users, two keys falling in one
    register, and four standard errors of a few hundred are one to three users: that bound
    failed a correct sketch once in 300 runs at 54 users, once in 2,900 at 105 (2026-12-07's
    CI: 105 users estimated 101). With four users more, no failure in 100,000 runs at 54, 105,
    199, 400 or 2,000 users (`python bench/sketch_error.py`; docs/TESTING.md, Flakes). A
    sketch that loses a region or a month is off by far more."""
    from greenstats.metrics import sketch

    return 4 * sketch.STANDARD_ERROR * exact + 4


def people_shown(truth: int, lang: str = "en") -> set[str]:
    """What a page may show for a true count of people (docs/CONTRACT.md, Privacy): 0 as 0,
    1 to k − 1 as "< k", a multiple of k as itself, any other count as one of the two
    multiples of k around it, as the page writes them."""
    from greenstats.data.contract import K_ANONYMITY
    from greenstats.ui import fmt

    if 0 < truth < K_ANONYMITY:
        return {fmt.people(truth, lang)}
    below = truth - truth % K_ANONYMITY
    above = below + K_ANONYMITY if truth % K_ANONYMITY else below
    return {fmt.people(below, lang), fmt.people(above, lang)}


def query_functions() -> dict[str, Callable]:
    """Every function defined in a module of `greenstats.metrics.queries`, by name (the names
    are unique across its modules)."""
    import importlib
    import inspect
    import pkgutil

    from greenstats.metrics import queries

    found: dict[str, Callable] = {}
    for info in pkgutil.iter_modules(queries.__path__):
        module = importlib.import_module(f"{queries.__name__}.{info.name}")
        found |= {name: fn for name, fn in inspect.getmembers(module, inspect.isfunction)
                  if fn.__module__ == module.__name__}  # fmt: skip
    return found


#: Files whose tests are independent of each other and share no costly module fixture: under
#: xdist each of their tests goes to whichever worker is free. Every other file runs whole on
#: one worker, so a module fixture (a corpus loaded, a server started) is made once.
SPREAD = {
    "tests/test_sweep.py",
    "tests/test_app.py",
    "tests/test_access.py",
    "tests/test_injection.py",
    "tests/test_spark.py",
    "tests/test_spark_ingest.py",
    "tests/test_screen_ecosystem.py",
    "tests/e2e/test_pages.py",
    "tests/e2e/test_journeys.py",
}
#: Tests that share a module fixture in a file otherwise spread: they stay together.
TOGETHER = {"corpus_loads": "spark-corpus"}
#: The longest units first (measured: docs/TESTING.md), so that no worker starts a long one
#: while the other runs out of work: the rest keep the files' order.
FIRST = (
    "spark-corpus",
    "tests/test_spark.py",
    "tests/test_crash.py",
    "tests/e2e/test_sign_in.py",
    "tests/e2e/test_injection.py",
    "tests/e2e/test_journeys.py",
    "tests/test_sweep.py",
    "tests/test_corpus.py",
)


def _unit(item: pytest.Item) -> str | None:
    """The xdist group an item runs in (None: any worker, on its own)."""
    path = item.nodeid.split("::")[0]
    for fixture, group in TOGETHER.items():
        if fixture in getattr(item, "fixturenames", ()):
            return group
    return None if path in SPREAD else path


@pytest.hookimpl(tryfirst=True)  # before xdist's own, which reads the groups
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Group and order the tests for `--dist loadgroup` (pyproject.toml): see SPREAD, FIRST."""
    for item in items:
        unit = _unit(item)
        if unit:
            item.add_marker(pytest.mark.xdist_group(unit))

    def rank(item: pytest.Item) -> int:
        keys = (_unit(item), item.nodeid.split("::")[0])
        return min((FIRST.index(k) for k in keys if k in FIRST), default=len(FIRST))

    items.sort(key=rank)  # stable: the files' own order within a rank


def run_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The temporary folder of this whole run: under xdist each worker's own is
    `<run>/popen-gwN`, and `<run>` is shared by them all."""
    base = tmp_path_factory.getbasetemp()
    return base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base


def build_once(
    tmp_path_factory: pytest.TempPathFactory, name: str, key: object, build: Callable[[Path], T]
) -> T:
    """`build(folder)` once per run, in a new folder named by `name` and a hash of `key` (what
    the build depends on), whichever worker asks first; the others wait on a file lock and
    get what it returned (pickled beside it). Tests read what it built and copy it before
    they change anything. A build that failed is tried again by the next to ask, and fails
    there with its own traceback."""
    digest = hashlib.sha256(repr((name, key)).encode()).hexdigest()[:12]
    folder = run_folder(tmp_path_factory) / "built" / f"{name}-{digest}"
    folder.parent.mkdir(parents=True, exist_ok=True)
    done = folder.with_suffix(".pickle")
    with FileLock(folder.with_suffix(".lock")):
        if done.exists():
            return pickle.loads(done.read_bytes())
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir()
        result = build(folder)
        done.write_bytes(pickle.dumps(result))
        return result


@pytest.fixture(scope="session")
def handbuilt_built(
    tmp_path_factory: pytest.TempPathFactory,
) -> tuple[Path, Path, IngestResult]:
    """The hand-built folder, and the warehouse it was loaded into once with the minimal
    reference, with what ingest reported."""

    def build(root: Path) -> tuple[Path, Path, IngestResult]:
        folder, db = handbuilt.write(root / "input"), root / "warehouse"
        return folder, db, ingest_folder(folder, db, handbuilt.REFERENCE_MIN)

    return build_once(tmp_path_factory, "handbuilt", handbuilt.REFERENCE_MIN, build)


@pytest.fixture(scope="session")
def handbuilt_folder(handbuilt_built: tuple[Path, Path, IngestResult]) -> Path:
    return handbuilt_built[0]


@pytest.fixture(scope="session")
def handbuilt_ingest(
    handbuilt_built: tuple[Path, Path, IngestResult],
) -> tuple[Path, IngestResult]:
    """The hand-built folder loaded once into a fresh warehouse, with the minimal reference."""
    return handbuilt_built[1], handbuilt_built[2]


@pytest.fixture(scope="session")
def hostile_warehouse(tmp_path_factory: pytest.TempPathFactory) -> hostile.Built:
    """The hand-built data with every free text (and every action's and species' name) hostile:
    markdown, HTML, SQL, a spreadsheet formula, a 1,000-character string (tests/hostile.py)."""
    return build_once(tmp_path_factory, "hostile", (), hostile.build)


@pytest.fixture(scope="session")
def shape_demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The small demo folder every shape of tests/shapes.py is derived from."""
    return build_once(tmp_path_factory, "shapes-demo", shapes.DEMO_EVENTS, shapes.demo_folder)


@pytest.fixture(scope="session")
def shape_db(tmp_path_factory: pytest.TempPathFactory, shape_demo: Path) -> Callable[[str], Path]:
    """The warehouse of a shape (tests/shapes.py), each built once per run."""

    def get(shape: str) -> Path:
        build = partial(shapes.build, shape, demo=shape_demo)
        return build_once(tmp_path_factory, f"shape-{shape}", shape_demo, build)

    return get


@pytest.fixture(scope="session")
def handbuilt_db(handbuilt_ingest: tuple[Path, IngestResult]) -> Path:
    return handbuilt_ingest[0]


def run_cli(*args: str, check: bool = False) -> subprocess.CompletedProcess[str]:
    """Run `python -m greenstats ...` as a user would, from the project root."""
    proc = subprocess.run(
        [sys.executable, "-m", "greenstats", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    if check and proc.returncode != 0:
        raise AssertionError(f"greenstats {' '.join(args)} failed:\n{proc.stdout}\n{proc.stderr}")
    return proc


def run_cli_here(*args: str) -> subprocess.CompletedProcess[str]:
    """`python -m greenstats ...` in this process, returned as `run_cli` returns it: the Spark
    tests run the command line this way, so that its Spark jobs run on the worker's Spark
    session (`spark`, its JVM started and warm) instead of starting a JVM of their own for
    each command. The command line's code is the same; its start in a process of its own is
    `test_spark_submit_runs_the_same_command_with_its_own_settings`'s (tests/test_spark.py).
    An error the command line does not explain is raised here, with its traceback."""
    from typer.testing import CliRunner

    from greenstats.cli import app

    result = CliRunner().invoke(app, list(args))
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return subprocess.CompletedProcess(
        ["greenstats", *args], result.exit_code, result.stdout, result.stderr
    )


def summary_json(db: Path, *args: str) -> dict:
    """`greenstats summary --db DB ARGS --json`, parsed."""
    return json.loads(run_cli("summary", "--db", str(db), *args, "--json", check=True).stdout)


def demo_warehouse(
    tmp_path_factory: pytest.TempPathFactory, events: int, seed: int = 42
) -> tuple[Path, DemoResult]:
    """`greenstats demo` then `greenstats ingest` of that many events, once per run; with the
    generator's own account of what it wrote."""

    def build(root: Path) -> tuple[Path, DemoResult]:
        folder, db = root / "input", root / "warehouse"
        proc = run_cli("demo", str(folder), "--events", str(events), "--seed", str(seed))
        assert proc.returncode == 0, proc.stderr
        ingest = run_cli("ingest", str(folder), "--db", str(db))
        assert ingest.returncode == 0, ingest.stderr
        # The CLI printed its counts; the same generator call tells what it wrote.
        result = generate(root / "again", events=events, seed=seed)
        return db, result

    return build_once(tmp_path_factory, "demo", (events, seed), build)


@pytest.fixture(scope="session")
def demo_1m(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, DemoResult]:
    """The million-event demo (the HyperLogLog tests need its users; a multi-pass build)."""
    return demo_warehouse(tmp_path_factory, DEMO_EVENTS)


@pytest.fixture(scope="session")
def demo_small(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, DemoResult]:
    """A demo of SMALL_DEMO_EVENTS: the smallest whose bad rows break every rule the
    million-event demo's break, and which fills every model (docs/TESTING.md)."""
    return demo_warehouse(tmp_path_factory, SMALL_DEMO_EVENTS)


@pytest.fixture(scope="module")
def demo_small_reader(demo_small: tuple[Path, DemoResult]) -> Iterator[Reader]:
    """A reader of the small demo's published snapshot: the smallest demo with plantings of
    every kind (the sweep's 20,000-event one has no coastal planting)."""
    warehouse = Warehouse(demo_small[0])
    with warehouse.open_snapshot(warehouse.require_current()) as r:
        yield r


@pytest.fixture(scope="session")
def spark():
    """One Spark session per worker, `local[2]` (CI has 2 cores) with 2 shuffle partitions
    (the tests' data are small: Spark's time goes to planning each job, not to its rows, and
    the results do not depend on the partitions; the benchmarks run the default 8), for the
    whole run, stopped at its end; the command line's Spark runs in the tests get the same.

    Their JVMs compile with C1 only (TieredStopAtLevel=1): a test's Spark job is short, and
    C2's compiling of Spark's code for a run that ends in a minute took 40 % of its CPU time
    (a Spark ingest of the hand-built folder on one core: 87 s, 51 s with C1 only), with room
    for the code it compiles (C1 alone reserves 48 MB, which a session of these tests fills:
    the JVM then stops compiling, and runs on slower than with C2). Results do not depend on
    the compiler; the benchmarks run Spark's defaults."""
    from greenstats.data.spark.session import ENV_MASTER, ENV_SHUFFLE, get_session

    with pytest.MonkeyPatch.context() as mp:
        mp.setenv(ENV_MASTER, "local[2]")
        mp.setenv(ENV_SHUFFLE, "2")
        mp.setenv("PYSPARK_SUBMIT_ARGS", SPARK_TEST_SUBMIT_ARGS)
        session = get_session("greenstats-tests")
        yield session
        session.stop()


@pytest.fixture(scope="session")
def handbuilt_spark_db(
    handbuilt_ingest: tuple[Path, IngestResult],
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
) -> Path:
    """The hand-built warehouse copied and rebuilt on Spark from the same lake (by the worker
    that asks first: another reads it without a Spark session of its own)."""

    def build(root: Path) -> Path:
        from greenstats.data.spark.run import rebuild_on_spark

        request.getfixturevalue("spark")
        db = root / "warehouse"
        shutil.copytree(handbuilt_ingest[0], db)
        rebuild_on_spark(db)
        return db

    return build_once(tmp_path_factory, "handbuilt-spark", handbuilt_ingest[0], build)
