"""Ingest per docs/CONTRACT.md (Inputs, Bad rows): rejects with file, line, column and reason;
idempotency; refusals."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import duckdb
import pytest

from greenstats.data.contract import TABLES
from greenstats.data.pipeline import IngestResult
from greenstats.data.warehouse import Warehouse
from tests import handbuilt
from tests.conftest import run_cli, summary_json

# (table, file, line, column, reason) for a row of each kind of fault in tests/handbuilt.py.
EXPECTED_REJECTS = [
    ("projects", "projects.csv", 6, "kind", "unknown code (not one of the contract's project kinds)"),
    ("projects", "projects.csv", 7, "name", "missing required value"),
    ("projects", "projects.csv", 8, "lat", "must be ≤ 90"),
    ("projects", "projects.csv", 9, "project_id", "duplicate project_id within the file (first at line 2)"),
    ("protected_areas", "protected_areas.csv", 4, "area_ha", "must be > 0"),
    ("protected_areas", "protected_areas.csv", 6, "project_id", "no such project_id in projects"),
    ("area_species", "area_species.csv", 8, "iucn_category", "unknown code (not one of the contract's iucn categories)"),
    ("area_species", "area_species.csv", 9, "area_id", "no such area_id in protected_areas"),
    ("actions", "actions.csv", 9, "action", "unknown code (not in the methodology's actions.csv)"),
    ("actions", "actions.csv", 10, "region", "unknown code (not one of the contract's regions)"),
    ("actions", "actions.csv", 11, "energy_g", "must be ≥ 0"),
    ("actions", "actions.csv", 12, "occurred_at", "is not an ISO 8601 timestamp"),
    ("actions", "actions.csv", 13, "user_id", "missing required value"),
    ("actions", "actions.csv", 14, "event_id", "duplicate event_id within the file (first at line 2)"),
    ("actions", "actions.csv", 15, "energy_g", "is not a whole number"),
    ("actions", "actions.csv", 16, None, "row has more fields than the header"),
    ("actions", "actions/2025-04.parquet", 3, "action", "unknown code (not in the methodology's actions.csv)"),
    ("redemptions", "redemptions.csv", 6, "units", "must be > 0"),
    ("redemptions", "redemptions.csv", 7, "project_id", "no such project_id in projects"),
    ("redemptions", "redemptions.csv", 8, "species", "unknown code (not in the methodology's species.csv)"),
    ("redemptions", "redemptions.csv", 9, "energy_g", "must be > 0"),
    ("plantings", "plantings.csv", 7, "units_planted", "must be > 0"),
    ("plantings", "plantings.csv", 9, "planted_on", "is not a YYYY-MM-DD date"),
    ("plantings", "plantings.csv", 10, "area_ha", "must be ≥ 0"),
    ("surveys", "surveys.csv", 7, "units_alive", "units_alive exceeds units_sampled"),
    ("surveys", "surveys.csv", 8, "units_sampled", "must be > 0"),
]  # fmt: skip


@pytest.fixture(scope="module")
def rejects(handbuilt_db: Path) -> list[dict]:
    proc = run_cli("rejects", "--db", str(handbuilt_db), "--json", "--limit", "0", check=True)
    return json.loads(proc.stdout)["rejects"]


@pytest.mark.parametrize(("table", "file", "line", "column", "reason"), EXPECTED_REJECTS)
def test_each_bad_row_is_rejected_with_file_line_column_and_reason(
    rejects: list[dict], table: str, file: str, line: int, column: str | None, reason: str
) -> None:
    hits = [r for r in rejects if r["file"] == file and r["line"] == line]
    assert len(hits) == 1, f"{file} line {line}: {hits}"
    assert (hits[0]["table_name"], hits[0]["column_name"], hits[0]["reason"]) == (
        table, column, reason,
    )  # fmt: skip


def test_reject_counts_per_table(rejects: list[dict]) -> None:
    counts = {t.name: 0 for t in TABLES}
    for r in rejects:
        counts[r["table_name"]] += 1
    assert counts == handbuilt.REJECTS_PER_TABLE


def test_a_good_row_after_a_malformed_one_keeps_its_line(handbuilt_db: Path) -> None:
    """a15 is on line 17, after the one-field-too-many line 16: the walking event counts."""
    got = summary_json(handbuilt_db, "--from", "2025-03-01", "--to", "2025-03-01")
    assert (got["actions"], got["energy_issued_g"]) == (1, 100)


def test_ingest_reports_accepted_and_rejected_per_file(
    handbuilt_ingest: tuple[Path, IngestResult],
) -> None:
    by_file = {r.name: r for r in handbuilt_ingest[1].reports}
    assert (by_file["actions.csv"].accepted, by_file["actions.csv"].rejected) == (8, 8)
    assert (by_file["actions/2025-04.parquet"].accepted,
            by_file["actions/2025-04.parquet"].rejected) == (2, 1)  # fmt: skip
    assert (by_file["surveys.csv"].accepted, by_file["surveys.csv"].rejected) == (5, 3)
    assert all(r.already_loaded == 0 and r.refused is None for r in by_file.values())


def test_loading_the_same_folder_twice_adds_nothing(handbuilt_folder: Path, tmp_path: Path) -> None:
    db = tmp_path / "wh"
    ref = str(handbuilt.REFERENCE_MIN)
    first = run_cli("ingest", str(handbuilt_folder), "--db", str(db), "--reference", ref)
    assert first.returncode == 0, first.stderr
    before = summary_json(db, "--as-of", "2026-06-30")
    second = run_cli("ingest", str(handbuilt_folder), "--db", str(db))
    assert second.returncode == 0, second.stderr
    # The table the command prints has one row per file: the second load's counts, final.
    rows = [line for line in second.stdout.splitlines() if line.startswith("│ actions.csv ")]
    assert [[cell.strip() for cell in line.split("│")[3:6]] for line in rows] == [["0", "8", "8"]]
    assert summary_json(db, "--as-of", "2026-06-30") == before
    with Warehouse(db).open_snapshot() as r:
        loads = r.df(
            "SELECT file, accepted, already_loaded, rejected FROM loads WHERE load_number = 2"
        ).set_index("file")
        per_load = dict(r.rows("SELECT load_number, count(*) FROM rejects GROUP BY ALL"))
    assert loads.loc["actions.csv"].tolist() == [0, 8, 8]
    assert loads.loc["projects.csv"].tolist() == [0, 4, 4]
    # Each load keeps the rejects it saw, under its number: none is dropped as a repeat.
    assert per_load == {n: sum(handbuilt.REJECTS_PER_TABLE.values()) for n in (1, 2)}


def test_a_file_sent_again_under_another_name_adds_nothing(
    handbuilt_folder: Path, tmp_path: Path
) -> None:
    db = tmp_path / "wh"
    ref = str(handbuilt.REFERENCE_MIN)
    run_cli("ingest", str(handbuilt_folder), "--db", str(db), "--reference", ref, check=True)
    again = tmp_path / "again"
    (again / "actions").mkdir(parents=True)
    shutil.copy(handbuilt_folder / "actions.csv", again / "actions" / "resent.csv")
    run_cli("ingest", str(again), "--db", str(db), check=True)
    assert summary_json(db, "--as-of", "2026-06-30")["actions"] == 10


def _folder_with(tmp_path: Path, files: dict[str, bytes]) -> Path:
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "projects.csv").write_text(handbuilt.PROJECTS)
    for name, data in files.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_bytes(data)
    return folder


REFUSALS = {
    "missing column": (
        "surveys.csv",
        b"survey_id,project_id,species,surveyed_on,units_sampled\nS1,P1,saxaul,2025-01-01,10\n",
        "lacks required column 'units_alive'",
    ),
    "not parquet": ("plantings.parquet", b"this is not a parquet file", "cannot be read"),
    "not UTF-8": (
        "plantings.csv",
        "planting_id,project_id,species,planted_on,units_planted,área_ha\n".encode("latin-1"),
        "is not UTF-8",
    ),
    "empty": ("redemptions.csv", b"", "is empty or has no header row"),
}


@pytest.mark.parametrize(("name", "data", "message"), REFUSALS.values(), ids=REFUSALS.keys())
def test_an_unreadable_file_is_refused_whole_with_its_name_and_exit_1(
    tmp_path: Path, name: str, data: bytes, message: str
) -> None:
    folder = _folder_with(tmp_path, {name: data})
    db = tmp_path / "wh"
    proc = run_cli(
        "ingest", str(folder), "--db", str(db), "--reference", str(handbuilt.REFERENCE_MIN)
    )
    assert proc.returncode == 1
    assert str(folder / name) in proc.stderr.replace("\n", "")
    assert message in proc.stderr.replace("\n", "")
    # The good file beside it is loaded all the same.
    assert summary_json(db)["projects"] == 4


def test_extra_columns_are_ignored_with_a_warning(tmp_path: Path) -> None:
    lines = handbuilt.PROTECTED_AREAS.splitlines()
    text = "\n".join([lines[0] + ",ranger_count"] + [line + ",3" for line in lines[1:]]) + "\n"
    folder = _folder_with(tmp_path, {"protected_areas.csv": text.encode()})
    proc = run_cli(
        "ingest",
        str(folder),
        "--db",
        str(tmp_path / "wh"),
        "--reference",
        str(handbuilt.REFERENCE_MIN),
    )
    assert proc.returncode == 0
    assert "extra column(s) ignored: ranger_count" in proc.stdout.replace("\n", "")


@pytest.mark.parametrize(
    "args",
    [("ingest",), ("summary", "--from", "2025-02-30"), ("summary", "--region", "CN-XX"), ("nope",)],
    ids=["no folder", "bad date", "bad region", "no such command"],
)
def test_wrong_usage_exits_2(args: tuple[str, ...]) -> None:
    assert run_cli(*args).returncode == 2


def test_a_reference_folder_of_only_required_columns_falls_back_to_codes(
    handbuilt_db: Path,
) -> None:
    with Warehouse(handbuilt_db).open_snapshot() as r:
        names = dict(r.rows("SELECT action, name_en FROM ref_actions"))
        version = r.info()["methodology_version"]
    assert names == {"walking": "walking", "metro_ride": "metro_ride", "e_invoice": "e_invoice"}
    assert version == "test.1"


def test_summary_on_a_missing_warehouse_says_what_to_run(tmp_path: Path) -> None:
    proc = run_cli("summary", "--db", str(tmp_path / "none"), "--json")
    assert proc.returncode == 1
    assert f"run `python -m greenstats ingest DIR --db {tmp_path / 'none'}` first" in proc.stderr


def _actions_parquet(path: Path, rows: list[tuple]) -> None:
    """An actions Parquet file with typed columns, as a partner's export would have."""
    path.parent.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect()
    try:
        con.execute(
            """CREATE TABLE t (event_id VARCHAR, user_id VARCHAR, occurred_at TIMESTAMPTZ,
               action VARCHAR, region VARCHAR, energy_g BIGINT, brand_id VARCHAR)"""
        )
        con.executemany("INSERT INTO t VALUES (?, ?, ?, ?, ?, ?, ?)", rows)
        con.execute(f"COPY t TO '{path}' (FORMAT parquet)")
    finally:
        con.close()


