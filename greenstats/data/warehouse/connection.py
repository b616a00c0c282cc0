"""The settings every DuckDB connection of greenstats shares, and a writer's memory."""

from __future__ import annotations

import os
from pathlib import Path

import duckdb

from greenstats.data.contract import LOCAL_TZ

#: DuckDB's buffer pool for writers (ingest and build), which spill to disk above it rather
#: than fail. 3 GB, so that the whole process (buffer pool, Python, allocations DuckDB makes
#: outside the pool) stays under 4 GB: at 4 GB the 100M-event ingest peaked at 4,023 MB RSS.
WRITER_MEMORY_LIMIT = os.environ.get("GREENSTATS_MEMORY_LIMIT", "3GB")


def sql_literal(text: str) -> str:
    """Quote a string as a SQL literal, for the few statements that take no parameters."""
    return "'" + text.replace("'", "''") + "'"


def configure(con: duckdb.DuckDBPyConnection, *, tmp_dir: Path | None = None) -> None:
    """Session settings every greenstats connection shares."""
    con.execute(f"SET TimeZone = {sql_literal(LOCAL_TZ)}")
    if tmp_dir is not None:
        tmp_dir.mkdir(parents=True, exist_ok=True)
        con.execute(f"SET temp_directory = {sql_literal(str(tmp_dir))}")
        con.execute(f"SET memory_limit = {sql_literal(WRITER_MEMORY_LIMIT)}")
        # Row order of a write never matters (every model states its own ORDER BY where it
        # needs one); without it DuckDB can stream and spill large results in parallel.
        con.execute("SET preserve_insertion_order = false")
