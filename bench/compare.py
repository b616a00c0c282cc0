"""Two warehouses' published snapshots, table for table and row for row, and their lakes.

    python bench/compare.py BEFORE AFTER

For a change that must not change what is loaded (issue 28: the same input ingested by the code
before and after). A user id stored as 16 hex characters on one side and as the 64-bit integer
with the same bits on the other (issue 28's new type) is compared as that integer, so the two
must map 1:1. Tables that record the load itself (its time, its files' names) are listed apart.
Exits 1 if any table differs.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import duckdb

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from greenstats.data.contract import TABLES
from greenstats.data.pseudonym import INT_OF_HEX, INT_OF_HEX_MACRO
from greenstats.data.warehouse import Warehouse

#: Tables whose rows name the load (time, duration, paths, index files): compared by count.
OF_THE_LOAD = {"snapshot_info", "loads", "lake_files", "key_index", "load_files"}
#: Columns that name where the load ran, not compared: the methodology file's path.
OF_THE_CHECKOUT = {"ref_methodology": {"source"}}


def _columns(con: duckdb.DuckDBPyConnection, source: str) -> list[tuple[str, str]]:
    return [(r[0], r[1]) for r in con.execute(f"DESCRIBE SELECT * FROM {source}").fetchall()]


def _select(cols: list[tuple[str, str]], other: dict[str, str], source: str, skip: set[str]) -> str:
    """The columns of `source` in a common form: a text user id whose other side is an
    integer, as that integer."""
    out = []
    for name, kind in cols:
        if name in skip:
            continue
        if name == "user_id" and kind == "VARCHAR" and other.get(name) == "BIGINT":
            out.append(f'{INT_OF_HEX}("user_id") AS "user_id"')
        else:
            out.append(f'"{name}"')
    return f"SELECT {', '.join(out)} FROM {source}"


def differ(
    con: duckdb.DuckDBPyConnection, a: str, b: str, skip: set[str] | None = None
) -> tuple[int, int, int]:
    """Rows of a, rows of b, and rows in one and not the other (EXCEPT ALL both ways)."""
    ca, cb = _columns(con, a), _columns(con, b)
    sa, sb = _select(ca, dict(cb), a, skip or set()), _select(cb, dict(ca), b, skip or set())
    na = con.execute(f"SELECT count(*) FROM {a}").fetchall()[0][0]
    nb = con.execute(f"SELECT count(*) FROM {b}").fetchall()[0][0]
    if [c for c, _ in ca] != [c for c, _ in cb]:
        return na, nb, -1
    diff = con.execute(
        f"SELECT (SELECT count(*) FROM ({sa} EXCEPT ALL {sb})) "
        f"+ (SELECT count(*) FROM ({sb} EXCEPT ALL {sa}))"
    ).fetchall()[0][0]
    return na, nb, diff


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("before", type=Path)
    parser.add_argument("after", type=Path)
    a = parser.parse_args()
    snaps = [Warehouse(p).current() for p in (a.before, a.after)]
    # A lake of 100M rows spills: to a temporary folder, not the current one.
    con = duckdb.connect(config={"temp_directory": tempfile.mkdtemp(prefix="compare-")})
    con.execute(INT_OF_HEX_MACRO)
    for alias, snap in zip(("a", "b"), snaps, strict=True):
        con.execute(f"ATTACH '{snap.path}' AS {alias} (READ_ONLY)")
    tables = sorted(
        r[0] for r in con.execute(
            "SELECT table_name FROM duckdb_tables() WHERE database_name = 'a'"
        ).fetchall()
    )  # fmt: skip
    bad = 0
    print("| table | rows before | rows after | rows that differ |\n|---|---|---|---|")
    for t in tables:
        na, nb, diff = differ(con, f'a."{t}"', f'b."{t}"', OF_THE_CHECKOUT.get(t))
        if t in OF_THE_LOAD:
            mark = "(of the load)" if na == nb else "**row counts differ**"
        else:
            mark = "columns differ" if diff < 0 else f"{diff:,}"
            bad += diff != 0
        print(f"| {t} | {na:,} | {nb:,} | {mark} |")
    for table in TABLES:
        paths = [Warehouse(p).open_snapshot().lake_paths(table.name) for p in (a.before, a.after)]
        if not all(paths):
            continue
        na, nb, diff = differ(
            con, *(f"read_parquet({[str(x) for x in p]}, union_by_name = true)" for p in paths)
        )
        bad += diff != 0
        print(f"| lake: {table.name} | {na:,} | {nb:,} | {diff:,} |")
    print("equal" if not bad else f"{bad} table(s) differ")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