def test_a_streamed_parquet_file_keeps_the_first_good_row_of_a_key_over_two_months(
    tmp_path: Path,
) -> None:
    folder = _folder_with(tmp_path, {})
    _actions_parquet(
        folder / "actions" / "export.parquet",
        [
            ("b1", "u1", "2025-01-31 16:30:00+00", "walking", "CN-GD", 100, None),  # 1 Feb CST
            ("b2", "u2", "2025-01-31 12:00:00+00", "walking", "CN-GD", -1, None),  # bad energy
            ("b2", "u2", "2025-01-31 12:00:00+00", "walking", "CN-GD", 10, None),  # good: kept
            ("b3", "u3", "2025-01-10 12:00:00+00", "walking", "CN-BJ", 20, None),
            ("b3", "u3", "2025-01-11 12:00:00+00", "walking", "CN-BJ", 30, None),  # repeat
            ("b3", "u3", "2025-01-12 12:00:00+00", "walking", "CN-BJ", 40, None),  # repeat
        ],
    )
    _actions_parquet(
        folder / "actions" / "all-bad.parquet",
        [("c1", "u1", "2025-03-01 12:00:00+00", "teleport", "CN-GD", 5, None)],
    )
    db = tmp_path / "wh"
    ref = str(handbuilt.REFERENCE_MIN)
    run_cli("ingest", str(folder), "--db", str(db), "--reference", ref, check=True)
    with Warehouse(db).open_snapshot() as r:
        loads = r.df(
            "SELECT file, rows_read, accepted, rejected FROM loads WHERE table_name = 'actions'"
        ).set_index("file")
        reasons = r.rows(
            "SELECT file, line, reason FROM rejects WHERE table_name = 'actions' ORDER BY file, line"
        )
        months = r.rows(
            "SELECT month, sum(rows) FROM lake_files WHERE table_name = 'actions' "
            "GROUP BY month ORDER BY month"
        )
        energy = r.scalar("SELECT sum(energy_g) FROM mart_actions_daily")
    assert loads.loc["actions/export.parquet"].tolist() == [6, 3, 3]
    assert loads.loc["actions/all-bad.parquet"].tolist() == [1, 0, 1]
    assert reasons == [
        ("actions/all-bad.parquet", 1, "unknown code (not in the methodology's actions.csv)"),
        ("actions/export.parquet", 2, "must be ≥ 0"),
        ("actions/export.parquet", 5, "duplicate event_id within the file (first at line 4)"),
        ("actions/export.parquet", 6, "duplicate event_id within the file (first at line 4)"),
    ]
    # b1 falls on 1 February in China time, the rest in January; nothing of the bad file.
    assert months == [("2025-01", 2), ("2025-02", 1)]
    assert energy == 100 + 10 + 20


