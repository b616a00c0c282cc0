"""One load: each file of an input folder read, checked, de-duplicated and written to the
lake, in that order (docs/CONTRACT.md, Inputs and Bad rows).

The steps have a module each: `files` (which files, and the checks of a file as a whole),
`read` (a file's rows into DuckDB), `check` (the rules, compiled to SQL by `rules`), `keys`
(a key loaded once) and `lake` (the new Parquet files). `Loader` runs them for one file, or
for a batch of small CSV files read and checked together; `load_folder` runs a folder. The
snapshot that lists the new lake files is built and published by `greenstats.data.build`;
until then nothing a reader sees has changed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import duckdb

from greenstats.data import pseudonym
from greenstats.data.contract import LOCAL_TZ, TABLES_BY_NAME, Table
from greenstats.data.ingest import keys, read, rules
from greenstats.data.ingest.check import Checked, check_rows
from greenstats.data.ingest.files import (
    SMALL_BATCH_BYTES,
    FileRefusedError,
    FileReport,
    extra_columns,
    first_line,
    lacks_column,
    plain_name,
    q,
    small_csv_header,
    small_size,
)
from greenstats.data.ingest.lake import Lake
from greenstats.data.ingest.users import forget_map, register_map
from greenstats.data.keyindex import IndexFile
from greenstats.data.methodology import Reference
from greenstats.data.warehouse import LakeFile


class Loader:
    """One load: a work connection, the known keys, and the files written to the lake."""

    def __init__(
        self,
        con: duckdb.DuckDBPyConnection,
        warehouse_root: Path,
        load_number: int,
        reference: Reference,
        existing_files: dict[str, list[LakeFile]],
        key_index: dict[str, list[IndexFile]] | None = None,
        user_key: pseudonym.UserKey | None = None,
    ) -> None:
        self.con = con
        #: The key of the pseudonyms that replace user ids (pseudonym.user_key() if not given).
        self.user_key = user_key or pseudonym.user_key()
        pseudonym.install(con, self.user_key)
        self.root = warehouse_root
        self.load_number = load_number
        #: The day the load started, in China time: "today" for the bounds of the contract.
        self.load_day = datetime.now(ZoneInfo(LOCAL_TZ)).date()
        self.lake = Lake(con, warehouse_root, load_number, existing_files)
        #: The pseudonyms of the user ids met so far: each distinct id is hashed once.
        self.pseudonyms = pseudonym.Pseudonyms(self.user_key)
        self._key_index = key_index or {}
        #: The keys of each table partitioned by month, from its first file of this load.
        self._seen: dict[str, keys.LoadKeys] = {}
        con.execute("CREATE OR REPLACE TEMP TABLE codes (list VARCHAR, code VARCHAR)")
        for name, codes in rules.code_lists(reference).items():
            con.execute("INSERT INTO codes SELECT ?, unnest(?::VARCHAR[])", [name, list(codes)])
        con.execute("CREATE OR REPLACE TEMP TABLE known_keys (table_name VARCHAR, key VARCHAR)")
        for ref_table in ("projects", "protected_areas"):
            key = TABLES_BY_NAME[ref_table].key[0]
            paths = [str(self.root / f.path) for f in self.lake.files[ref_table]]
            if paths:
                con.execute(
                    f"INSERT INTO known_keys SELECT ?, {q(key)} FROM read_parquet(?::VARCHAR[])",
                    [ref_table, paths],
                )
        con.execute(
            "CREATE OR REPLACE TEMP TABLE new_rejects (table_name VARCHAR, file VARCHAR, "
            "line BIGINT, column_name VARCHAR, reason VARCHAR, value VARCHAR, rule VARCHAR, "
            "detail VARCHAR)"
        )

    @property
    def new_files(self) -> list[LakeFile]:
        """The lake files this load wrote, in the order it wrote them."""
        return self.lake.new_files

    def load_file(self, table: Table, path: Path, name: str) -> FileReport:
        """Validate one file, keep its rejects, write its new rows to the lake.

        A Parquet file is read once, its user ids first (users.register_map), then its rows,
        checked into a temp table (check.check_rows) that the rejects, the repeats and the
        write read. A CSV file is first read into a table of its raw text, each row with its
        physical line (see read.read_csv), and then checked the same way.
        """
        report = FileReport(table.name, name)
        self.lake.report = report
        link: Path | None = None
        try:
            readable, link = plain_name(path, self.root, self.load_number)
            structural, checked, users = self._check(table, path, readable, name, report)
        except FileRefusedError as exc:
            return self._refused(report, name, str(exc), link)
        except duckdb.Error as exc:
            return self._refused(report, name, f"cannot be read: {first_line(exc)}", link)
        written = len(self.lake.new_files)
        try:
            report.rows_read = structural + checked.bad[0] + checked.good[0]
            accepted, already, repeated = keys.dedupe_and_write(
                self.con, self.lake, table, [name], checked, [report], self._keys(table)
            )
        except duckdb.Error as exc:
            # A fault found only while writing (a Parquet page that cannot be decoded): the
            # file adds nothing, not even the lake files it had begun to write.
            self.lake.forget(self.lake.new_files[written:])
            return self._refused(report, name, f"cannot be read: {first_line(exc)}", link)
        finally:
            self.con.execute("DROP TABLE IF EXISTS f_rows")
            if users == "mapped":
                forget_map(self.con)
            if link is not None:
                link.unlink(missing_ok=True)
        report.rejected = structural + checked.bad[0] + repeated[0]
        report.accepted, report.already_loaded = accepted[0], already[0]
        return report

    def load_small_csvs(self, table: Table, files: list[tuple[Path, str]]) -> list[FileReport]:
        """Load consecutive small CSV files of one table (each at most SMALL_FILE_BYTES) as
        `load_file` loads each, with the same reports, rejects and rows, but read and checked
        together: each row carries its file's number (`_file`), a repeat of a key within a
        file is a reject, and a key of an earlier file of the batch counts as already loaded in
        a later one. Their rows go to one lake file per month. A file whose header cannot be
        read or lacks a column, and every file after it with another header, is loaded by
        `load_file`; so is the whole batch if DuckDB fails on it."""
        reports: list[FileReport] = []
        run: list[tuple[Path, str, list[str]]] = []
        for path, name in files:
            names = small_csv_header(table, path)
            if names is None or (run and names != run[0][2]):
                reports += self._load_csv_run(table, run)
                run = []
            if names is None:
                reports.append(self.load_file(table, path, name))
            else:
                run.append((path, name, names))
        return reports + self._load_csv_run(table, run)

    def _load_csv_run(
        self, table: Table, run: list[tuple[Path, str, list[str]]]
    ) -> list[FileReport]:
        """Load small CSV files with one header, which has every required column."""
        if len(run) < 2:
            return [self.load_file(table, path, name) for path, name, _ in run]
        names = [name for _, name, _ in run]
        reports = [FileReport(table.name, name) for name in names]
        header = run[0][2]
        columns = dict.fromkeys(header, "VARCHAR")
        wanted = [n for n in header if n in table.names]
        columns.update({n: rules.HASHED for n in wanted if rules.is_user_id(table, n)})
        extra = extra_columns(table, columns)
        written = len(self.lake.new_files)
        self.lake.report = None
        try:
            sink = read.RowSink(self.con, table, wanted)
            structural = [
                sink.append(path, name, header, report, i)
                for i, ((path, name, _), report) in enumerate(zip(run, reports, strict=True))
            ]
            sink.flush()
            checked = check_rows(self.con, table, columns, "f_src", names, self.load_day)
            accepted, already, repeated = keys.dedupe_and_write(
                self.con, self.lake, table, names, checked, reports, self._keys(table)
            )
        except (duckdb.Error, FileRefusedError):
            # Checked one by one instead: each file's own verdict (a refusal names it).
            self.lake.forget(self.lake.new_files[written:])
            self.con.execute(
                "DELETE FROM new_rejects WHERE table_name = ? AND file IN (SELECT unnest(?))",
                [table.name, names],
            )
            return [self.load_file(table, path, name) for path, name, _ in run]
        for i, report in enumerate(reports):
            if extra:
                report.warnings.insert(0, extra)
            report.rows_read = structural[i] + checked.bad[i] + checked.good[i]
            report.rejected = structural[i] + checked.bad[i] + repeated[i]
            report.accepted, report.already_loaded = accepted[i], already[i]
        return reports

    def _check(
        self, table: Table, path: Path, readable: Path, name: str, report: FileReport
    ) -> tuple[int, Checked, str]:
        """Read a file and check every row: returns the rows that could not be split into
        columns (already in new_rejects), what checking the others found, and how its user ids
        became pseudonyms (check.check_rows): a CSV file's were hashed as they were read; a
        Parquet file's by the map of its distinct ids, if it is not too large."""
        con = self.con
        if path.suffix.lower() == ".csv":
            columns, structural, gb18030 = read.read_csv(con, table, path, readable, name, report)
            src = "f_src"
        else:
            source, columns, line = read.open_parquet(con, readable)
            structural, gb18030 = 0, False
            src = (
                f"(SELECT 0 AS _file, {line} AS _line, {rules.raw_columns(table, columns)} "
                f"FROM {source})"
            )
        message = lacks_column(table, columns)
        if message:
            if gb18030:
                names = ", ".join(c or "(unnamed)" for c in columns)
                message += f" (its header row is not UTF-8 text; read as GB18030: {names})"
            raise FileRefusedError(message)
        extra = extra_columns(table, columns)
        if extra:
            report.warnings.insert(0, extra)
        if rules.HASHED in columns.values():
            users = "hashed"
        elif register_map(con, table, columns, src, self.pseudonyms):
            users = "mapped"
        else:
            users = "row"
        try:
            return (
                structural,
                check_rows(con, table, columns, src, [name], self.load_day, users),
                users,
            )
        except BaseException:
            if users == "mapped":
                forget_map(con)
            raise

    def _refused(
        self, report: FileReport, name: str, message: str, link: Path | None
    ) -> FileReport:
        """A refused file adds nothing: not its rejects, not its rows."""
        if link is not None:
            message = message.replace(str(link), name)
            link.unlink(missing_ok=True)
        self.con.execute("DELETE FROM new_rejects WHERE table_name = ? AND file = ?",
                         [report.table, name])  # fmt: skip
        report.refused = message
        report.rows_read = report.accepted = report.already_loaded = report.rejected = 0
        report.warnings = [w for w in report.warnings if "GB18030" not in w]
        return report

    def _keys(self, table: Table) -> keys.LoadKeys | None:
        """The keys loaded of a table partitioned by month (None for another table)."""
        if not table.partition_by:
            return None
        if table.name not in self._seen:
            self._seen[table.name] = keys.LoadKeys(
                self.con, self.lake, table, self._key_index.get(table.name, [])
            )
        return self._seen[table.name]

    def finish(self) -> dict[str, list[IndexFile]]:
        """Each month-partitioned table's key index, this load's keys added (keys.finish)."""
        return keys.finish(self.con, self.lake, self._key_index, self._seen)

    def discard_new_files(self) -> None:
        """Remove what this load wrote to the lake (a failed load leaves no trace)."""
        self.lake.discard_new_files()


def load_folder(
    loader: Loader,
    folder: Path,
    files: Iterable[tuple[Table, Path]],
    on_file: Callable[[FileReport], None] | None = None,
) -> list[FileReport]:
    """Load each recognised file of a folder in turn, consecutive small CSV files of a table
    together (Loader.load_small_csvs); report each file as it is done."""
    reports: list[FileReport] = []
    pending: list[tuple[Path, str]] = []
    pending_table: Table | None = None
    pending_bytes = 0

    def done(new: list[FileReport]) -> None:
        reports.extend(new)
        for report in new:
            if on_file:
                on_file(report)

    def flush() -> None:
        nonlocal pending, pending_bytes
        if pending:
            done(loader.load_small_csvs(pending_table, pending))
        pending, pending_bytes = [], 0

    for table, path in files:
        name = str(path.relative_to(folder))
        size = small_size(path)
        if size is None:
            flush()
            done([loader.load_file(table, path, name)])
            continue
        if table is not pending_table or pending_bytes + size > SMALL_BATCH_BYTES:
            flush()
        pending_table = table
        pending.append((path, name))
        pending_bytes += size
    flush()
    return reports
