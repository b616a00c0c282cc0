"""A file's user ids as their pseudonyms, each distinct id hashed once.

HMAC-SHA-256 row by row cost about a second per million rows, the largest part of a load
(BENCHMARKS.md, issue 28); a file of a million actions has some hundred thousand users. So a
Parquet file's typed user ids are streamed to Python, their distinct values hashed there
(`pseudonym.Pseudonyms`, each id once a load), and the map of id → pseudonym given to DuckDB
as the table f_users, which the write joins (`keys.dedupe_and_write`).

Raw ids never reach the disk: the stream is a projection, which holds no rows, and the map is
Python's memory, which never spills. DuckDB holds the map while it joins it, as a hash table
its memory limit may make it spill: a map larger than MAP_SHARE of that limit is not built,
and the file's ids are hashed row by row as before. A CSV file's ids are hashed as the file is
read (`read.read_csv`): its raw text never waits in a table.
"""

from __future__ import annotations

import re

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

from greenstats.data import pseudonym
from greenstats.data.contract import Table
from greenstats.data.ingest import rules

#: The map may take at most this share of DuckDB's memory limit, at MAP_BYTES_PER_ID a user
#: plus the ids' bytes.
MAP_SHARE = 1 / 8
MAP_BYTES_PER_ID = 96
#: Rows streamed to Python at a time.
_BATCH_ROWS = 1 << 20
_UNITS = {"bytes": 1, "KiB": 1 << 10, "MiB": 1 << 20, "GiB": 1 << 30, "TiB": 1 << 40,
          "KB": 10**3, "MB": 10**6, "GB": 10**9, "TB": 10**12}  # fmt: skip


def memory_limit(con: duckdb.DuckDBPyConnection) -> int:
    """DuckDB's memory limit, in bytes (as `current_setting` writes it: `2.7 GiB`)."""
    text = con.execute("SELECT current_setting('memory_limit')").fetchall()[0][0]
    m = re.fullmatch(r"\s*([\d.]+)\s*([A-Za-z]+)\s*", str(text))
    if not m or m.group(2) not in _UNITS:
        return 0  # unknown: no map (row by row is always safe)
    return int(float(m.group(1)) * _UNITS[m.group(2)])


def register_map(
    con: duckdb.DuckDBPyConnection,
    table: Table,
    columns: dict[str, str],
    src: str,
    pseudonyms: pseudonym.Pseudonyms,
) -> bool:
    """Give DuckDB the map f_users (`u`, the typed id; `pid`, its pseudonym) of the user ids
    of `src`, a Parquet file's source; returns False, with nothing registered, when the table
    has no user ids or the map would be too large (see the module's docstring)."""
    if "user_id" not in columns or not rules.is_user_id(table, "user_id"):
        return False
    column = next(c for c in table.columns if c.name == "user_id")
    typed = rules.typed(column, columns["user_id"])
    budget = memory_limit(con) * MAP_SHARE
    ids = pa.array([], pa.string())
    reader = con.sql(f"SELECT {typed} AS u FROM {src}").to_arrow_reader(_BATCH_ROWS)
    for batch in reader:
        ids = pc.unique(pa.concat_arrays([ids, batch.column(0).cast(pa.string())]))
        if len(ids) * MAP_BYTES_PER_ID + ids.nbytes > budget:
            reader.close()
            return False
    ids = ids.drop_null()
    pids = pa.array(pseudonyms.of(ids.to_pylist()), pa.int64())
    con.register("f_users", pa.table({"u": ids, "pid": pids}))
    return True


def forget_map(con: duckdb.DuckDBPyConnection) -> None:
    """Unregister f_users (the map of the file just written)."""
    con.unregister("f_users")
