"""Reading a file's rows into DuckDB: a CSV file into the table f_src, each row with its
physical line; a Parquet file as a source its checks stream from.

A CSV file DuckDB can read as it is (csvfile.is_plain) is read by DuckDB's reader; any other
is read row by row by csvfile.Reader (RowSink). Either way a row that cannot be split into the
header's columns becomes a reject with its line, and a user id is hashed as it is read: f_src
may spill to disk, and no raw id may reach it (greenstats/data/pseudonym.py).
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pyarrow as pa

from greenstats.data import csvfile
from greenstats.data.contract import REJECT_RULES, Table
from greenstats.data.ingest.files import (
    FileRefusedError,
    FileReport,
    column_named_twice,
    first_line,
    q,
)
from greenstats.data.ingest.rules import (
    CSV_ERROR_RULES,
    HASHED,
    chars_column,
    detail_json,
    hashed_read,
    is_user_id,
    line_kept,
)
from greenstats.data.warehouse.connection import sql_literal

#: Rows sent to DuckDB at a time by the row-by-row CSV reader.
_BATCH_ROWS = 50_000


# --- reading a file -------------------------------------------------------------------------


def _csv_reader(path: Path) -> str:
    return (
        f"read_csv({sql_literal(str(path))}, header = true, all_varchar = true, delim = ',', "
        "quote = '\"', escape = '\"', encoding = 'utf-8', store_rejects = true, "
        "rejects_table = 'csv_reject_errors', rejects_scan = 'csv_reject_scans')"
    )


def _parquet_reader(path: Path) -> str:
    return f"read_parquet({sql_literal(str(path))}, file_row_number = true)"


def open_parquet(con: duckdb.DuckDBPyConnection, path: Path) -> tuple[str, dict[str, str], str]:
    """The SQL source of a Parquet file, its columns with types, and the expression for its
    line (its row's position, the first row being line 1)."""
    twice = column_named_twice(path)
    if twice:
        raise FileRefusedError(twice)
    source = _parquet_reader(path)
    try:
        described = con.execute(f"DESCRIBE SELECT * FROM {source}").fetchall()
    except duckdb.Error as exc:
        raise FileRefusedError(f"cannot be read: {first_line(exc)}") from exc
    columns = {name: ctype for name, ctype, *_ in described if name != "file_row_number"}
    return source, columns, "file_row_number + 1"


# --- CSV ----------------------------------------------------------------------------------


def read_csv(
    con: duckdb.DuckDBPyConnection,
    table: Table,
    path: Path,
    readable: Path,
    name: str,
    report: FileReport,
) -> tuple[dict[str, str], int, bool]:
    """Read a CSV file into f_src (`_line` and its columns as text, one row per row of the
    file); returns its columns, how many of its rows could not be split into them (already in
    new_rejects), and whether its header was read as GB18030 (it is not UTF-8). DuckDB's
    reader reads a plain file (csvfile.is_plain); any other, or one DuckDB cannot read, is read
    row by row by csvfile.Reader."""
    try:
        with csvfile.Reader(path) as reader:
            names = reader.header.names
            gb18030 = reader.header.gb18030
    except csvfile.CsvRefusedError as exc:
        raise FileRefusedError(str(exc)) from None
    except OSError as exc:
        raise FileRefusedError(f"cannot be read: {exc.strerror or exc}") from None
    columns = dict.fromkeys(names, "VARCHAR")
    wanted = [n for n in names if n in table.names]
    columns.update({n: HASHED for n in wanted if is_user_id(table, n)})
    if all(c in columns for c in table.required) and csvfile.is_plain(path):
        try:
            return columns, _read_csv_duckdb(con, table, readable, name, names, wanted), gb18030
        except (duckdb.Error, _NotPlainError):
            con.execute(
                "DELETE FROM new_rejects WHERE table_name = ? AND file = ?", [table.name, name]
            )
    if not all(c in columns for c in table.required):
        return columns, 0, gb18030
    return columns, _read_csv_rows(con, table, path, name, names, wanted, report), gb18030


def _read_csv_duckdb(
    con: duckdb.DuckDBPyConnection,
    table: Table,
    path: Path,
    name: str,
    names: list[str],
    wanted: list[str],
) -> int:
    con.execute("DROP TABLE IF EXISTS csv_reject_errors")
    con.execute("DROP TABLE IF EXISTS csv_reject_scans")
    source = _csv_reader(path)
    described = [r[0] for r in con.execute(f"DESCRIBE SELECT * FROM {source}").fetchall()]
    if len(described) != len(names) or any(
        n and n != d for n, d in zip(names, described, strict=True)
    ):
        raise _NotPlainError
    cols = ", ".join(hashed_read(table, c, q(c)) for c in wanted)
    # Read once, in file order: a plain file's rows are its lines, numbered by position.
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE f_src AS "
        f"SELECT 0 AS _file, row_number() OVER () + 1 AS _line{', ' if cols else ''}{cols} "
        f"FROM {source}"
    )
    return _structural_rejects(con, table, name)


def _read_csv_rows(
    con: duckdb.DuckDBPyConnection,
    table: Table,
    path: Path,
    name: str,
    names: list[str],
    wanted: list[str],
    report: FileReport,
) -> int:
    """Read the file row by row (csvfile.Reader) into f_src, in batches; rows that cannot
    be split into the header's columns go to new_rejects with their physical line."""
    sink = RowSink(con, table, wanted)
    structural = sink.append(path, name, names, report)
    sink.flush()
    return structural


