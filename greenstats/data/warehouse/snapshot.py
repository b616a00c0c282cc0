"""A published snapshot, and the files under lake/ it lists."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import duckdb

from greenstats.data.paths import is_uri

SNAPSHOT_NAME = re.compile(r"^(\d{6})\.duckdb$")


@dataclass(frozen=True)
class Snapshot:
    """One published snapshot: its number and file."""

    number: int
    path: Path
    identity: str = ""  # written at publish; caches key on it, never on the number alone

    @property
    def version(self) -> str:
        """The number as people read it, e.g. '000006'."""
        return f"{self.number:06d}"

    @property
    def key(self) -> str:
        """What caches key on: the identity written at publish or, for a pointer written
        before identities existed, the file's inode, size and modification time."""
        if self.identity:
            return self.identity
        st = self.path.stat()
        return f"{st.st_ino}-{st.st_size}-{st.st_mtime_ns}"


@dataclass(frozen=True)
class LakeFile:
    """One Parquet file in the lake: its table, path under the warehouse, month, rows."""

    table: str
    path: str
    month: str | None
    rows: int


#: Tables of a snapshot that list files under lake/ besides lake_files (data), by path.
LISTING_TABLES = ("key_index",)


def listed_files(
    path: Path, con: duckdb.DuckDBPyConnection | None = None, *, data: bool = True
) -> set[str]:
    """The paths under the warehouse of the files a snapshot lists: its lake files (`data`)
    and those of LISTING_TABLES it has (a snapshot written before one lacks it)."""
    own = con is None
    con = con or duckdb.connect(str(path), read_only=True)
    try:
        cur = con.cursor()
        try:
            present = {
                t for (t,) in cur.execute(
                    "SELECT table_name FROM duckdb_tables() "
                    "WHERE database_name = current_database()"
                ).fetchall()
            }  # fmt: skip
            tables = [t for t in (("lake_files",) if data else ()) + LISTING_TABLES if t in present]
            return {r[0] for t in tables for r in cur.execute(f"SELECT path FROM {t}").fetchall()}
        finally:
            cur.close()
    finally:
        if own:
            con.close()


def lake_location(root: Path, path: str) -> str:
    """Where a lake file lake_files lists is read: a path under the warehouse, or its URI."""
    return path if is_uri(path) else str(root / path)
