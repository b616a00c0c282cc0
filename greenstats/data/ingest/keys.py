"""Keys loaded once (docs/CONTRACT.md, Loading again): a key repeated within a file is a
reject, and a key loaded before counts as already loaded, not again.

Before a file of a table partitioned by month is written, the hashes of its keys are looked up
in the key index of the loads before (`greenstats.data.keyindex`). A hash found is only a
candidate: the candidates' keys are looked for in the lake files themselves (those of the
file's months first, then, for any not found there, the rest), and the rows of those found are
left out of the write. A day's load so reads its own rows and the pages of the index its keys
fall in, not the history (BENCHMARKS.md, issue 28). A key sent by two files of one load is
found at its end (`finish`), by one sort of the load's hashes, and the later copy's row dropped
from the lake file it went to: a lookup per file among the load's earlier files cost a billion
searches in a load of a billion events. Other tables are small: a file's keys are checked
against the table's lake files as they are written.
"""

from __future__ import annotations

from collections import Counter

import duckdb
import numpy as np
import pyarrow as pa

from greenstats.data import keyindex
from greenstats.data.contract import LOCAL_TZ, TABLES, Table
from greenstats.data.ingest import rules
from greenstats.data.ingest.check import Checked
from greenstats.data.ingest.files import FileReport, q
from greenstats.data.ingest.lake import Lake
from greenstats.data.keyindex import IndexFile, KeyIndex
from greenstats.data.warehouse.connection import sql_literal


class LoadKeys:
    """The keys of one table partitioned by month: those of the loads before (the key index)
    and those this load has written (the sorted hashes of each file written)."""

    def __init__(
        self, con: duckdb.DuckDBPyConnection, lake: Lake, table: Table, files: list[IndexFile]
    ) -> None:
        self.table = table
        self.index = KeyIndex(con, lake.root, table, files, lake.before[table.name])
        self.written: list[np.ndarray] = []
        #: Whether `written` holds every file's hashes: a table with no key loaded before
        #: skips the lookups, and its load's hashes are read from its files at the end (one
        #: pass over the new files cost less than one per file: 232.9 s against 245.5 s for a
        #: first load of 100M, BENCHMARKS.md, issue 28).
        self.complete = True

    @property
    def history(self) -> bool:
        """Whether any key of the table was loaded before."""
        return any(len(a) for a in self.index.arrays)

    def candidates(self, hashes: np.ndarray) -> np.ndarray:
        """Of some sorted hashes, those loaded before: candidates, to be checked against the
        keys themselves."""
        return self.index.hits(hashes)

    def load_hashes(self) -> np.ndarray:
        """The sorted hashes of every key this load wrote (one sort). Each file's array is
        let go as it is copied in, so a load of a billion keys holds 8 GB of them, not 16."""
        new = np.empty(sum(len(a) for a in self.written), dtype=np.uint64)
        done, files = 0, len(self.written)
        while self.written:
            arr = self.written.pop(0)
            new[done : done + len(arr)] = arr
            done += len(arr)
            del arr
        if files > 1:
            new.sort()
        return new


def _valid_key(table: Table) -> str:
    """The key over the checked rows' typed values, as keyindex.key_sql gives it over the lake
    file they are written to (the same text, so the same hash)."""
    return " || chr(31) || ".join(f"CAST({q(k + '__v')} AS VARCHAR)" for k in table.key)


def _lookup(
    con: duckdb.DuckDBPyConnection,
    lake: Lake,
    table: Table,
    seen: LoadKeys | None,
    valid: str,
    count: int,
    months: tuple[str, str] | None,
) -> tuple[bool, np.ndarray | None]:
    """_already_loaded for a table partitioned by month with keys loaded before; else
    (False, None): nothing to look up."""
    if seen is None:
        return False, None
    if not seen.history:
        seen.complete = False
        return False, None
    return _already_loaded(con, lake, table, seen, valid, count, months)


