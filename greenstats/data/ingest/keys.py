"""Keys loaded once (docs/CONTRACT.md, Loading again): a key repeated within a file is a
reject, and a key loaded before counts as already loaded, not again.

Before a file of a table partitioned by month is written, the hashes of its keys are looked up
in the key index of the loads before (`greenstats.data.keyindex`) and among the keys this load
has written so far (`LoadKeys`). A hash found is only a candidate: the candidates' keys are
looked for in the lake files themselves (this load's, then those of the file's months, then,
for any not found there, the rest), and the rows of those found are left out of the write. A
day's load so reads its own rows and the pages of the index its keys fall in, not the history
(BENCHMARKS.md, issue 28). Other tables are small: a file's keys are checked against the
table's lake files as they are written.
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
    and those this load has written (the sorted hashes of each written file)."""

    def __init__(
        self, con: duckdb.DuckDBPyConnection, lake: Lake, table: Table, files: list[IndexFile]
    ) -> None:
        self.table = table
        self.index = KeyIndex(con, lake.root, table, files, lake.before[table.name])
        #: The sorted hashes written by this load, in a few arrays: each at least twice the
        #: size of the next, so a file's keys are looked up in about log2(files) arrays, not
        #: in one per earlier file.
        self.written: list[np.ndarray] = []

    def add(self, hashes: np.ndarray) -> None:
        """Keep the sorted hashes of a file this load wrote."""
        self.written.append(hashes)
        while len(self.written) > 1 and 2 * len(self.written[-1]) >= len(self.written[-2]):
            newer = self.written.pop()
            merged = np.concatenate([self.written[-1], newer])
            merged.sort()
            self.written[-1] = merged

    def candidates(self, hashes: np.ndarray) -> np.ndarray:
        """Of some sorted hashes, those loaded before or written by this load: candidates,
        to be checked against the keys themselves."""
        found = [self.index.hits(hashes), *(keyindex.members(a, hashes) for a in self.written)]
        return np.unique(np.concatenate(found))

    def index_files(self, load_number: int) -> list[IndexFile]:
        """The key index with this load's keys added."""
        new = np.concatenate(self.written) if self.written else np.zeros(0, dtype=np.uint64)
        if len(self.written) > 1:
            new.sort()
        if not len(new) and not self.index.rebuilt:
            return self.index.files
        return self.index.write(load_number, new)


def _valid_key(table: Table) -> str:
    """The key over the checked rows' typed values, as keyindex.key_sql gives it over the lake
    file they are written to (the same text, so the same hash)."""
    return " || chr(31) || ".join(f"CAST({q(k + '__v')} AS VARCHAR)" for k in table.key)


def _already_loaded(
    con: duckdb.DuckDBPyConnection,
    lake: Lake,
    table: Table,
    seen: LoadKeys,
    valid: str,
    count: int,
    months: tuple[str, str] | None,
) -> tuple[bool, np.ndarray]:
    """Find the keys of the rows `valid` (`count` of them) loaded before or by an earlier file
    of this load: they go to the temp table f_already (`_key`). Returns whether there are any,
    and the sorted distinct hashes of the keys that are not."""
    key = _valid_key(table)
    hashes = np.unique(keyindex.query_hashes(con, f"SELECT hash({key}) FROM {valid}", count))
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
    # This load's files first, then the history of the file's months (where a file sent again
    # finds its keys), then, only for keys not found yet, the rest of the history.
    new = lake.new_paths(table)
    old = lake.before[table.name]
    first, last = months or ("", "")
    near = [str(lake.root / f.path) for f in old if f.month and first <= f.month <= last]
    far = [str(lake.root / f.path) for f in old if not (f.month and first <= f.month <= last)]
    lake_key = keyindex.key_sql(table)
    for paths in (new, near, far):
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
    found = np.unique(keyindex.query_hashes(
        con, "SELECT hash(_key) FROM f_already",
        con.execute("SELECT count(*) FROM f_already").fetchall()[0][0],
    ))  # fmt: skip
    return bool(len(found)), np.setdiff1d(hashes, found, assume_unique=True)


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
    new_hashes = None
    if seen is not None:
        already, new_hashes = _already_loaded(
            con, lake, table, seen, valid, sum(valid_rows.values()), months
        )
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
        accepted, written = lake.write_batch(table, firsts, params, months, key_expr)
    else:
        written = lake.write(table, firsts, params, months)
        accepted = Counter({0: sum(f.rows for f in written)})
    if seen is not None and written:
        if len(new_hashes) != sum(f.rows for f in written):
            # Two keys of one hash (about one in 10^9 loads of 10M keys): the files' own.
            new_hashes = keyindex.file_hashes(
                con, table, [str(lake.root / f.path) for f in written]
            )
        seen.add(new_hashes)
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
    """The key index of each table partitioned by month, this load's keys added, for the
    snapshot to list (rebuilt from the lake where it does not match it)."""
    out: dict[str, list[IndexFile]] = {}
    for table in TABLES:
        if not table.partition_by:
            continue
        keys = seen.get(table.name) or LoadKeys(con, lake, table, key_index.get(table.name, []))
        out[table.name] = keys.index_files(lake.load_number)
    return out
