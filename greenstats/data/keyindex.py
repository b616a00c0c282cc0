"""A compact index of the keys loaded into a table the lake partitions by month.

A key is loaded once, whatever its month (docs/CONTRACT.md, Loading again). Before a file is
written, its keys are looked up in this index of every key loaded before: the 64-bit hash
(DuckDB's `hash`) of each, as sorted arrays of unsigned integers under `lake/_keys/<table>/`,
one written per load and merged with the previous ones when they are of a size (so there are
about log₂ of the number of loads; greenstats.data.ingest.keys). A lookup is a binary search
of the file's sorted hashes, which touches only the pages of the index they fall in: 10M keys
among 1B take seconds, not a read of the history. A hash found there is only a candidate,
checked against the keys themselves before a row is left out, so a collision of two hashes
never loses a row.

The snapshot lists the index files in its `key_index` table, with the hash of a fixed text
(`HASH_PROBE`) that identifies the hash function; an index that does not match the lake (a
warehouse from before the index, a missing file, another DuckDB's hash) is rebuilt from it.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import duckdb
import numpy as np
from numpy.lib import format as npy_format

from greenstats.data.contract import Table
from greenstats.data.warehouse import LakeFile
from greenstats.data.warehouse.connection import sql_literal

#: Folder of the index files, under the warehouse.
KEYS_DIR = Path("lake") / "_keys"
#: A fixed text whose hash identifies the hash function the index was written with.
HASH_PROBE = "greenstats key index v1"
#: Hashes streamed from DuckDB at a time.
_BATCH_ROWS = 1 << 20


@dataclass(frozen=True)
class IndexFile:
    """One file of a table's key index: sorted uint64 hashes, `rows` of them."""

    table: str
    path: str  # under the warehouse
    rows: int
    probe: int  # hash(HASH_PROBE) when it was written


def q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def key_sql(table: Table) -> str:
    """The table's key as one text value, over a lake file's columns."""
    return " || chr(31) || ".join(f"CAST({q(k)} AS VARCHAR)" for k in table.key)


def probe(con: duckdb.DuckDBPyConnection) -> int:
    return int(con.execute("SELECT hash(?)", [HASH_PROBE]).fetchone()[0])


def file_hashes(con: duckdb.DuckDBPyConnection, table: Table, paths: list[str]) -> np.ndarray:
    """The sorted hashes of the keys of some lake files, streamed into one array of their
    count (a billion keys take 8 GB, not twice that in a result and its copy)."""
    if not paths:
        return np.zeros(0, dtype=np.uint64)
    listed = ", ".join(sql_literal(p) for p in paths)
    rows = con.execute(
        f"SELECT coalesce(sum(num_rows), 0) FROM parquet_file_metadata([{listed}])"
    ).fetchall()[0][0]
    return query_hashes(
        con,
        f"SELECT hash({key_sql(table)}) FROM read_parquet([{listed}], hive_partitioning = false)",
        int(rows),
    )


def query_hashes(con: duckdb.DuckDBPyConnection, sql: str, rows: int) -> np.ndarray:
    """The values of a query of one UBIGINT column, at most `rows` of them, sorted."""
    hashes = np.empty(rows, dtype=np.uint64)
    done = 0
    for batch in con.sql(sql).to_arrow_reader(_BATCH_ROWS):
        chunk = batch.column(0).to_numpy()
        hashes[done : done + len(chunk)] = chunk
        done += len(chunk)
    hashes = hashes[:done]
    hashes.sort()
    return hashes


def _found(arr: np.ndarray, hashes: np.ndarray) -> np.ndarray:
    """Which of the hashes (sorted) the sorted array holds, as a mask: a binary search of
    each, which touches only the pages of the array the hashes fall in."""
    match = np.zeros(len(hashes), dtype=bool)
    if len(arr) and len(hashes):
        pos = np.searchsorted(arr, hashes)
        inside = pos < len(arr)
        match[inside] = np.asarray(arr[pos[inside]]) == hashes[inside]
    return match


def members(arr: np.ndarray, hashes: np.ndarray) -> np.ndarray:
    """The hashes (sorted) that the sorted array holds."""
    return hashes[_found(arr, hashes)]


def without(hashes: np.ndarray, arr: np.ndarray) -> np.ndarray:
    """The hashes (sorted) that the sorted array does not hold."""
    return hashes[~_found(arr, hashes)]