def _already_loaded(
    con: duckdb.DuckDBPyConnection,
    lake: Lake,
    table: Table,
    seen: LoadKeys,
    valid: str,
    count: int,
    months: tuple[str, str] | None,
) -> tuple[bool, np.ndarray]:
    """Find the keys of the rows `valid` (`count` of them) loaded before: they go to the temp
    table f_already (`_key`). Returns whether there are any, and the sorted distinct hashes of
    the keys that are not."""
    key = _valid_key(table)
    hashes = keyindex.distinct(
        keyindex.query_hashes(con, f"SELECT hash({key}) FROM {valid}", count)
    )
    candidates = seen.candidates(hashes)
    if not len(candidates):
        return False, hashes
    con.register("key_candidates", pa.table({"h": pa.array(candidates, type=pa.uint64())}))
    try:
        con.execute(
            f"""CREATE OR REPLACE TEMP TABLE f_candidates AS
            SELECT DISTINCT {key} AS _key FROM {valid}
            WHERE hash({key}) IN (SELECT h FROM key_candidates)"""
        )
    finally:
        con.unregister("key_candidates")
    con.execute("CREATE OR REPLACE TEMP TABLE f_already (_key VARCHAR)")
    # The history of the file's months first (where a file sent again finds its keys), then,
    # only for keys not found there, the rest of the history.
    old = lake.before[table.name]
    first, last = months or ("", "")
    near = [str(lake.root / f.path) for f in old if f.month and first <= f.month <= last]
    far = [str(lake.root / f.path) for f in old if not (f.month and first <= f.month <= last)]
    lake_key = keyindex.key_sql(table)
    for paths in (near, far):
        left = con.execute(
            "SELECT count(*) FROM f_candidates ANTI JOIN f_already USING (_key)"
        ).fetchall()[0][0]
        if not left:
            break
        if paths:
            con.execute(
                f"""INSERT INTO f_already SELECT DISTINCT {lake_key}
                FROM read_parquet(?::VARCHAR[], hive_partitioning = false)
                WHERE {lake_key} IN (SELECT _key FROM f_candidates
                                     ANTI JOIN f_already USING (_key))""",
                [paths],
            )
    found = keyindex.distinct(keyindex.query_hashes(
        con, "SELECT hash(_key) FROM f_already",
        con.execute("SELECT count(*) FROM f_already").fetchall()[0][0],
    ))  # fmt: skip
    return bool(len(found)), keyindex.without(hashes, found)


def dedupe_and_write(
    con: duckdb.DuckDBPyConnection,
    lake: Lake,
    table: Table,
    names: list[str],
    checked: Checked,
    reports: list[FileReport],
    seen: LoadKeys | None = None,
) -> tuple[Counter, Counter, Counter]:
    """Reject repeats of a key within a file, skip keys already loaded, write the rest.

    `checked.valid` is the SQL of the rows that break no rule, of the files `names` (by
    number), their user ids already pseudonyms (check.check_rows).
    Repeats are found with one hash aggregate that keeps only keys seen more than once in
    a file (with the lines they are on); the rows are filtered against that usually empty
    table as they are written. Keys already loaded are found before the write: for a table
    partitioned by month by its keys (`seen`, see _already_loaded), for another against
    the table's lake files. Of several small files (a batch), a key of an earlier file counts
    as already loaded in a later one. Returns (accepted, already loaded, repeats rejected),
    by file number.
    """
    valid, valid_rows, months = checked.valid, checked.good, checked.months
    if not sum(valid_rows.values()):
        return Counter(), Counter(), Counter()
    key = _valid_key(table)
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
    already, new_hashes = _lookup(con, lake, table, seen, valid, sum(valid_rows.values()), months)
    if already:
        firsts += f" ANTI JOIN f_already AS a ON a._key = {key}"
    if table.partition_by:
        # A file of one month (the usual case) names it, instead of formatting every row's day.
        one = months is not None and months[0] == months[1]
        month = sql_literal(months[0]) if one else "strftime(day, '%Y-%m')"
        firsts = f"SELECT *, {month} AS month FROM ({firsts})"
    key_expr = " || chr(31) || ".join(q(k) for k in table.key)
    params: list = []
    existing = lake.existing_paths(table, months) if seen is None else []
    if existing:
        firsts = f"""SELECT * FROM ({firsts}) WHERE {key_expr} NOT IN (
              SELECT {key_expr} FROM read_parquet(?::VARCHAR[]))"""
        params = [existing]
    if batch:
        accepted, written = lake.write_batch(table, firsts, params, months, key_expr, reports)
    else:
        written = lake.write(table, firsts, params, months)
        accepted = Counter({0: sum(f.rows for f in written)})
    if new_hashes is not None and written:
        if len(new_hashes) != sum(f.rows for f in written):
            # Two keys of one hash (about one in 10^9 loads of 10M keys): the files' own.
            new_hashes = keyindex.file_hashes(
                con, table, [str(lake.root / f.path) for f in written]
            )
        seen.written.append(new_hashes)
    if written and table.name in ("projects", "protected_areas"):
        con.execute(
            f"INSERT INTO known_keys SELECT ?, {q(table.key[0])} FROM read_parquet(?)",
            [table.name, [str(lake.root / f.path) for f in written]],
        )
    already_loaded = Counter({f: n - repeated[f] - accepted[f] for f, n in valid_rows.items()})
    return accepted, already_loaded, repeated


