"""Files → validated lake rows + rejects, per CONTRACT.md sections 1 and 2.

Each file is read by DuckDB's own CSV or Parquet reader (all CSV values as text, so that a bad
value becomes a reject instead of a failed file), checked against the rules compiled from
`greenstats.contract` in one SQL pass, de-duplicated by its unique key, and its accepted rows are
written to the lake as new Parquet files. The snapshot that lists them is built and published by
`greenstats.build`; until then nothing a reader sees has changed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from greenstats.contract import CODE_LISTS, LOCAL_TZ, TABLES, TABLES_BY_NAME, Column, Table
from greenstats.methodology import Reference
from greenstats.warehouse import LakeFile, sql_literal

SUFFIXES = (".csv", ".parquet")

_ISO_TIMESTAMP = (
    r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?\s*(Z|z|[+-]\d{2}(:?\d{2})?)?"
)
_ISO_DATE = r"\d{4}-\d{2}-\d{2}"
_INTEGER = r"[+-]?\d+"

_INT_TYPES = ("TINYINT", "SMALLINT", "INTEGER", "BIGINT", "UTINYINT", "USMALLINT", "UINTEGER",
              "UBIGINT", "HUGEINT", "UHUGEINT")  # fmt: skip
_FLOAT_TYPES = ("FLOAT", "DOUBLE", "REAL")


class FileRefusedError(Exception):
    """A file that cannot be loaded at all; the message names the file and why."""


@dataclass
class FileReport:
    """What happened to one input file."""

    table: str
    name: str  # path relative to the input folder
    rows_read: int = 0
    accepted: int = 0
    already_loaded: int = 0
    rejected: int = 0
    refused: str | None = None
    warnings: list[str] = field(default_factory=list)


@dataclass
class Discovery:
    """The files of an input folder that name a contract table, in load order, and the rest."""

    files: list[tuple[Table, Path]]
    ignored: list[Path]


def discover(folder: Path) -> Discovery:
    """Find `<table>.csv|.parquet` and `<table>/*.csv|*.parquet` in load order."""
    files: list[tuple[Table, Path]] = []
    recognised: set[Path] = set()
    for table in TABLES:
        for suffix in SUFFIXES:
            single = folder / f"{table.name}{suffix}"
            if single.is_file():
                files.append((table, single))
                recognised.add(single)
        part_dir = folder / table.name
        if part_dir.is_dir():
            for part in sorted(part_dir.iterdir()):
                if part.is_file() and part.suffix.lower() in SUFFIXES:
                    files.append((table, part))
                    recognised.add(part)
    ignored = sorted(
        p
        for p in folder.rglob("*")
        if p.is_file() and p not in recognised and not _hidden(p, folder)
    )
    return Discovery(files, ignored)


def _hidden(path: Path, folder: Path) -> bool:
    return any(part.startswith(".") for part in path.relative_to(folder).parts)


def q(name: str) -> str:
    """Quote an identifier that comes from the contract (never from data)."""
    return '"' + name.replace('"', '""') + '"'


# --- reading a file -------------------------------------------------------------------------


def _csv_reader(path: Path) -> str:
    return (
        f"read_csv({sql_literal(str(path))}, header = true, all_varchar = true, delim = ',', "
        "quote = '\"', escape = '\"', encoding = 'utf-8', store_rejects = true, "
        "rejects_table = 'csv_reject_errors', rejects_scan = 'csv_reject_scans')"
    )


def _parquet_reader(path: Path) -> str:
    return f"read_parquet({sql_literal(str(path))}, file_row_number = true)"


def _check_header(path: Path) -> None:
    with open(path, "rb") as fh:
        first = fh.readline()
    if not first.strip():
        raise FileRefusedError("is empty or has no header row")
    try:
        first.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise FileRefusedError("is not UTF-8 text (its header row cannot be decoded)") from exc


def _open_source(con: duckdb.DuckDBPyConnection, path: Path) -> tuple[str, dict[str, str], str]:
    """The SQL source of a file, its columns with types, and the expression for its line."""
    try:
        if path.suffix.lower() == ".csv":
            _check_header(path)
            con.execute("DROP TABLE IF EXISTS csv_reject_errors")
            con.execute("DROP TABLE IF EXISTS csv_reject_scans")
            source = _csv_reader(path)
            line = "row_number() OVER () + 1"  # header is line 1
        else:
            source = _parquet_reader(path)
            line = "file_row_number + 1"
        described = con.execute(f"DESCRIBE SELECT * FROM {source}").fetchall()
    except FileRefusedError:
        raise
    except duckdb.Error as exc:
        raise FileRefusedError(f"cannot be read: {_first_line(exc)}") from exc
    columns = {name: ctype for name, ctype, *_ in described if name != "file_row_number"}
    return source, columns, line


def _first_line(exc: Exception) -> str:
    return str(exc).strip().splitlines()[0]


# --- the rules, compiled to SQL -------------------------------------------------------------


def _typed(col: Column, src_type: str | None) -> str:
    """SQL for the column's typed value (NULL when absent or not of the contract's type)."""
    if src_type is None:
        return f"CAST(NULL AS {SQL_TYPES[col.type]})"
    c = q(col.name)
    text = src_type == "VARCHAR"
    if col.type == "text":
        return f"nullif(trim({c}), '')" if text else f"CAST({c} AS VARCHAR)"
    if col.type == "int":
        if text:
            return (
                f"CASE WHEN regexp_full_match(trim({c}), '{_INTEGER}') "
                f"THEN TRY_CAST(trim({c}) AS BIGINT) END"
            )
        if src_type in _INT_TYPES:
            return f"TRY_CAST({c} AS BIGINT)"
        if src_type in _FLOAT_TYPES or src_type.startswith("DECIMAL"):
            return f"CASE WHEN {c} = round({c}) THEN TRY_CAST({c} AS BIGINT) END"
        raise FileRefusedError(f"column {col.name!r} has type {src_type}; an integer is required")
    if col.type == "number":
        if text:
            number = f"TRY_CAST(trim({c}) AS DOUBLE)"
            return f"CASE WHEN isfinite({number}) THEN {number} END"
        if src_type in _INT_TYPES or src_type in _FLOAT_TYPES or src_type.startswith("DECIMAL"):
            return f"CASE WHEN isfinite(CAST({c} AS DOUBLE)) THEN CAST({c} AS DOUBLE) END"
        raise FileRefusedError(f"column {col.name!r} has type {src_type}; a number is required")
    if col.type == "timestamp":
        if text:
            # A timestamp without an offset is read in the session time zone, China time.
            return (
                f"CASE WHEN regexp_full_match(trim({c}), '{_ISO_TIMESTAMP}') "
                f"THEN TRY_CAST(trim({c}) AS TIMESTAMPTZ) END"
            )
        if src_type.startswith("TIMESTAMP"):
            return f"CAST({c} AS TIMESTAMPTZ)"
        raise FileRefusedError(f"column {col.name!r} has type {src_type}; a timestamp is required")
    if col.type == "date":
        if text:
            return (
                f"CASE WHEN regexp_full_match(trim({c}), '{_ISO_DATE}') "
                f"THEN TRY_CAST(trim({c}) AS DATE) END"
            )
        if src_type == "DATE":
            return c
        raise FileRefusedError(f"column {col.name!r} has type {src_type}; a date is required")
    raise AssertionError(col.type)


SQL_TYPES = {
    "text": "VARCHAR",
    "int": "BIGINT",
    "number": "DOUBLE",
    "timestamp": "TIMESTAMPTZ",
    "date": "DATE",
}

_TYPE_WORDS = {
    "int": "is not a whole number",
    "number": "is not a number",
    "timestamp": "is not an ISO 8601 timestamp",
    "date": "is not a YYYY-MM-DD date",
    "text": "is not text",
}


def _checks(table: Table, columns: dict[str, str]) -> list[tuple[str, str, str]]:
    """(column, SQL condition that marks a bad row, reason) in the order they are tried."""
    checks: list[tuple[str, str, str]] = []
    for col in table.columns:
        raw, v = q(col.name), q(f"{col.name}__v")
        present = col.name in columns
        if not present:
            continue  # an optional column the file does not have
        is_text = columns[col.name] == "VARCHAR"
        blank = f"({raw} IS NULL OR trim({raw}) = '')" if is_text else f"{raw} IS NULL"
        if col.required:
            checks.append((col.name, blank, "missing required value"))
        checks.append((col.name, f"NOT {blank} AND {v} IS NULL", _TYPE_WORDS[col.type]))
        if col.min_value is not None:
            checks.append((col.name, f"{v} < {col.min_value!r}", f"must be ≥ {col.min_value:g}"))
        if col.above is not None:
            checks.append((col.name, f"{v} <= {col.above!r}", f"must be > {col.above:g}"))
        if col.max_value is not None:
            checks.append((col.name, f"{v} > {col.max_value!r}", f"must be ≤ {col.max_value:g}"))
        if col.allowed:
            where = _code_list(col.allowed)
            checks.append(
                (col.name, f"{v} NOT IN (SELECT code FROM codes WHERE list = '{where}')",
                 _unknown_code_reason(col.allowed))
            )  # fmt: skip
        if col.references:
            ref_table, ref_col = col.references.split(".")
            checks.append(
                (col.name,
                 f"{v} NOT IN (SELECT key FROM known_keys WHERE table_name = '{ref_table}')",
                 f"no such {ref_col} in {ref_table}")
            )  # fmt: skip
    for col_name, predicate, reason in table.row_rules:
        typed = predicate.format_map({c.name: q(f"{c.name}__v") for c in table.columns})
        checks.append((col_name, f"NOT ({typed})", reason))
    return checks


def _code_list(allowed: str) -> str:
    return allowed.removeprefix("reference:")


def _unknown_code_reason(allowed: str) -> str:
    if allowed.startswith("reference:"):
        return f"unknown code (not in the methodology's {_code_list(allowed)}.csv)"
    return f"unknown code (not one of the contract's {allowed.replace('_', ' ')})"


def _error_case(checks: list[tuple[str, str, str]]) -> str:
    whens = "\n".join(
        f"    WHEN {cond} THEN {{'column_name': {sql_literal(col)}, "
        f"'reason': {sql_literal(reason)}, 'value': CAST({q(col)} AS VARCHAR)}}"
        for col, cond, reason in checks
    )
    return f"CASE\n{whens}\n  END"


# --- loading --------------------------------------------------------------------------------


class Loader:
    """One load: a work connection, the known keys, and the files written to the lake."""

    def __init__(
        self,
        con: duckdb.DuckDBPyConnection,
        warehouse_root: Path,
        load_number: int,
        reference: Reference,
        existing_files: dict[str, list[LakeFile]],
    ) -> None:
        self.con = con
        self.root = warehouse_root
        self.load_number = load_number
        self.files: dict[str, list[LakeFile]] = {
            t.name: list(existing_files.get(t.name, [])) for t in TABLES
        }
        self.new_files: list[LakeFile] = []
        self._file_index = 0
        con.execute("CREATE OR REPLACE TEMP TABLE codes (list VARCHAR, code VARCHAR)")
        lists = dict(CODE_LISTS)
        lists["actions"] = tuple(reference.action_codes)
        lists["species"] = tuple(reference.species_codes)
        for name, codes in lists.items():
            con.execute("INSERT INTO codes SELECT ?, unnest(?::VARCHAR[])", [name, list(codes)])
        con.execute("CREATE OR REPLACE TEMP TABLE known_keys (table_name VARCHAR, key VARCHAR)")
        for ref_table in ("projects", "protected_areas"):
            key = TABLES_BY_NAME[ref_table].key[0]
            paths = [str(self.root / f.path) for f in self.files[ref_table]]
            if paths:
                con.execute(
                    f"INSERT INTO known_keys SELECT ?, {q(key)} FROM read_parquet(?::VARCHAR[])",
                    [ref_table, paths],
                )
        con.execute(
            "CREATE OR REPLACE TEMP TABLE new_rejects (table_name VARCHAR, file VARCHAR, "
            "line BIGINT, column_name VARCHAR, reason VARCHAR, value VARCHAR)"
        )

    def load_file(self, table: Table, path: Path, name: str) -> FileReport:
        """Validate one file, keep its rejects, write its new rows to the lake."""
        report = FileReport(table.name, name)
        con = self.con
        try:
            source, columns, line = _open_source(con, path)
            missing = [c for c in table.required if c not in columns]
            if missing:
                raise FileRefusedError(f"lacks required column {missing[0]!r}")
            extra = [c for c in columns if c not in table.names]
            if extra:
                report.warnings.append(f"extra column(s) ignored: {', '.join(extra)}")
            typed = ",\n  ".join(
                f"{_typed(c, columns.get(c.name))} AS {q(c.name + '__v')}" for c in table.columns
            )
            raw = ", ".join(q(c) for c in columns if c in table.names)
            checks = _checks(table, columns)
            # Only the line, the typed values and the verdict are kept: the raw values are
            # read once, for the rules and for the value a reject reports.
            kept = ", ".join(q(c.name + "__v") for c in table.columns)
            con.execute(
                f"""CREATE OR REPLACE TEMP TABLE f_checked AS
                SELECT _line, {kept}, _err FROM (
                  SELECT *, {_error_case(checks)} AS _err FROM (
                    SELECT {line} AS _line, {raw},
                    {typed}
                    FROM {source}))"""
            )
        except FileRefusedError as exc:
            report.refused = str(exc)
            return report
        except duckdb.Error as exc:
            report.refused = f"cannot be read: {_first_line(exc)}"
            return report
        structural = self._structural_rejects(path, table, name)
        report.rows_read = con.execute("SELECT count(*) FROM f_checked").fetchone()[0] + structural
        report.rejected = structural + self._rule_rejects(table, name)
        accepted, already, repeated = self._dedupe_and_write(table, name)
        report.accepted, report.already_loaded = accepted, already
        report.rejected += repeated
        return report

    def _structural_rejects(self, path: Path, table: Table, name: str) -> int:
        """Rows DuckDB's CSV reader could not split into the header's columns."""
        if path.suffix.lower() != ".csv":
            return 0
        exists = self.con.execute(
            "SELECT count(*) FROM duckdb_tables() WHERE table_name = 'csv_reject_errors'"
        ).fetchone()[0]
        if not exists:
            return 0
        rows = self.con.execute(
            "SELECT line, error_type, csv_line FROM csv_reject_errors ORDER BY line"
        ).fetchall()
        if not rows:
            return 0
        # The good rows were numbered without the rejected ones: renumber them to real lines.
        self.con.execute(
            """CREATE OR REPLACE TEMP TABLE line_map AS
            SELECT row_number() OVER (ORDER BY l) + 1 AS rn, l AS real_line
            FROM range(2, (SELECT count(*) FROM f_checked) + ? + 2) t(l)
            WHERE l NOT IN (SELECT unnest(?::BIGINT[]))""",
            [len(rows), [r[0] for r in rows]],
        )
        self.con.execute(
            "UPDATE f_checked SET _line = m.real_line FROM line_map m WHERE f_checked._line = m.rn"
        )
        reasons = {
            "TOO MANY COLUMNS": "row has more fields than the header",
            "MISSING COLUMNS": "row has fewer fields than the header",
            "INVALID ENCODING": "row is not valid UTF-8",
            "UNQUOTED VALUE": "badly quoted value",
        }
        for line, error_type, csv_line in rows:
            self.con.execute(
                "INSERT INTO new_rejects VALUES (?, ?, ?, NULL, ?, ?)",
                [table.name, name, line, reasons.get(error_type, error_type.lower()), csv_line],
            )
        return len(rows)

    def _rule_rejects(self, table: Table, name: str) -> int:
        self.con.execute(
            """INSERT INTO new_rejects
            SELECT ?, ?, _line, _err.column_name, _err.reason, _err.value
            FROM f_checked WHERE _err IS NOT NULL""",
            [table.name, name],
        )
        return self.con.execute("SELECT count(*) FROM f_checked WHERE _err IS NOT NULL").fetchone()[
            0
        ]

    def _dedupe_and_write(self, table: Table, name: str) -> tuple[int, int, int]:
        """Reject repeats of a key within the file, skip keys already loaded, write the rest.

        Repeats are found with one hash aggregate (keys seen more than once, and the line each
        was first seen at); the rows are then filtered against that usually empty table.
        Returns (accepted, already loaded, repeats rejected).
        """
        con = self.con
        key = " || chr(31) || ".join(q(f"{k}__v") for k in table.key)
        con.execute(
            f"""CREATE OR REPLACE TEMP TABLE f_repeats AS
            SELECT {key} AS _key, min(_line) AS _first FROM f_checked
            WHERE _err IS NULL GROUP BY ALL HAVING count(*) > 1"""
        )
        key_label = " + ".join(table.key)
        repeated = con.execute(
            f"""INSERT INTO new_rejects
            SELECT ?, ?, c._line, ?, 'duplicate ' || ? || ' within the file (first at line '
                   || r._first || ')', r._key
            FROM f_checked AS c JOIN f_repeats AS r ON {key} = r._key
            WHERE c._err IS NULL AND c._line > r._first""",
            [table.name, name, table.key[0], key_label],
        ).fetchone()[0]
        values = ", ".join(f"{q(c.name + '__v')} AS {q(c.name)}" for c in table.columns)
        derived = ""
        if table.partition_by:
            ts = q(table.partition_by + "__v")
            derived = f", CAST(timezone('{LOCAL_TZ}', {ts}) AS DATE) AS day"
        firsts = f"""SELECT {values}{derived} FROM f_checked AS c
            WHERE _err IS NULL AND NOT EXISTS (
              SELECT 1 FROM f_repeats AS r WHERE r._key = {key} AND c._line > r._first)"""
        if table.partition_by:
            firsts = f"SELECT *, strftime(day, '%Y-%m') AS month FROM ({firsts})"
        existing = self._existing_paths(table)
        key_expr = " || chr(31) || ".join(q(k) for k in table.key)
        if existing:
            con.execute(
                f"""CREATE OR REPLACE TEMP TABLE f_new AS
                SELECT * FROM ({firsts}) WHERE {key_expr} NOT IN (
                  SELECT {key_expr} FROM read_parquet(?::VARCHAR[]))""",
                [existing],
            )
        else:
            con.execute(f"CREATE OR REPLACE TEMP TABLE f_new AS {firsts}")
        valid = con.execute("SELECT count(*) FROM f_checked WHERE _err IS NULL").fetchone()[0]
        candidates = valid - repeated
        accepted = con.execute("SELECT count(*) FROM f_new").fetchone()[0]
        if accepted:
            self._write_lake(table)
            if table.name in ("projects", "protected_areas"):
                con.execute(
                    f"INSERT INTO known_keys SELECT ?, {q(table.key[0])} FROM f_new", [table.name]
                )
        return accepted, candidates - accepted, repeated

    def _existing_paths(self, table: Table) -> list[str]:
        files = self.files[table.name]
        if table.partition_by and files:
            # The months between the file's first and last valid row (an aggregate, not a
            # distinct over every row): only their lake files can hold one of its keys.
            ts = q(table.partition_by + "__v")
            first, last = self.con.execute(
                f"SELECT strftime(min(timezone('{LOCAL_TZ}', {ts})), '%Y-%m'), "
                f"strftime(max(timezone('{LOCAL_TZ}', {ts})), '%Y-%m') "
                "FROM f_checked WHERE _err IS NULL"
            ).fetchone()
            if first is None:
                return []
            files = [f for f in files if f.month and first <= f.month <= last]
        return [str(self.root / f.path) for f in files]

    def _write_lake(self, table: Table) -> None:
        self._file_index += 1
        stem = f"L{self.load_number:06d}-{self._file_index:04d}"
        rel_dir = Path("lake") / table.name
        (self.root / rel_dir).mkdir(parents=True, exist_ok=True)
        if table.partition_by:
            counts = self.con.execute(
                "SELECT month, count(*) FROM f_new GROUP BY month ORDER BY month"
            ).fetchall()
            for month, rows in counts:
                rel = rel_dir / f"month={month}" / f"{stem}.parquet"
                (self.root / rel).parent.mkdir(parents=True, exist_ok=True)
                self.con.execute(
                    f"COPY (SELECT * FROM f_new WHERE month = ?) "
                    f"TO {sql_literal(str(self.root / rel))} (FORMAT parquet, COMPRESSION zstd)",
                    [month],
                )
                self._add(LakeFile(table.name, str(rel), month, rows))
        else:
            rel = rel_dir / f"{stem}.parquet"
            rows = self.con.execute("SELECT count(*) FROM f_new").fetchone()[0]
            self.con.execute(
                f"COPY f_new TO {sql_literal(str(self.root / rel))} "
                "(FORMAT parquet, COMPRESSION zstd)"
            )
            self._add(LakeFile(table.name, str(rel), None, rows))

    def _add(self, lake_file: LakeFile) -> None:
        self.files[lake_file.table].append(lake_file)
        self.new_files.append(lake_file)

    def discard_new_files(self) -> None:
        """Remove what this load wrote to the lake (a failed load leaves no trace)."""
        for f in self.new_files:
            (self.root / f.path).unlink(missing_ok=True)


def load_folder(
    loader: Loader,
    folder: Path,
    files: Iterable[tuple[Table, Path]],
    on_file: Callable[[FileReport], None] | None = None,
) -> list[FileReport]:
    """Load each recognised file of a folder in turn; report each as it is done."""
    reports = []
    for table, path in files:
        report = loader.load_file(table, path, str(path.relative_to(folder)))
        reports.append(report)
        if on_file:
            on_file(report)
    return reports
