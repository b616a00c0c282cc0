"""Files → validated lake rows + rejects, per docs/CONTRACT.md (Inputs, Bad rows).

Each file is read by DuckDB's own CSV or Parquet reader (all CSV values as text, so that a bad
value becomes a reject instead of a failed file), checked against the rules compiled from
`greenstats.contract`, de-duplicated by its unique key, and its accepted rows are written to
the lake as new Parquet files; a Parquet file is streamed through these steps, never held
whole. The snapshot that lists them is built and published by `greenstats.build`; until then
nothing a reader sees has changed.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from greenstats.contract import (
    CODE_LISTS,
    LOCAL_TZ,
    REJECT_RULES,
    TABLES,
    TABLES_BY_NAME,
    TYPE_RULES,
    Column,
    Table,
    code_rule,
    reference_rule,
)
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


#: DuckDB's CSV error types and the rule a row that has one breaks (others: unreadable_row).
_CSV_ERROR_RULES = {
    "TOO MANY COLUMNS": "too_many_fields",
    "MISSING COLUMNS": "too_few_fields",
    "INVALID ENCODING": "bad_encoding",
    "UNQUOTED VALUE": "bad_quoting",
}

SQL_TYPES = {
    "text": "VARCHAR",
    "int": "BIGINT",
    "number": "DOUBLE",
    "timestamp": "TIMESTAMPTZ",
    "date": "DATE",
}


@dataclass(frozen=True)
class Check:
    """One rule a row must meet: the column a reject names, the SQL condition that marks a bad
    row, the rule's code (contract.REJECT_RULES) and its parameters."""

    column: str
    condition: str
    rule: str
    detail: dict[str, str] = field(default_factory=dict)

    @property
    def reason(self) -> str:
        """The reason in English, as the rejects table stores it."""
        return REJECT_RULES[self.rule].format(**self.detail)


def _checks(table: Table, columns: dict[str, str]) -> list[Check]:
    """The rules a row of the file must meet, in the order they are tried."""
    checks: list[Check] = []
    for col in table.columns:
        raw, v = q(col.name), q(f"{col.name}__v")
        present = col.name in columns
        if not present:
            continue  # an optional column the file does not have
        is_text = columns[col.name] == "VARCHAR"
        blank = f"({raw} IS NULL OR trim({raw}) = '')" if is_text else f"{raw} IS NULL"
        if col.type == "text" and is_text:
            # Text is its own typed value, trimmed, NULL exactly when blank: no type check.
            blank = f"{v} IS NULL"
        if col.required:
            checks.append(Check(col.name, blank, "missing"))
        if not (col.type == "text" and is_text):
            checks.append(Check(col.name, f"NOT {blank} AND {v} IS NULL", TYPE_RULES[col.type]))
        if col.min_value is not None:
            bound = {"bound": f"{col.min_value:g}"}
            checks.append(Check(col.name, f"{v} < {col.min_value!r}", "below_min", bound))
        if col.above is not None:
            bound = {"bound": f"{col.above:g}"}
            checks.append(Check(col.name, f"{v} <= {col.above!r}", "not_above", bound))
        if col.max_value is not None:
            bound = {"bound": f"{col.max_value:g}"}
            checks.append(Check(col.name, f"{v} > {col.max_value!r}", "above_max", bound))
        if col.allowed:
            where = _code_list(col.allowed)
            checks.append(
                Check(col.name, f"{v} NOT IN (SELECT code FROM codes WHERE list = '{where}')",
                      code_rule(col.allowed))
            )  # fmt: skip
        if col.references:
            ref_table = col.references.split(".")[0]
            checks.append(
                Check(col.name,
                      f"{v} NOT IN (SELECT key FROM known_keys WHERE table_name = '{ref_table}')",
                      reference_rule(col.references))
            )  # fmt: skip
    for row_rule in table.row_rules:
        typed = row_rule.predicate.format_map({c.name: q(f"{c.name}__v") for c in table.columns})
        checks.append(Check(row_rule.column, f"NOT ({typed})", row_rule.rule))
    return checks


def _code_list(allowed: str) -> str:
    return allowed.removeprefix("reference:")