def finish(
    con: duckdb.DuckDBPyConnection,
    lake: Lake,
    key_index: dict[str, list[IndexFile]],
    seen: dict[str, LoadKeys],
) -> dict[str, list[IndexFile]]:
    """Drop the rows whose key an earlier file of this load sent, in another month or another
    batch (the check before each write looked only at earlier loads): they count as already
    loaded. Returns the key index of each table partitioned by month, this load's keys added,
    for the snapshot to list (rebuilt from the lake where it does not match it)."""
    out: dict[str, list[IndexFile]] = {}
    for table in TABLES:
        if not table.partition_by:
            continue
        keys = seen.get(table.name) or LoadKeys(con, lake, table, key_index.get(table.name, []))
        hashes = (
            keys.load_hashes()
            if keys.complete
            else keyindex.file_hashes(con, table, lake.new_paths(table))
        )
        repeats = keyindex.distinct(hashes[1:][hashes[1:] == hashes[:-1]])
        if len(repeats) and _drop_repeats(con, lake, table, repeats):
            hashes = keyindex.file_hashes(con, table, lake.new_paths(table))
        if len(hashes) or keys.index.rebuilt:
            out[table.name] = keys.index.write(lake.load_number, hashes)
        else:
            out[table.name] = keys.index.files
    return out


def _drop_repeats(
    con: duckdb.DuckDBPyConnection, lake: Lake, table: Table, candidates: np.ndarray
) -> bool:
    """Check the candidate hashes against the keys of this load's lake files, and rewrite
    those that hold a key an earlier one holds (the first copy of a key is kept). Returns
    whether any file was rewritten."""
    key = keyindex.key_sql(table)
    con.register("key_candidates", pa.table({"h": pa.array(candidates, type=pa.uint64())}))
    try:
        found = con.execute(
            f"""SELECT filename, {key} FROM read_parquet(?::VARCHAR[], filename = true,
                hive_partitioning = false)
            WHERE hash({key}) IN (SELECT h FROM key_candidates)""",
            [lake.new_paths(table)],
        ).fetchall()
    finally:
        con.unregister("key_candidates")
    by_file: dict[str, list[str]] = {}
    for filename, k in found:
        by_file.setdefault(filename, []).append(k)
    seen: set[str] = set()
    rewritten = False
    for f in [f for f in lake.new_files if f.table == table.name]:  # in the order written
        keys = by_file.get(str(lake.root / f.path), [])
        losers = sorted({k for k in keys if k in seen})
        seen.update(keys)
        if losers:
            lake.rewrite(table, f, losers)
            rewritten = True
    return rewritten