def _structural_rejects(con: duckdb.DuckDBPyConnection, table: Table, name: str) -> int:
    """Rows DuckDB's CSV reader could not split into the header's columns (f_src's lines
    are renumbered to the file's real lines around them)."""
    exists = con.execute(
        "SELECT count(*) FROM duckdb_tables() WHERE table_name = 'csv_reject_errors'"
    ).fetchone()[0]
    if not exists:
        return 0
    # One row per line: DuckDB may list a line once per column it lacks.
    rows = con.execute(
        "SELECT line, min(error_type), min(csv_line) FROM csv_reject_errors "
        "GROUP BY line ORDER BY line"
    ).fetchall()
    if not rows:
        return 0
    # The good rows were numbered without the rejected ones: renumber them to real lines.
    con.execute(
        """CREATE OR REPLACE TEMP TABLE line_map AS
        SELECT row_number() OVER (ORDER BY l) + 1 AS rn, l AS real_line
        FROM range(2, (SELECT count(*) FROM f_src) + ? + 2) t(l)
        WHERE l NOT IN (SELECT unnest(?::BIGINT[]))""",
        [len(rows), [r[0] for r in rows]],
    )
    con.execute("UPDATE f_src SET _line = m.real_line FROM line_map m WHERE f_src._line = m.rn")
    for line, error_type, csv_line in rows:
        rule = CSV_ERROR_RULES.get(error_type, "unreadable_row")
        detail = {} if rule in CSV_ERROR_RULES.values() else {"error": error_type.lower()}
        con.execute(
            "INSERT INTO new_rejects VALUES (?, ?, ?, NULL, ?, ?, ?, ?)",
            [table.name, name, line, REJECT_RULES[rule].format(**detail),
             line_kept(table, csv_line), rule, detail_json(detail)],
        )  # fmt: skip
    return len(rows)


class RowSink:
    """CSV files read row by row (csvfile.Reader) into a new f_src: `_file` (the file's
    number), `_line` (its physical line) and the columns `wanted` as text, its user ids hashed
    (HASHED: the rows wait in Python's memory, f_src may spill to disk). Rows go to DuckDB
    _BATCH_ROWS at a time, whatever file they come from (one statement per small file cost
    12 ms); rows that cannot be split into the header's columns go to new_rejects."""

    def __init__(self, con: duckdb.DuckDBPyConnection, table: Table, wanted: list[str]) -> None:
        self.con, self.table, self.wanted = con, table, wanted
        cols = ", ".join(
            f"{q(c)} BIGINT, {chars_column(c)} BIGINT"
            if is_user_id(table, c)
            else f"{q(c)} VARCHAR"
            for c in wanted
        )
        con.execute(
            "CREATE OR REPLACE TEMP TABLE f_src "
            f"(_file INTEGER, _line BIGINT{', ' if cols else ''}{cols})"
        )
        self.insert = (
            "INSERT INTO f_src SELECT _file, _line"
            + "".join(f", {hashed_read(table, c, q(c))}" for c in wanted)
            + " FROM f_batch"
        )
        self.files: list[int] = []
        self.lines: list[int] = []
        self.values: list[list[str]] = [[] for _ in wanted]
        self.rejects: list[tuple] = []

    def append(
        self, path: Path, name: str, names: list[str], report: FileReport, file_no: int = 0
    ) -> int:
        """Read one file as file `file_no`; returns its rows that could not be split."""
        table = self.table
        positions = [names.index(c) for c in self.wanted]
        structural = 0
        try:
            with csvfile.Reader(path) as reader:
                for row in reader.rows():
                    if row.fields is None:
                        structural += 1
                        reason = REJECT_RULES[row.rule].format(**row.detail)
                        self.rejects.append((table.name, name, row.line, reason,
                                             line_kept(table, row.raw), row.rule,
                                             detail_json(row.detail)))  # fmt: skip
                    else:
                        self.files.append(file_no)
                        self.lines.append(row.line)
                        for v, i in zip(self.values, positions, strict=True):
                            v.append(row.fields[i])
                    if len(self.lines) >= _BATCH_ROWS or len(self.rejects) >= _BATCH_ROWS:
                        self.flush()
                gb = reader.gb18030_lines
        except OSError as exc:
            raise FileRefusedError(f"cannot be read: {exc.strerror or exc}") from None
        if len(gb) == 1:
            report.warnings.append(f"line {gb[0]} is not UTF-8 and was read as GB18030")
        elif gb:
            shown = ", ".join(str(n) for n in gb[:5]) + (", …" if len(gb) > 5 else "")
            report.warnings.append(
                f"lines {shown} ({len(gb):,} in all) are not UTF-8 and were read as GB18030"
            )
        return structural

    def flush(self) -> None:
        """Send the rows and rejects waiting to DuckDB."""
        con = self.con
        if self.lines:
            batch = pa.table(
                {"_file": pa.array(self.files, pa.int32()),
                 "_line": pa.array(self.lines, pa.int64())}
                | {c: pa.array(v, pa.string())
                   for c, v in zip(self.wanted, self.values, strict=True)}
            )  # fmt: skip
            con.register("f_batch", batch)
            try:
                con.execute(self.insert)
            finally:
                con.unregister("f_batch")
            self.files.clear()
            self.lines.clear()
            for v in self.values:
                v.clear()
        if self.rejects:
            con.executemany("INSERT INTO new_rejects VALUES (?, ?, ?, NULL, ?, ?, ?, ?)",
                            self.rejects)  # fmt: skip
            self.rejects.clear()


class _NotPlainError(Exception):
    """DuckDB read a CSV file's header differently: read it row by row instead."""
