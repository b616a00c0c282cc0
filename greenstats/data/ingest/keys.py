"""Keys loaded once (docs/CONTRACT.md, Loading again): a key repeated within a file is a
reject, and a key loaded before counts as already loaded, not again.

Within a load, each file's rows are checked against the lake files of the months the file
covers as they are written (`dedupe_and_write`); a key loaded before in another month, or by an
earlier file of this load, is found at the end of the load by the key index
(`greenstats.data.keyindex`) and its row dropped from the new lake file (`finish`).
"""

from __future__ import annotations

from collections import Counter

import duckdb
import numpy as np

from greenstats.data import keyindex
from greenstats.data.contract import LOCAL_TZ, TABLES, Table
from greenstats.data.ingest import rules
from greenstats.data.ingest.check import Checked
from greenstats.data.ingest.files import FileReport, q
from greenstats.data.ingest.lake import Lake
from greenstats.data.keyindex import IndexFile, KeyIndex
from greenstats.data.warehouse.connection import sql_literal


def dedupe_and_write(
    con: duckdb.DuckDBPyConnection,
    lake: Lake,
    table: Table,
    names: list[str],
    checked: Checked,
    reports: list[FileReport],
) -> tuple[Counter, Counter, Counter]:
    """Reject repeats of a key within a file, skip keys already loaded, write the rest.

    `checked.valid` is the SQL of the rows that break no rule, of the files `names` (by
    number), their user ids already pseudonyms (check.check_rows).
    Repeats are found with one hash aggregate that keeps only keys seen more than once in
    a file (with the lines they are on); the rows are filtered against that usually empty
    table as they are written. Keys already loaded are skipped here when they were loaded
    in the months the files cover; one loaded in another month is found by the key index
    at the end of the load (finish). Of several small files (a batch), a key of an earlier
    file counts as already loaded in a later one. Returns (accepted, already loaded,
    repeats rejected), by file number.
    """
    valid, valid_rows, months = checked.valid, checked.good, checked.months
    if not sum(valid_rows.values()):
        return Counter(), Counter(), Counter()
    key = " || chr(31) || ".join(q(f"{k}__v") for k in table.key)
    # The keys seen more than once first (a count per key), then, only if there are any, the
    # lines of those keys: listing every key's lines cost twice the time (BENCHMARKS.md).
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE f_repeat_keys AS
        SELECT _file, {key} AS _key FROM {valid} GROUP BY ALL HAVING count(*) > 1"""
    )
    found = con.execute("SELECT count(*) FROM f_repeat_keys").fetchall()[0][0]
    key_label = " + ".join(table.key)
    repeated: Counter = Counter()
    if found:
        con.execute(
            f"""CREATE OR REPLACE TEMP TABLE f_repeats AS
            SELECT _file, {key} AS _key, min(_line) AS _first, list(_line) AS _lines
            FROM {valid} WHERE (_file, {key}) IN (SELECT (_file, _key) FROM f_repeat_keys)
            GROUP BY ALL"""
        )
        con.execute(
            f"""INSERT INTO new_rejects
            SELECT ?, (?::VARCHAR[])[_file + 1], line, ?,
                   'duplicate ' || ? || ' within the file (first at line ' || _first || ')',
                   {rules.shortened("_key")}, 'duplicate_key',
                   json_object('first_line', CAST(_first AS VARCHAR), 'id', ?)::VARCHAR
            FROM (SELECT _file, _key, _first, unnest(_lines) AS line FROM f_repeats)
            WHERE line > _first""",
            [table.name, names, table.key[0], key_label, key_label],
        )
        repeated.update(dict(con.execute(
            "SELECT _file, sum(len(_lines) - 1) FROM f_repeats GROUP BY _file"
        ).fetchall()))  # fmt: skip
    values = ", ".join(f"{q(c.name + '__v')} AS {q(c.name)}" for c in table.columns)
    derived = ""
    if table.partition_by:
        ts = q(table.partition_by + "__v")
        derived = f", CAST(timezone('{LOCAL_TZ}', {ts}) AS DATE) AS day"
    batch = len(names) > 1
    kept = ", c._file, c._line" if batch else ""
    firsts = f"SELECT {values}{derived}{kept} FROM {valid} AS c"
    if repeated:
        # An anti-join, not NOT EXISTS: the latter cost a quarter of the write (BENCHMARKS.md).
        firsts += (
            " ANTI JOIN f_repeats AS r "
            f"ON r._file = c._file AND r._key = {key} AND c._line > r._first"
        )
    if table.partition_by:
        # A file of one month (the usual case) names it, instead of formatting every row's day.
        one = months is not None and months[0] == months[1]
        month = sql_literal(months[0]) if one else "strftime(day, '%Y-%m')"
        firsts = f"SELECT *, {month} AS month FROM ({firsts})"
    existing = lake.existing_paths(table, months)
    key_expr = " || chr(31) || ".join(q(k) for k in table.key)
    params: list = []
    if existing:
        firsts = f"""SELECT * FROM ({firsts}) WHERE {key_expr} NOT IN (
              SELECT {key_expr} FROM read_parquet(?::VARCHAR[]))"""
        params = [existing]
    if batch:
        accepted, written = lake.write_batch(table, firsts, params, months, key_expr, reports)
    else:
        written = lake.write(table, firsts, params, months)
        accepted = Counter({0: sum(f.rows for f in written)})
    if written and table.name in ("projects", "protected_areas"):
        con.execute(
            f"INSERT INTO known_keys SELECT ?, {q(table.key[0])} FROM read_parquet(?)",
            [table.name, [str(lake.root / f.path) for f in written]],
        )
    already = Counter({f: n - repeated[f] - accepted[f] for f, n in valid_rows.items()})
    return accepted, already, repeated


def finish(
    con: duckdb.DuckDBPyConnection, lake: Lake, key_index: dict[str, list[IndexFile]]
) -> dict[str, list[IndexFile]]:
    """Drop the rows whose key was loaded before, or by an earlier file of this load, in
    another month (the month-scoped check of dedupe_and_write cannot see them): they count
    as already loaded. Returns the key index of each table partitioned by month, this
    load's keys added, for the snapshot to list."""
    out: dict[str, list[IndexFile]] = {}
    for table in TABLES:
        if not table.partition_by:
            continue
        index = KeyIndex(
            con, lake.root, table, key_index.get(table.name, []),
            lake.before[table.name],
        )  # fmt: skip
        new = lake.new_paths(table)
        if not new and not index.rebuilt:
            out[table.name] = index.files
            continue
        hashes = keyindex.file_hashes(con, table, new)
        repeats = np.unique(hashes[1:][hashes[1:] == hashes[:-1]])
        before = index.hits(hashes)
        candidates = np.union1d(repeats, before)
        if len(candidates) and _drop_repeats(con, lake, table, candidates, before):
            hashes = keyindex.file_hashes(con, table, lake.new_paths(table))
        out[table.name] = index.write(lake.load_number, hashes)
    return out