def _detail(detail: dict[str, str]) -> str | None:
    """A reject's parameters as the JSON text the rejects table stores (None: it has none)."""
    return (
        json.dumps(detail, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
        if detail
        else None
    )


def _error_case(checks: list[Check]) -> str:
    def struct(c: Check) -> str:
        detail = _detail(c.detail)
        return (
            f"{{'column_name': {sql_literal(c.column)}, 'reason': {sql_literal(c.reason)}, "
            f"'value': CAST({q(c.column)} AS VARCHAR), 'rule': {sql_literal(c.rule)}, "
            f"'detail': {sql_literal(detail) if detail else 'CAST(NULL AS VARCHAR)'}}}"
        )

    whens = "\n".join(f"    WHEN {c.condition} THEN {struct(c)}" for c in checks)
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
            "line BIGINT, column_name VARCHAR, reason VARCHAR, value VARCHAR, rule VARCHAR, "
            "detail VARCHAR)"
        )

    def load_file(self, table: Table, path: Path, name: str) -> FileReport:
        """Validate one file, keep its rejects, write its new rows to the lake.

        A Parquet file is streamed: it is read once to find the rows that break a rule (few,
        kept in f_bad), once to find keys it repeats (a hash aggregate that keeps only the
        repeats) and once more by the COPY that writes its good rows to the lake; nothing of the
        size of the file is held. A CSV file is first read into a table of its raw text (its
        lines numbered in file order) and then checked the same way.
        """
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
            numbered = f"SELECT {line} AS _line, {raw} FROM {source}"
            src, structural = f"({numbered})", 0
            if path.suffix.lower() == ".csv":
                # Read once, in file order: its lines are numbered by position.
                con.execute(f"CREATE OR REPLACE TEMP TABLE f_src AS {numbered}")
                src = "f_src"
                structural = self._structural_rejects(table, name)
            checked = f"(SELECT _line, {raw},\n  {typed}\n  FROM {src})"
            con.execute(
                f"""CREATE OR REPLACE TEMP TABLE f_bad AS
                SELECT _line, _err FROM (
                  SELECT _line, {_error_case(checks)} AS _err FROM {checked})
                WHERE _err IS NOT NULL"""
            )
        except FileRefusedError as exc:
            report.refused = str(exc)
            return report
        except duckdb.Error as exc:
            report.refused = f"cannot be read: {_first_line(exc)}"
            return report
        bad = self._rule_rejects(table, name)
        valid = checked
        if bad:
            valid = f"(SELECT * FROM {checked} WHERE _line NOT IN (SELECT _line FROM f_bad))"
        good, months = self._valid_rows(table, valid)
        report.rows_read = structural + bad + good
        accepted, already, repeated = self._dedupe_and_write(table, name, valid, good, months)
        report.rejected = structural + bad + repeated
        report.accepted, report.already_loaded = accepted, already
        return report

    def _structural_rejects(self, table: Table, name: str) -> int:
        """Rows DuckDB's CSV reader could not split into the header's columns (f_src's lines
        are renumbered to the file's real lines around them)."""
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
            FROM range(2, (SELECT count(*) FROM f_src) + ? + 2) t(l)
            WHERE l NOT IN (SELECT unnest(?::BIGINT[]))""",
            [len(rows), [r[0] for r in rows]],
        )
        self.con.execute(
            "UPDATE f_src SET _line = m.real_line FROM line_map m WHERE f_src._line = m.rn"
        )
        for line, error_type, csv_line in rows:
            rule = _CSV_ERROR_RULES.get(error_type, "unreadable_row")
            detail = {} if rule in _CSV_ERROR_RULES.values() else {"error": error_type.lower()}
            self.con.execute(
                "INSERT INTO new_rejects VALUES (?, ?, ?, NULL, ?, ?, ?, ?)",
                [table.name, name, line, REJECT_RULES[rule].format(**detail), csv_line, rule,
                 _detail(detail)],
            )  # fmt: skip
        return len(rows)

    def _rule_rejects(self, table: Table, name: str) -> int:
        return self.con.execute(
            """INSERT INTO new_rejects
            SELECT ?, ?, _line, _err.column_name, _err.reason, _err.value, _err.rule, _err.detail
            FROM f_bad""",
            [table.name, name],
        ).fetchone()[0]

    def _valid_rows(self, table: Table, valid: str) -> tuple[int, tuple[str, str] | None]:
        """How many rows break no rule, and (for a table partitioned by month) the first and
        last month they fall in, or None if there are none."""
        if not table.partition_by:
            return self.con.execute(f"SELECT count(*) FROM {valid}").fetchone()[0], None
        ts = q(table.partition_by + "__v")
        count, first, last = self.con.execute(
            f"SELECT count(*), strftime(timezone('{LOCAL_TZ}', min({ts})), '%Y-%m'), "
            f"strftime(timezone('{LOCAL_TZ}', max({ts})), '%Y-%m') FROM {valid}"
        ).fetchone()
        return count, (first, last) if first is not None else None

    def _dedupe_and_write(
        self,
        table: Table,
        name: str,
        valid: str,
        valid_rows: int,
        months: tuple[str, str] | None,
    ) -> tuple[int, int, int]:
        """Reject repeats of a key within the file, skip keys already loaded, write the rest.

        `valid` is the SQL of the file's rows that break no rule. Repeats are found with one
        hash aggregate that keeps only keys seen more than once (with the lines they are on);
        the rows are filtered against that usually empty table as they are written.
        Returns (accepted, already loaded, repeats rejected).
        """
        con = self.con
        if not valid_rows:
            return 0, 0, 0
        key = " || chr(31) || ".join(q(f"{k}__v") for k in table.key)
        con.execute(
            f"""CREATE OR REPLACE TEMP TABLE f_repeats AS
            SELECT {key} AS _key, min(_line) AS _first, list(_line) AS _lines FROM {valid}
            GROUP BY ALL HAVING count(*) > 1"""
        )
        key_label = " + ".join(table.key)
        repeated = 0
        if con.execute("SELECT count(*) FROM f_repeats").fetchone()[0]:
            repeated = con.execute(
                """INSERT INTO new_rejects
                SELECT ?, ?, line, ?, 'duplicate ' || ? || ' within the file (first at line '
                       || _first || ')', _key, 'duplicate_key',
                       json_object('first_line', CAST(_first AS VARCHAR), 'id', ?)::VARCHAR
                FROM (SELECT _key, _first, unnest(_lines) AS line FROM f_repeats)
                WHERE line > _first""",
                [table.name, name, table.key[0], key_label, key_label],
            ).fetchone()[0]
        values = ", ".join(f"{q(c.name + '__v')} AS {q(c.name)}" for c in table.columns)
        derived = ""
        if table.partition_by:
            ts = q(table.partition_by + "__v")
            derived = f", CAST(timezone('{LOCAL_TZ}', {ts}) AS DATE) AS day"
        firsts = f"SELECT {values}{derived} FROM {valid} AS c"
        if repeated:
            firsts += (
                f" WHERE NOT EXISTS (SELECT 1 FROM f_repeats AS r "
                f"WHERE r._key = {key} AND c._line > r._first)"
            )
        if table.partition_by:
            firsts = f"SELECT *, strftime(day, '%Y-%m') AS month FROM ({firsts})"
        existing = self._existing_paths(table, months)
        key_expr = " || chr(31) || ".join(q(k) for k in table.key)
        params: list = []
        if existing:
            firsts = f"""SELECT * FROM ({firsts}) WHERE {key_expr} NOT IN (
                  SELECT {key_expr} FROM read_parquet(?::VARCHAR[]))"""
            params = [existing]
        written = self._write_lake(table, firsts, params, months)
        accepted = sum(f.rows for f in written)
        if written and table.name in ("projects", "protected_areas"):
            con.execute(
                f"INSERT INTO known_keys SELECT ?, {q(table.key[0])} FROM read_parquet(?)",
                [table.name, [str(self.root / f.path) for f in written]],
            )
        return accepted, valid_rows - repeated - accepted, repeated

    def _existing_paths(self, table: Table, months: tuple[str, str] | None) -> list[str]:
        """The lake files that could already hold one of the file's keys: for a table
        partitioned by month, those of the months between its first and last valid row."""
        files = self.files[table.name]
        if table.partition_by:
            if months is None:
                return []
            files = [f for f in files if f.month and months[0] <= f.month <= months[1]]
        return [str(self.root / f.path) for f in files]

    def _write_lake(
        self, table: Table, rows_sql: str, params: list, months: tuple[str, str] | None
    ) -> list[LakeFile]:
        """COPY the rows to new lake files (one per month, if the table is partitioned);
        returns the files written, with their row counts (none if there were no rows).
        A file of one month, the usual case, is written without PARTITION_BY (a third faster)."""
        self._file_index += 1
        stem = f"L{self.load_number:06d}-{self._file_index:04d}"
        rel_dir = Path("lake") / table.name
        (self.root / rel_dir).mkdir(parents=True, exist_ok=True)
        options = "FORMAT parquet, COMPRESSION zstd, RETURN_STATS true"
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
