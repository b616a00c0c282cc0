"""The lake files a load writes: where each goes, which file of the input sent its rows, and
how one is rewritten or removed.

A table partitioned by month gets one new Parquet file per month a file covers, under
`lake/<table>/month=YYYY-MM/`; any other table one file under `lake/<table>/`. Nothing a
reader sees changes until the snapshot that lists them is published (greenstats.data.build).
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import duckdb

from greenstats.data import keyindex
from greenstats.data.contract import TABLES, Table
from greenstats.data.ingest.files import FileReport
from greenstats.data.warehouse import LakeFile
from greenstats.data.warehouse.connection import sql_literal

#: How a lake file is written. Row groups of about a million rows: a Parquet dictionary (the
#: user ids', above all) is kept per row group, and a month's file of a million actions with
#: DuckDB's default 122,880-row groups stored its user ids in twice the bytes (5.9 MB against
#: 2.9 MB; the file 11.8 MB against 8.8 MB, written in the same time: BENCHMARKS.md, issue 28).
LAKE_OPTIONS = "FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE 1048576"


class Lake:
    """The lake files of one load: those listed before it (`before`), and those it wrote
    (`new_files`, in the order written), with the report of the input file that sent each
    file's rows (`report_of`), or, for a batch of small files, of each key (`batch_keys`)."""

    def __init__(
        self,
        con: duckdb.DuckDBPyConnection,
        root: Path,
        load_number: int,
        existing_files: dict[str, list[LakeFile]],
    ) -> None:
        self.con, self.root, self.load_number = con, root, load_number
        self.files: dict[str, list[LakeFile]] = {
            t.name: list(existing_files.get(t.name, [])) for t in TABLES
        }
        self.before = {name: list(files) for name, files in self.files.items()}
        self.new_files: list[LakeFile] = []
        self._file_index = 0
        self.report_of: dict[str, FileReport] = {}  # the report of the file that wrote it
        #: A batch's lake files (write_batch): the report of the file that sent each key.
        self.batch_keys: dict[str, dict[str, FileReport]] = {}
        #: The report of the single input file being written (None: a batch).
        self.report: FileReport | None = None

    def existing_paths(self, table: Table, months: tuple[str, str] | None) -> list[str]:
        """The lake files that could already hold one of the file's keys: for a table
        partitioned by month, those of the months between its first and last valid row."""
        files = self.files[table.name]
        if table.partition_by:
            if months is None:
                return []
            files = [f for f in files if f.month and months[0] <= f.month <= months[1]]
        return [str(self.root / f.path) for f in files]

    def write(
        self, table: Table, rows_sql: str, params: list, months: tuple[str, str] | None
    ) -> list[LakeFile]:
        """COPY the rows to new lake files (one per month, if the table is partitioned);
        returns the files written, with their row counts (none if there were no rows).
        A file of one month, the usual case, is written without PARTITION_BY (a third faster)."""
        self._file_index += 1
        stem = f"L{self.load_number:06d}-{self._file_index:04d}"
        rel_dir = Path("lake") / table.name
        (self.root / rel_dir).mkdir(parents=True, exist_ok=True)
        options = f"{LAKE_OPTIONS}, RETURN_STATS true"
        if table.partition_by and months is not None and months[0] == months[1]:
            target = self.root / rel_dir / f"month={months[0]}" / f"{stem}.parquet"
            target.parent.mkdir(exist_ok=True)
        elif table.partition_by:
            target = self.root / rel_dir
            options += (
                f", PARTITION_BY (month), WRITE_PARTITION_COLUMNS true, OVERWRITE_OR_IGNORE true, "
                f"FILENAME_PATTERN {sql_literal(stem + '-{i}')}"
            )
        else:
            target = self.root / rel_dir / f"{stem}.parquet"
        try:
            stats = self.con.execute(
                f"COPY ({rows_sql}) TO {sql_literal(str(target))} ({options})", params
            ).fetchall()
        except BaseException:
            # A COPY that fails part way may have written some of its files: none is kept.
            for left in (self.root / rel_dir).glob(f"**/{stem}*.parquet"):
                left.unlink(missing_ok=True)
            raise
        written = []
        for filename, rows, *_, partition_keys, _extra in stats:
            file = Path(filename)
            if not rows:
                file.unlink(missing_ok=True)
                continue
            month = None
            if table.partition_by:
                month = (partition_keys or {}).get("month") or months[0]
            lake_file = LakeFile(table.name, str(file.relative_to(self.root)), month, rows)
            self._add(lake_file)
            written.append(lake_file)
        return written

    def _add(self, lake_file: LakeFile) -> None:
        self.files[lake_file.table].append(lake_file)
        self.new_files.append(lake_file)
        if self.report is not None:
            self.report_of[lake_file.path] = self.report

    def write_batch(
        self,
        table: Table,
        firsts: str,
        params: list,
        months: tuple[str, str] | None,
        key_expr: str,
        reports: list[FileReport],
    ) -> tuple[Counter, list[LakeFile]]:
        """Write the rows of a batch of small files (`firsts`: each with `_file` and `_line`)
        that no earlier file of the batch holds; returns the rows each file added and the lake
        files written. Which file added each key is kept (`batch_keys`), for finish() to
        count a key it drops against the file that sent it. A batch is small (at most
        SMALL_BATCH_BYTES of input): its rows are held in a table."""
        con = self.con
        con.execute(
            f"""CREATE OR REPLACE TEMP TABLE f_batch_rows AS
            SELECT * FROM ({firsts})
            QUALIFY row_number() OVER (PARTITION BY {key_expr} ORDER BY _file, _line) = 1""",
            params,
        )
        accepted = Counter(dict(con.execute(
            "SELECT _file, count(*) FROM f_batch_rows GROUP BY _file"
        ).fetchall()))  # fmt: skip
        month = ", month" if table.partition_by else ", NULL"
        by_month: dict[str | None, dict[str, FileReport]] = {}
        for k, file_no, m in con.execute(
            f"SELECT {key_expr}, _file{month} FROM f_batch_rows"
        ).fetchall():
            by_month.setdefault(m, {})[k] = reports[file_no]
        written = self.write(table, "SELECT * EXCLUDE (_file, _line) FROM f_batch_rows", [], months)
        for f in written:
            self.report_of.pop(f.path, None)
            self.batch_keys[f.path] = by_month.get(f.month, {})
        con.execute("DROP TABLE f_batch_rows")
        return accepted, written

    def new_paths(self, table: Table) -> list[str]:
        """The lake files this load wrote for a table, in the order it wrote them."""
        return [str(self.root / f.path) for f in self.new_files if f.table == table.name]

    def rewrite(self, table: Table, lake_file: LakeFile, losers: list[str]) -> None:
        """Write a new lake file of this load without the rows of some keys, in its place."""
        old = self.root / lake_file.path
        new = old.with_name(old.stem + "-k.parquet")
        key = keyindex.key_sql(table)
        rows = self.con.execute(
            f"""COPY (SELECT * FROM read_parquet(?, hive_partitioning = false)
                      WHERE {key} NOT IN (SELECT unnest(?::VARCHAR[])))
                TO {sql_literal(str(new))} ({LAKE_OPTIONS})""",
            [str(old), losers],
        ).fetchone()[0]
        dropped = lake_file.rows - rows
        report = self.report_of.pop(lake_file.path, None)
        if report is not None:
            report.accepted -= dropped
            report.already_loaded += dropped
        senders = self.batch_keys.pop(lake_file.path, None)
        if senders is not None:  # a batch's file: each key counts against the file that sent it
            for k in losers:
                senders[k].accepted -= 1
                senders[k].already_loaded += 1
        position = self.new_files.index(lake_file)
        self.files[table.name].remove(lake_file)
        self.new_files.remove(lake_file)
        old.unlink(missing_ok=True)
        if not rows:
            new.unlink(missing_ok=True)
            return
        replacement = LakeFile(table.name, str(new.relative_to(self.root)), lake_file.month, rows)
        self.files[table.name].append(replacement)
        self.new_files.insert(position, replacement)
        if report is not None:
            self.report_of[replacement.path] = report
        if senders is not None:
            self.batch_keys[replacement.path] = senders

    def forget(self, files: list[LakeFile]) -> None:
        """Remove lake files of this load, as if never written."""
        for f in files:
            self.files[f.table].remove(f)
            self.new_files.remove(f)
            self.report_of.pop(f.path, None)
            self.batch_keys.pop(f.path, None)
            (self.root / f.path).unlink(missing_ok=True)

    def discard_new_files(self) -> None:
        """Remove what this load wrote to the lake (a failed load leaves no trace)."""
        for f in self.new_files:
            (self.root / f.path).unlink(missing_ok=True)
