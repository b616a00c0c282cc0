"""Shared fixtures: warehouses built once per session from the hand-built folder."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from greenstats.data.demo import DemoResult, generate
from greenstats.data.pipeline import IngestResult, ingest_folder
from tests import handbuilt, hostile

ROOT = Path(__file__).resolve().parent.parent
DEMO_EVENTS = 1_000_000


@pytest.fixture(scope="session")
def handbuilt_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return handbuilt.write(tmp_path_factory.mktemp("handbuilt") / "input")


@pytest.fixture(scope="session")
def handbuilt_ingest(
    handbuilt_folder: Path, tmp_path_factory: pytest.TempPathFactory
) -> tuple[Path, IngestResult]:
    """The hand-built folder loaded once into a fresh warehouse, with the minimal reference."""
    db = tmp_path_factory.mktemp("wh") / "warehouse"
    result = ingest_folder(handbuilt_folder, db, handbuilt.REFERENCE_MIN)
    return db, result


@pytest.fixture(scope="session")
def hostile_warehouse(tmp_path_factory: pytest.TempPathFactory) -> hostile.Built:
    """The hand-built data with every free text (and every action's and species' name) hostile:
    markdown, HTML, SQL, a spreadsheet formula, a 1,000-character string (tests/hostile.py)."""
    return hostile.build(tmp_path_factory.mktemp("hostile"))


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


def summary_json(db: Path, *args: str) -> dict:
    """`greenstats summary --db DB ARGS --json`, parsed."""
    return json.loads(run_cli("summary", "--db", str(db), *args, "--json", check=True).stdout)


@pytest.fixture(scope="session")
def demo_1m(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, DemoResult]:
    """`greenstats demo` then `greenstats ingest`, once per session."""
    root = tmp_path_factory.mktemp("demo1m")
    folder, db = root / "input", root / "warehouse"
    proc = run_cli("demo", str(folder), "--events", str(DEMO_EVENTS), "--seed", "42")
    assert proc.returncode == 0, proc.stderr
    ingest = run_cli("ingest", str(folder), "--db", str(db))
    assert ingest.returncode == 0, ingest.stderr
    # The CLI printed its counts; the same generator call tells what it wrote.
    result = generate(root / "again", events=DEMO_EVENTS, seed=42)
    return db, result


@pytest.fixture(scope="session")
def spark():
    """One Spark session, `local[2]` (the issue's parity runs; CI has 2 cores), for the whole
    run, stopped at its end; the command line's Spark runs in the tests get `local[2]` too."""
    from greenstats.data.spark.session import ENV_MASTER, get_session

    with pytest.MonkeyPatch.context() as mp:
        mp.setenv(ENV_MASTER, "local[2]")
        session = get_session("greenstats-tests")
        yield session
        session.stop()


@pytest.fixture(scope="session")
def handbuilt_spark_db(
    handbuilt_ingest: tuple[Path, IngestResult], spark, tmp_path_factory: pytest.TempPathFactory
) -> Path:
    """The hand-built warehouse copied and rebuilt on Spark from the same lake."""
    from greenstats.data.spark.run import rebuild_on_spark

    db = tmp_path_factory.mktemp("spark") / "warehouse"
    shutil.copytree(handbuilt_ingest[0], db)
    rebuild_on_spark(db)
    return db