def test_every_date_and_timestamp_column_has_both_bounds() -> None:
    """Ingest lets ±infinity through a typed Parquet date or timestamp: the column's bounds
    are what reject it, so every such column must have both."""
    for table in TABLES:
        for col in table.columns:
            if col.type in ("date", "timestamp"):
                assert col.earliest is not None, (table.name, col.name)
                assert col.latest is not None, (table.name, col.name)


def test_a_blank_optional_reference_loads_when_the_referenced_table_is_empty(
    tmp_path: Path,
) -> None:
    """A blank optional reference (a protected area with no project) is no reference at all,
    also in a warehouse with no projects: `NULL NOT IN (empty)` is true in SQL, and once
    rejected such rows as "no such project_id"."""
    optional_refs = [
        (t.name, c.name) for t in TABLES for c in t.columns if c.references and not c.required
    ]
    assert ("protected_areas", "project_id") in optional_refs
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "protected_areas.csv").write_text(
        "area_id,name,partner,region,area_ha,established_on,lat,lon,project_id\n"
        "A2,Qilian grassland,Highland Watch,CN-GS,500.5,2020-07-01,38.2,99.8,\n"
    )
    db = tmp_path / "wh"
    proc = run_cli(
        "ingest", str(folder), "--db", str(db), "--reference", str(handbuilt.REFERENCE_MIN)
    )
    assert proc.returncode == 0, proc.stderr
    assert summary_json(db)["protected_areas"] == 1
    rejects = run_cli("rejects", "--db", str(db), "--json", check=True)
    assert json.loads(rejects.stdout)["total"] == 0
