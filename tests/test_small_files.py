"""Many small files (issue 26, 16): consecutive small CSV files of a table are read, checked
and written together (ingest.Loader.load_small_csvs), with the outcome of loading each alone.

The same folder is loaded twice into copies of one warehouse: once as it is, once with
batching off (SMALL_FILE_BYTES = 0: each file loaded by itself, the path every other test
takes). Every report, every reject and every lake row must be the same; the batch writes one
lake file per month. The time of 10,000 one-row files is a benchmark (bench/small_files.py).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pytest

from greenstats.data.ingest import files as ingest_files
from greenstats.data.pipeline import ingest_folder
from greenstats.data.warehouse import Warehouse
from tests.corpus import BASE, A, act, lines

#: The files of the folder, in load order (actions/ is read in name order). Each is small.
FILES: dict[str, bytes] = {
    # Good rows over three months, one repeated in a later file (already loaded there).
    "actions/a01.csv": lines(A, act("s1", "2025-03-05 10:00"), act("s2", "2025-04-05 10:00")),
    "actions/a02.csv": lines(A, act("s3", "2025-05-05 10:00"), act("s1", "2025-03-05 10:00")),
    # A key repeated within one file (a reject), a bad row, a row with too many fields.
    "actions/a03.csv": lines(A, act("s4"), act("s4"), act("bad", energy="-1"), act("s5") + ",x"),
    # A key loaded by the base warehouse in July 2023, sent dated 2025: found at the end.
    "actions/a04.csv": lines(A, act("july", "2025-03-06 10:00"), act("s6")),
    # Another column order: a run of its own, still batched with the file after it.
    "actions/a05.csv": lines("user_id,event_id,occurred_at,action,region,energy_g",
                             "u9,s7,2025-03-05 10:00,walking,CN-GD,10"),
    "actions/a06.csv": lines("user_id,event_id,occurred_at,action,region,energy_g",
                             "u9,s8,2025-03-05 10:00,walking,CN-GD,10",
                             "u9,s1,2025-03-05 10:00,walking,CN-GD,10"),
    # A file without energy_g, refused by itself, between batched files.
    "actions/a07.csv": lines("event_id,user_id,occurred_at,action,region",
                             "s9,u1,2025-03-05 10:00,walking,CN-GD"),
    # An extra column (a warning) and a GB18030 line.
    "actions/a08.csv": lines(A + ",note", act("s10") + ",hi")
    + "s11,用户,2025-03-05 10:00,walking,CN-GD,10,,\n".encode("gb18030"),
    **{f"actions/b{i:02d}.csv": lines(A, act(f"m{i}", f"2025-{1 + i % 12:02d}-05 10:00"))
       for i in range(24)},
}  # fmt: skip


def _load(base: Path, root: Path, folder: Path, small_bytes: int) -> dict:
    db = root / "wh"
    shutil.copytree(base, db, symlinks=True)
    mp = pytest.MonkeyPatch()
    mp.setattr(ingest_files, "SMALL_FILE_BYTES", small_bytes)
    try:
        result = ingest_folder(folder, db)
    finally:
        mp.undo()
    reports = [(r.name, r.rows_read, r.accepted, r.already_loaded, r.rejected, r.refused,
                tuple(r.warnings)) for r in result.reports]  # fmt: skip
    with Warehouse(db).open_snapshot() as r:
        rejects = r.rows(
            "SELECT file, line, column_name, rule, value, detail FROM rejects "
            "WHERE load_number = 2 ORDER BY ALL"
        )
        lake = r.lake_paths("actions")
        rows = sorted(
            duckdb.execute(
                "SELECT COLUMNS(* EXCLUDE (month))::VARCHAR "
                "FROM read_parquet(?::VARCHAR[], hive_partitioning = true)",
                [lake],
            ).fetchall()
        )
        files = r.rows("SELECT month, count(*) FROM lake_files WHERE load_number = 2 AND "
                       "table_name = 'actions' GROUP BY ALL ORDER BY ALL")  # fmt: skip
    return {"reports": reports, "rejects": rejects, "rows": rows, "files": files}


@pytest.fixture(scope="module")
def loads(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict]:
    root = tmp_path_factory.mktemp("small")
    base_in, folder = root / "base-in", root / "in"
    for files, where in ((BASE, base_in), (FILES, folder)):
        for rel, content in files.items():
            (where / rel).parent.mkdir(parents=True, exist_ok=True)
            (where / rel).write_bytes(content)
    base = root / "base"
    ingest_folder(base_in, base, Path(__file__).parent / "data" / "reference_min")
    return {
        "batched": _load(base, root / "batched", folder, ingest_files.SMALL_FILE_BYTES),
        "alone": _load(base, root / "alone", folder, 0),
    }


def test_small_files_loaded_together_report_what_each_alone_reports(loads) -> None:
    batched, alone = loads["batched"], loads["alone"]
    assert batched["reports"] == alone["reports"]
    by_name = {r[0]: r[1:] for r in batched["reports"]}
    # rows read, accepted, already loaded, rejected, refused
    assert by_name["actions/a01.csv"][:5] == (2, 2, 0, 0, None)
    assert by_name["actions/a02.csv"][:5] == (2, 1, 1, 0, None)  # s1: a01's
    assert by_name["actions/a03.csv"][:5] == (4, 1, 0, 3, None)
    assert by_name["actions/a04.csv"][:5] == (2, 1, 1, 0, None)  # july: the base's
    assert by_name["actions/a06.csv"][:5] == (2, 1, 1, 0, None)
    assert "lacks required column 'energy_g'" in by_name["actions/a07.csv"][4]
    assert by_name["actions/a08.csv"][:5] == (2, 2, 0, 0, None)
    assert any("extra column" in w for w in by_name["actions/a08.csv"][5])
    assert any("GB18030" in w for w in by_name["actions/a08.csv"][5])


def test_small_files_loaded_together_keep_the_same_rejects_and_rows(loads) -> None:
    batched, alone = loads["batched"], loads["alone"]
    assert batched["rejects"] == alone["rejects"]
    assert {(f, line, rule) for f, line, _, rule, _, _ in batched["rejects"]} == {
        ("actions/a03.csv", 3, "duplicate_key"),
        ("actions/a03.csv", 4, "below_min"),
        ("actions/a03.csv", 5, "too_many_fields"),
    }
    assert batched["rows"] == alone["rows"]
    # The base's 4 actions; a01 2, a02 1, a03 1, a04 1, a05 1, a06 1, a08 2, b00-b23 24.
    assert len(batched["rows"]) == 4 + 33


def test_small_files_loaded_together_make_a_lake_file_per_month_and_run(loads) -> None:
    """Alone: a lake file per file and month (32). Together: one per month of each run of
    files with one header (a01-a04: 3 months; a05-a06: 1; a08, alone: 1; b00-b23: 12)."""
    assert sum(n for _, n in loads["alone"]["files"]) == 32
    assert sum(n for _, n in loads["batched"]["files"]) == 3 + 1 + 1 + 12
    assert max(n for _, n in loads["batched"]["files"]) <= 4