def distinct(hashes: np.ndarray) -> np.ndarray:
    """A sorted array without its repeats. (np.unique hashes every value: 2.8 s for 10M
    sorted keys, against 0.05 s for this.)"""
    if len(hashes) < 2:
        return hashes
    keep = np.empty(len(hashes), dtype=bool)
    keep[0] = True
    np.not_equal(hashes[1:], hashes[:-1], out=keep[1:])
    return hashes[keep]


class KeyIndex:
    """The keys loaded into one table before this load, as sorted hash arrays."""

    def __init__(
        self,
        con: duckdb.DuckDBPyConnection,
        root: Path,
        table: Table,
        files: list[IndexFile],
        lake_files: list[LakeFile],
    ) -> None:
        self.con, self.root, self.table = con, root, table
        self.probe = probe(con)
        self.files = list(files)
        self.rebuilt = False
        lake_rows = sum(f.rows for f in lake_files)
        if not self._usable(lake_rows):
            # Rebuild from the lake: one array of every key's hash.
            hashes = file_hashes(con, table, [str(root / f.path) for f in lake_files])
            self.files = []
            self.rebuilt = True
            self.arrays = [hashes] if len(hashes) else []
        else:
            self.arrays = [np.load(root / f.path, mmap_mode="r") for f in self.files]

    def _usable(self, lake_rows: int) -> bool:
        if sum(f.rows for f in self.files) != lake_rows:
            return False
        for f in self.files:
            path = self.root / f.path
            if f.probe != self.probe or not path.is_file():
                return False
            try:
                if len(np.load(path, mmap_mode="r")) != f.rows:
                    return False
            except (OSError, ValueError):
                return False
        return True

    def hits(self, hashes: np.ndarray) -> np.ndarray:
        """The hashes (sorted input) that the index holds: candidates, not proof."""
        found = [members(arr, hashes) for arr in self.arrays]
        if not found:
            return np.zeros(0, dtype=np.uint64)
        merged = np.concatenate(found)
        merged.sort()
        return distinct(merged)

    def write(self, load_number: int, new: np.ndarray) -> list[IndexFile]:
        """Add this load's sorted hashes; merge the newest arrays while the newest is at least
        the size of the one before it (or the index was rebuilt), as a binary counter carries:
        each key is rewritten about log2(loads) times in all. (Merging while the newest was
        at least half the one before grew the second array by a day's keys a day, and rewrote
        it whole every day.) Returns the files that now make up the index (the others are no
        longer listed, and are removed once the snapshot that lists these is published)."""
        files = list(self.files)
        arrays: list[np.ndarray] = list(self.arrays)
        if self.rebuilt:
            files, arrays = [], ([np.concatenate([*arrays, new])] if len(new) else arrays)
            if arrays:
                arrays[0].sort()
            new = np.zeros(0, dtype=np.uint64)
        seq = 0
        pending: list[tuple[IndexFile | None, np.ndarray]] = list(
            zip([*files, *([None] * (len(arrays) - len(files)))], arrays, strict=True)
        )
        if len(new):
            pending.append((None, new))
        while len(pending) >= 2 and len(pending[-1][1]) >= len(pending[-2][1]):
            (_, older), (_, newer) = pending[-2], pending.pop()
            merged = np.concatenate([older, newer])
            merged.sort()
            pending[-1] = (None, merged)
        out: list[IndexFile] = []
        for listed, arr in pending:
            if listed is not None:
                out.append(listed)
                continue
            seq += 1
            rel = KEYS_DIR / self.table.name / f"L{load_number:06d}-{seq:04d}.npy"
            _save(self.root / rel, np.ascontiguousarray(arr, dtype=np.uint64))
            out.append(IndexFile(self.table.name, str(rel), len(arr), self.probe))
        return out


def _save(path: Path, arr: np.ndarray) -> None:
    """Write an array whole or not at all (a temporary name, then an atomic rename; the
    temporary file is removed when the write fails, e.g. on a full disk)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    try:
        with open(tmp, "wb") as fh:
            # The .npy header, then the array through Python's own write: np.save's writer
            # reports a full disk without an errno ('… requested and … written'), which no
            # caller can tell from another fault; Python's raises ENOSPC.
            npy_format.write_array_header_1_0(fh, npy_format.header_data_from_array_1_0(arr))
            fh.write(memoryview(arr).cast("B"))
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def remove_unlisted(root: Path, listed: set[str]) -> None:
    """Remove index files no published snapshot lists (merged away, or left by a failed load)."""
    folder = root / KEYS_DIR
    if not folder.is_dir():
        return
    for f in folder.rglob("*"):
        if f.is_file() and str(f.relative_to(root)) not in listed:
            f.unlink(missing_ok=True)