def _drop_repeats(
    con: duckdb.DuckDBPyConnection,
    lake: Lake,
    table: Table,
    candidates: np.ndarray,
    before: np.ndarray,
) -> bool:
    """Check the candidate hashes against the keys themselves, and rewrite the new lake
    files that hold a key loaded before or by an earlier file of this load. Returns whether
    any file was rewritten."""
    key = keyindex.key_sql(table)
    con.execute(
        "CREATE OR REPLACE TEMP TABLE key_candidates AS SELECT unnest(?::UBIGINT[]) AS h",
        [[int(h) for h in candidates]],
    )
    match = f"hash({key}) IN (SELECT h FROM key_candidates)"
    seen: set[str] = set()
    old = [str(lake.root / f.path) for f in lake.before[table.name]]
    if len(before) and old:
        seen.update(
            r[0]
            for r in con.execute(
                f"SELECT DISTINCT {key} FROM read_parquet(?::VARCHAR[], "
                f"hive_partitioning = false) WHERE {match}",
                [old],
            ).fetchall()
        )
    new = [f for f in lake.new_files if f.table == table.name]
    by_file: dict[str, list[str]] = {}
    for filename, k in con.execute(
        f"SELECT filename, {key} FROM read_parquet(?::VARCHAR[], filename = true, "
        f"hive_partitioning = false) WHERE {match}",
        [[str(lake.root / f.path) for f in new]],
    ).fetchall():
        by_file.setdefault(filename, []).append(k)
    rewritten = False
    for f in new:  # in the order they were written: the first copy of a key is kept
        keys = by_file.get(str(lake.root / f.path), [])
        losers = sorted({k for k in keys if k in seen})
        seen.update(keys)
        if losers:
            lake.rewrite(table, f, losers)
            rewritten = True
    return rewritten
