"""A full build runs in passes of consecutive months (build.PASS_ROWS); however the months are
cut into passes, every table of the snapshot must come out the same."""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pytest

from greenstats.data import build, pipeline
from greenstats.data.demo import DemoResult


def _rebuild(
    source: Path, target: Path, pass_rows: int, monkeypatch: pytest.MonkeyPatch
) -> tuple[Path, int]:
    """Copy a warehouse and rebuild it in passes of `pass_rows`: (snapshot file, passes)."""
    shutil.copytree(source, target)
    steps: list[str] = []
    monkeypatch.setattr(build, "PASS_ROWS", pass_rows)
    snap = pipeline.rebuild(target, on_step=steps.append)
    passes = len([s for s in steps if s.startswith("mart_actions_daily")])
    return snap.path, passes


def test_a_full_build_in_many_passes_equals_one_in_a_single_pass(
    demo_1m: tuple[Path, DemoResult], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    one, one_passes = _rebuild(demo_1m[0], tmp_path / "one", 10**12, monkeypatch)
    many, many_passes = _rebuild(demo_1m[0], tmp_path / "many", 20_000, monkeypatch)
    assert one_passes == 1
    assert many_passes > 20  # about 1,000,000 events ÷ 20,000, whole months each
    con = duckdb.connect()
    con.execute(f"ATTACH '{one}' AS one (READ_ONLY)")
    con.execute(f"ATTACH '{many}' AS many (READ_ONLY)")
    tables = [
        t for (t,) in con.execute(
            "SELECT table_name FROM duckdb_tables() WHERE database_name = 'one' "
            "AND (table_name LIKE 'mart_%' OR table_name LIKE 'stg_%') ORDER BY 1"
        ).fetchall()
    ]  # fmt: skip
    assert "mart_users_weekly_exact" in tables
    assert "mart_new_users_daily" in tables
    for table in tables:
        cols = con.execute(
            "SELECT column_name, data_type FROM duckdb_columns() "
            "WHERE database_name = 'one' AND table_name = ? ORDER BY column_index",
            [table],
        ).fetchall()
        # Sums of DOUBLEs may differ in the last bits with the order DuckDB adds them in.
        select = ", ".join(f"round({c}, 6)" if t == "DOUBLE" else c for c, t in cols)
        rows = con.execute(f"SELECT count(*) FROM one.{table}").fetchone()[0]
        assert rows > 0, table
        for a, b in (("one", "many"), ("many", "one")):
            differ = con.execute(
                f"SELECT count(*) FROM (SELECT {select} FROM {a}.{table} "
                f"EXCEPT ALL SELECT {select} FROM {b}.{table})"
            ).fetchone()[0]
            assert differ == 0, f"{table}: {differ} rows of {a} not in {b}"
    # Each pass stores the day marts by region, then day, and passes go oldest first: so every
    # region's days come in order whichever way the build ran (reads skip rows by this).
    for path in (one, many):
        with duckdb.connect(str(path), read_only=True) as con:
            rows = con.execute("SELECT region, day FROM mart_users_hll_day").df()
        assert rows.groupby("region")["day"].is_monotonic_increasing.all()
        assert rows["region"].nunique() > 5


@pytest.mark.parametrize(
    "stored",
    ["'u' || user_id", "lpad(lower(hex(user_id)), 16, '0')"],
    ids=["raw ids", "pseudonyms as text"],
)
def test_a_lake_of_user_ids_as_text_is_refused_in_one_sentence(
    handbuilt_db: Path, tmp_path: Path, stored: str
) -> None:
    """A lake loaded before user ids were hashed holds raw ids; one loaded before issue 28
    holds each pseudonym as 16 hex characters. Neither is read as the 64-bit key the sketches
    and distinct counts need: a rebuild and a load are refused, each saying what to do."""
    from greenstats.data.warehouse import Warehouse, WarehouseError

    db = tmp_path / "warehouse"
    shutil.copytree(handbuilt_db, db)
    with Warehouse(db).open_snapshot() as r:
        lake_file = r.lake_paths("actions")[0]
    text = tmp_path / "text.parquet"
    duckdb.connect().execute(
        f"COPY (SELECT * REPLACE ({stored} AS user_id) FROM read_parquet(?)) TO '{text}'",
        [lake_file],
    )
    shutil.move(text, lake_file)
    with pytest.raises(WarehouseError, match=r"not 64-bit pseudonyms.*new warehouse"):
        pipeline.rebuild(db)
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "brands.csv").write_text("brand_id,name\nB9,Brand nine\n", encoding="utf-8")
    with pytest.raises(WarehouseError, match=r"stores user ids as text.*Nothing was loaded"):
        pipeline.ingest_folder(folder, db)
