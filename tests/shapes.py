"""Contract-valid input folders of every shape a partner's export may take, built from a small
demo data set: the demo itself, only the required columns (names fall back to codes, no
coordinates), and sparse shapes (no plantings, no surveys, no protected areas, only actions,
one row per table, one day), plus a warehouse with nothing loaded.

Each shape is derived by rewriting the demo's files with DuckDB, so every row stays valid and
every reference resolves; nothing here is tuned to what a page happens to handle.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import duckdb

from greenstats.data.contract import REFERENCE_REQUIRED, TABLES_BY_NAME
from greenstats.data.demo import generate
from greenstats.data.paths import DEFAULT_REFERENCE
from greenstats.data.pipeline import ingest_folder

DEMO_EVENTS = 20_000


def _read(con: duckdb.DuckDBPyConnection, folder: Path, table: str) -> str | None:
    """A view over one table of the folder (CSV or Parquet parts), or None when absent."""
    csv, parts = folder / f"{table}.csv", folder / table
    if csv.exists():
        con.execute(
            f"CREATE OR REPLACE VIEW {table} AS SELECT * FROM read_csv('{csv}', all_varchar=true)"
        )
    elif parts.is_dir():
        con.execute(
            f"CREATE OR REPLACE VIEW {table} AS SELECT * FROM read_parquet('{parts}/*.parquet')"
        )
    else:
        return None
    return table


def _write(con: duckdb.DuckDBPyConnection, sql: str, out: Path, table: str) -> None:
    con.execute(f"COPY ({sql}) TO '{out / f'{table}.csv'}' (HEADER, DELIMITER ',')")


def derive(demo: Path, out: Path, selects: dict[str, str | None], *, columns: str = "all") -> Path:
    """Write `out` from the demo folder: for each table, the rows of `selects[table]` (SQL
    over views named like the tables; None or missing = leave the table out). With
    columns='required', only the contract's required columns are kept."""
    out.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect()
    for table in TABLES_BY_NAME:
        _read(con, demo, table)
    for table, sql in selects.items():
        if sql is None:
            continue
        if columns == "required":
            cols = ", ".join(TABLES_BY_NAME[table].required)
            _write(con, f"SELECT {cols} FROM ({sql})", out, table)
        else:
            _write(con, sql, out, table)
    con.close()
    return out


ALL = {t: f"SELECT * FROM {t}" for t in TABLES_BY_NAME}
FIRST_PROJECT = "(SELECT min(project_id) FROM plantings)"
FIRST_AREA = "(SELECT min(area_id) FROM area_species)"
LAST_DAY = "(SELECT max(CAST(occurred_at AS DATE)) FROM actions)"

#: Shape name → the rows kept of each table (the demo's own files for 'demo').
SHAPES: dict[str, dict[str, str | None]] = {
    "minimal": ALL,
    "no_plantings": {**ALL, "plantings": None},
    "no_surveys": {**ALL, "surveys": None},
    "no_protected_areas": {**ALL, "protected_areas": None, "area_species": None},
    "only_actions": {"actions": "SELECT * FROM actions"},
    "single_row": {
        "projects": f"SELECT * FROM projects WHERE project_id = {FIRST_PROJECT}",
        "plantings": f"SELECT * FROM plantings WHERE project_id = {FIRST_PROJECT} "
        "ORDER BY planting_id LIMIT 1",
        "surveys": f"SELECT * FROM surveys WHERE project_id = {FIRST_PROJECT} "
        "ORDER BY survey_id LIMIT 1",
        "redemptions": f"SELECT * FROM redemptions WHERE project_id = {FIRST_PROJECT} "
        "ORDER BY redemption_id LIMIT 1",
        "protected_areas": "SELECT * REPLACE (NULL AS project_id) FROM protected_areas "
        f"WHERE area_id = {FIRST_AREA}",
        "area_species": f"SELECT * FROM area_species WHERE area_id = {FIRST_AREA} LIMIT 1",
        "actions": "SELECT * FROM actions ORDER BY event_id LIMIT 1",
    },
    "single_day": {
        **ALL,
        "actions": f"SELECT * FROM actions WHERE CAST(occurred_at AS DATE) = {LAST_DAY}",
        "redemptions": f"SELECT * FROM redemptions WHERE CAST(redeemed_at AS DATE) = {LAST_DAY}",
        "plantings": "SELECT * FROM plantings WHERE planted_on = (SELECT max(planted_on) FROM "
        "plantings)",
    },
}


def minimal_reference(out: Path) -> Path:
    """The shipped methodology with only the contract's required columns (no names, no
    sources): names on the pages then fall back to the codes."""
    out.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect()
    for table, cols in REFERENCE_REQUIRED.items():
        src = DEFAULT_REFERENCE / f"{table}.csv"
        con.execute(
            f"COPY (SELECT {', '.join(cols)} FROM read_csv('{src}')) TO '{out / f'{table}.csv'}' "
            "(HEADER, DELIMITER ',')"
        )
    con.close()
    (out / "methodology.csv").write_text("version\nminimal.1\n", encoding="utf-8")
    return out


def demo_folder(root: Path) -> Path:
    folder = root / "demo"
    if not folder.exists():
        generate(folder, events=DEMO_EVENTS, seed=7, bad_rows=False)
    return folder


def build(shape: str, root: Path, demo: Path | None = None) -> Path:
    """The warehouse of one shape under root (built once), derived from the demo folder
    (by default `demo_folder(root)`)."""
    db = root / f"wh-{shape}"
    if (db / "CURRENT").exists():
        return db
    demo = demo or demo_folder(root)
    if shape == "demo":
        ingest_folder(demo, db)
    elif shape == "empty":
        (root / "nothing").mkdir(exist_ok=True)
        ingest_folder(root / "nothing", db)
    else:
        columns = "required" if shape == "minimal" else "all"
        folder = derive(demo, root / f"in-{shape}", SHAPES[shape], columns=columns)
        reference = minimal_reference(root / "reference-min") if shape == "minimal" else None
        ingest_folder(folder, db, reference)
    return db


SHAPE_NAMES: tuple[str, ...] = ("demo", *SHAPES, "empty")


def cleanup(root: Path) -> None:
    shutil.rmtree(root, ignore_errors=True)


Builder = Callable[[str], Path]
