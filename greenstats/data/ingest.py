"""Files → validated lake rows + rejects, per docs/CONTRACT.md (Inputs, Bad rows).

Each file is read by DuckDB's own CSV or Parquet reader (all CSV values as text, so that a bad
value becomes a reject instead of a failed file), checked against the rules compiled from
`greenstats.data.contract`, de-duplicated by its unique key, and its accepted rows are written to
the lake as new Parquet files; a Parquet file is streamed through these steps, never held
whole. The snapshot that lists them is built and published by `greenstats.data.build`; until then
nothing a reader sees has changed.
"""

from __future__ import annotations

import json
import os
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from greenstats.data import csvfile, keyindex, pseudonym
from greenstats.data.contract import (
    BOM,
    CODE_LISTS,
    FUTURE_SLACK_DAYS,
    KEY_SPACE,
    LOCAL_TZ,
    MAX_OFFSET_MINUTES,
    REJECT_RULES,
    TABLES,
    TABLES_BY_NAME,
    TEXT_MAX_CHARS,
    TYPE_RULES,
    Column,
    Table,
    bound_text,
    code_rule,
    reference_rule,
)
from greenstats.data.keyindex import IndexFile, KeyIndex
from greenstats.data.methodology import Reference
from greenstats.data.paths import shown
from greenstats.data.warehouse import LakeFile, sql_literal

SUFFIXES = (".csv", ".parquet")

_ISO_TIMESTAMP = (
    r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?\s*(Z|z|[+-]\d{2}(:?\d{2})?)?"
)
_ISO_DATE = r"\d{4}-\d{2}-\d{2}"
_INTEGER = r"[+-]?\d+"
_NUMBER = r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?"
#: An offset at the end of a timestamp: sign, hours, optional minutes.
_OFFSET = r"([+-])(\d{2}):?(\d{2})?$"
#: Text without the characters a text value may not hold: C0 controls (line breaks, tabs, NUL),
#: DEL and the C1 controls U+0080-U+009F (NEL, CSI…: a terminal acts on them, a PDF font has
#: no glyph for them).
_NOT_CONTROL = r"[^\x00-\x1f\x7f-\x9f]*"
#: What a text value is trimmed of at either end.
_TRIM = " \t\r\n"
#: Characters DuckDB's readers take for a glob pattern: a file named with one is read through a
#: link with a plain name (a file name is never a pattern).
_GLOB_CHARS = set("*?[]{}\\")
#: Rows sent to DuckDB at a time by the row-by-row CSV reader.
_BATCH_ROWS = 50_000
#: A CSV file of at most this many bytes is small: consecutive small files of one table with
#: one header are read and checked together (`Loader.load_small_csvs`), and their rows go to
#: one lake file per month. Checked one by one, each cost about 0.26 s of statements (10,000
#: one-row files: 43 minutes, and 10,000 lake files).
SMALL_FILE_BYTES = 256 * 1024
#: The most bytes of small files read and checked together.
SMALL_BATCH_BYTES = 32 * 1024 * 1024

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
    """The files of an input folder that name a contract table, in load order, and the rest;
    `refused`: those that name a table but cannot be taken (see discover), each with why."""

    files: list[tuple[Table, Path]]
    ignored: list[Path]
    refused: list[FileReport] = field(default_factory=list)


def discover(folder: Path) -> Discovery:
    """Find `<table>.csv|.parquet` and `<table>/*.csv|*.parquet` in load order.

    Refused here, each with a report saying why and what to do, while the other files load:
    a file whose name is not UTF-8 (a zip made on Windows in China names its files in GBK),
    which no reader, report or terminal could take; and a symbolic link, file or table folder,
    that leads out of the folder (only what the folder holds is loaded: a link to /etc/passwd
    is not read). A link that stays inside the folder is followed.
    """
    files: list[tuple[Table, Path]] = []
    refused: list[FileReport] = []
    recognised: set[Path] = set()
    inside = folder.resolve()

    def why_not(path: Path, what: str) -> str | None:
        name = path.relative_to(folder)
        if shown(name) != str(name):
            try:
                gbk = os.fsencode(path.name).decode("gb18030")
                read = f" (in GBK, as a zip made on Windows names files, it reads {gbk})"
            except UnicodeDecodeError:
                read = ""
            return f"its name is not UTF-8 text{read}: rename it and load it again"
        if not path.resolve().is_relative_to(inside):
            copy = "the file" if what == "file" else "its files"
            return (
                f"is a link to a {what} outside the input folder, and only what the folder "
                f"holds is loaded: copy {copy} into the folder instead of linking to it"
            )
        return None

    def take(table: Table, path: Path, what: str = "file") -> bool:
        recognised.add(path)
        why = why_not(path, what)
        if why is not None:
            refused.append(FileReport(table.name, shown(path.relative_to(folder)), refused=why))
        elif what == "file":
            files.append((table, path))
        return why is None

    for table in TABLES:
        for suffix in SUFFIXES:
            single = folder / f"{table.name}{suffix}"
            if single.is_file():
                take(table, single)
        part_dir = folder / table.name
        if part_dir.is_dir() and take(table, part_dir, "folder"):
            for part in sorted(part_dir.iterdir()):
                # A hidden part (a macOS "._x.csv", an editor's lock file) is not data.
                hidden = part.name.startswith(".")
                if part.is_file() and not hidden and part.suffix.lower() in SUFFIXES:
                    take(table, part)
    ignored = sorted(
        p
        for p in folder.rglob("*")
        if p.is_file() and p not in recognised and not _hidden(p, folder)
    )
    return Discovery(files, ignored, refused)


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


def _open_parquet(con: duckdb.DuckDBPyConnection, path: Path) -> tuple[str, dict[str, str], str]:
    """The SQL source of a Parquet file, its columns with types, and the expression for its
    line (its row's position, the first row being line 1)."""
    twice = column_named_twice(path)
    if twice:
        raise FileRefusedError(twice)
    source = _parquet_reader(path)
    try:
        described = con.execute(f"DESCRIBE SELECT * FROM {source}").fetchall()
    except duckdb.Error as exc:
        raise FileRefusedError(f"cannot be read: {_first_line(exc)}") from exc
    columns = {name: ctype for name, ctype, *_ in described if name != "file_row_number"}
    return source, columns, "file_row_number + 1"


def column_named_twice(path: Path) -> str | None:
    """Why a Parquet file is refused whose schema names a column twice (DuckDB's reader would
    rename the second `energy_g_1` and load the first; a CSV file's header is refused so too),
    or None. Read from the footer; a file that cannot be read is left to the reader."""
    try:
        names = pq.read_schema(path).names
    except Exception:  # pyarrow's errors are of many classes: the reader says why
        return None
    seen: set[str] = set()
    for name in names:
        if name in seen:
            return f"its schema names column {name!r} twice"
        seen.add(name)
    return None


def lacks_column(table: Table, columns: Iterable[str]) -> str | None:
    """Why a file whose columns are these is refused: the first required column it lacks."""
    missing = [c for c in table.required if c not in columns]
    return f"lacks required column {missing[0]!r}" if missing else None


def extra_columns(table: Table, columns: Iterable[str]) -> str | None:
    """The warning for a file's columns the table does not have (None: it has none)."""
    extra = [c or "(unnamed)" for c in columns if c not in table.names]
    return f"extra column(s) ignored: {', '.join(extra)}" if extra else None


def code_lists(reference: Reference) -> dict[str, tuple[str, ...]]:
    """Every code list a column may be checked against: the contract's and the methodology's
    (actions, species), by name."""
    return {**CODE_LISTS, "actions": tuple(reference.action_codes),
            "species": tuple(reference.species_codes)}  # fmt: skip


def _first_line(exc: Exception) -> str:
    return str(exc).strip().splitlines()[0]


# --- the rules, compiled to SQL -------------------------------------------------------------


def _trimmed(value: str, chars: str = _TRIM) -> str:
    """SQL for a text value without spaces, tabs and line breaks (or other ASCII `chars`) at
    either end. Most values have none, and only those are passed to trim(), which is slow with
    a set of characters (this is faster than DuckDB's plain trim(), which strips spaces only)."""
    return (
        f"CASE WHEN ascii({value}) <= 32 OR ascii({value}[-1]) <= 32 "
        f"THEN trim({value}, {sql_literal(chars)}) ELSE {value} END"
    )


def _char_class(chars: str) -> str:
    """A class of a regular expression of these characters, runs written as ranges (RE2 and
    Java read `\\x{…}` alike)."""
    codes = sorted({ord(c) for c in chars})
    runs: list[list[int]] = []
    for code in codes:
        if runs and code == runs[-1][1] + 1:
            runs[-1][1] = code
        else:
            runs.append([code, code])
    return (
        "["
        + "".join(f"\\x{{{a:X}}}" if a == b else f"\\x{{{a:X}}}-\\x{{{b:X}}}" for a, b in runs)
        + "]"
    )


#: KEY_SPACE as a class of a regular expression.
_KEY_SPACE_CLASS = _char_class(KEY_SPACE)
#: An integral decimal (contract.INTEGRAL_DECIMAL) with its integer as group 1.
_INTEGRAL_CUT = r"^([+-]?\d+)\.0*$"


def _canonical(value: str) -> str:
    """SQL for an identifier's canonical form (contract.canonical_key). Most values are ASCII
    (`strlen`, the bytes, equals `length`, the characters): they only need the ASCII trim of
    `_trimmed`, and, when they hold a point, to be cut to their integer if they are an integral
    decimal (`9002.0`). Any other loses its BOMs and the Unicode white space at either end in
    one regular expression (the BOM is white space to it), is brought to NFC and cut so too.
    Short on purpose: each pattern is compiled when a statement is planned, and a load plans
    its statements once a file (a form with three long patterns cost 45 ms a file more)."""
    ascii_space = "".join(ch for ch in KEY_SPACE if ord(ch) < 128)
    trimmed = _trimmed(value, ascii_space)
    ends = f"'^{_KEY_SPACE_CLASS}+|{_KEY_SPACE_CLASS}+$|\\x{{{ord(BOM):X}}}'"
    unicode = f"nfc_normalize(regexp_replace({value}, {ends}, '', 'g'))"
    return (
        f"CASE WHEN strlen({value}) = length({value}) THEN (CASE WHEN contains({value}, '.') "
        f"THEN regexp_replace({trimmed}, '{_INTEGRAL_CUT}', '\\1') ELSE {trimmed} END) "
        f"ELSE regexp_replace({unicode}, '{_INTEGRAL_CUT}', '\\1') END"
    )


def _typed(col: Column, src_type: str | None) -> str:
    """SQL for the column's typed value (NULL when absent or not of the contract's type)."""
    if src_type is None:
        return f"CAST(NULL AS {SQL_TYPES[col.type]})"
    c = q(col.name)
    if src_type == HASHED:
        return c  # a user id's pseudonym, read so (NULL when blank)
    text = src_type == "VARCHAR"
    t = _trimmed(c)
    if col.type == "text" and col.is_identifier:
        if text:
            return f"nullif({_canonical(c)}, '')"
        if src_type in _FLOAT_TYPES or src_type.startswith("DECIMAL"):
            # 9002.0 is the id 9002 (pandas writes integer ids as floats): written as its
            # integer, as the canonical form of the text "9002.0" is.
            return (
                f"CASE WHEN {c} = round({c}) AND abs({c}) < 1e18 "
                f"THEN CAST(CAST({c} AS BIGINT) AS VARCHAR) ELSE TRY_CAST({c} AS VARCHAR) END"
            )
        return f"TRY_CAST({c} AS VARCHAR)"
    if col.type == "text":
        return f"nullif({t}, '')" if text else f"TRY_CAST({c} AS VARCHAR)"
    if col.type == "int":
        if text:
            return (
                f"CASE WHEN regexp_full_match({t}, '{_INTEGER}') THEN TRY_CAST({t} AS BIGINT) END"
            )
        if src_type in _INT_TYPES:
            return f"TRY_CAST({c} AS BIGINT)"
        if src_type in _FLOAT_TYPES or src_type.startswith("DECIMAL"):
            # NaN and infinity pass `= round()` but cannot be cast to BIGINT: NULL, not_int.
            return f"CASE WHEN {c} = round({c}) THEN TRY_CAST({c} AS BIGINT) END"
        raise FileRefusedError(f"column {col.name!r} has type {src_type}; an integer is required")
    if col.type == "number":
        if text:
            number = f"TRY_CAST({t} AS DOUBLE)"
            return (
                f"CASE WHEN regexp_full_match({t}, '{_NUMBER}') AND isfinite({number}) "
                f"THEN {number} END"
            )
        if src_type in _INT_TYPES or src_type in _FLOAT_TYPES or src_type.startswith("DECIMAL"):
            return f"CASE WHEN isfinite(CAST({c} AS DOUBLE)) THEN CAST({c} AS DOUBLE) END"
        raise FileRefusedError(f"column {col.name!r} has type {src_type}; a number is required")
    if col.type == "timestamp":
        if text:
            # A timestamp without an offset is read in the session time zone, China time.
            return (
                f"CASE WHEN regexp_full_match({t}, '{_ISO_TIMESTAMP}') "
                f"THEN TRY_CAST({t} AS TIMESTAMPTZ) END"
            )
        if src_type in ("TIMESTAMP_NS", "TIMESTAMPTZ_NS"):
            # Nanoseconds are cut to the microsecond, as the text's are (a cast would round
            # 23:59:59.999999999 up into the next day). A TIMESTAMP_NS without a zone is China
            # time, as a TIMESTAMP is.
            micros = f"((epoch_ns({c}) - (epoch_ns({c}) % 1000 + 1000) % 1000) // 1000)"
            if src_type == "TIMESTAMP_NS":
                return f"CAST(make_timestamp({micros}) AS TIMESTAMPTZ)"
            return f"timezone('UTC', make_timestamp({micros}))"
        if src_type.startswith("TIMESTAMP"):
            # ±infinity is caught by the column's bounds (every timestamp column has them).
            return f"CAST({c} AS TIMESTAMPTZ)"
        raise FileRefusedError(f"column {col.name!r} has type {src_type}; a timestamp is required")
    if col.type == "date":
        if text:
            return f"CASE WHEN regexp_full_match({t}, '{_ISO_DATE}') THEN TRY_CAST({t} AS DATE) END"
        if src_type == "DATE":
            return c  # ±infinity is caught by the column's bounds
        raise FileRefusedError(f"column {col.name!r} has type {src_type}; a date is required")
    raise AssertionError(col.type)


def _bad_offset(col: Column) -> str:
    """SQL that is true when a text timestamp's UTC offset is outside ±14:00 (or its minutes
    are not a minute of an hour)."""
    t = _trimmed(q(col.name))
    hours = f"TRY_CAST(regexp_extract({t}, '{_OFFSET}', 2) AS INTEGER)"
    minutes = f"coalesce(TRY_CAST(nullif(regexp_extract({t}, '{_OFFSET}', 3), '') AS INTEGER), 0)"
    return (
        f"(regexp_full_match({t}, '{_ISO_TIMESTAMP}') AND regexp_matches({t}, '{_OFFSET}') "
        f"AND ({minutes} >= 60 OR {hours} * 60 + {minutes} > {MAX_OFFSET_MINUTES}))"
    )


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


def _day_bounds(col: Column, load_day: date) -> tuple[date | None, date | None]:
    """The first and last day a date or timestamp column allows."""
    latest = col.latest
    if latest == "load":
        latest = load_day + timedelta(days=FUTURE_SLACK_DAYS)
    return col.earliest, latest


def _checks(table: Table, columns: dict[str, str], load_day: date) -> list[Check]:
    """The rules a row of the file must meet, in the order they are tried."""
    checks: list[Check] = []
    for col in table.columns:
        raw, v = q(col.name), q(f"{col.name}__v")
        present = col.name in columns
        if not present:
            continue  # an optional column the file does not have
        hashed = columns[col.name] == HASHED
        is_text = columns[col.name] == "VARCHAR" or hashed
        trimmed = _trimmed(raw)
        blank = f"({raw} IS NULL OR {trimmed} = '')" if is_text else f"{raw} IS NULL"
        if col.type == "text" and is_text:
            # Text is its own typed value, trimmed, NULL exactly when blank: no type check.
            blank = f"{v} IS NULL"
        if col.required:
            checks.append(Check(col.name, blank, "missing"))
        if col.type == "timestamp" and is_text:
            checks.append(Check(col.name, f"NOT {blank} AND {_bad_offset(col)}", "bad_offset"))
        if not (col.type == "text" and is_text):
            checks.append(Check(col.name, f"NOT {blank} AND {v} IS NULL", TYPE_RULES[col.type]))
        if col.min_value is not None:
            bound = {"bound": bound_text(col.min_value)}
            checks.append(Check(col.name, f"{v} < {col.min_value!r}", "below_min", bound))
        if col.above is not None:
            bound = {"bound": bound_text(col.above)}
            checks.append(Check(col.name, f"{v} <= {col.above!r}", "not_above", bound))
        if col.max_value is not None:
            bound = {"bound": bound_text(col.max_value)}
            checks.append(Check(col.name, f"{v} > {col.max_value!r}", "above_max", bound))
        first, last = _day_bounds(col, load_day)
        if first is not None:
            limit = _day_start(first, col.type)
            checks.append(
                Check(col.name, f"{v} < {limit}", "too_early", {"bound": first.isoformat()})
            )
        if last is not None:
            limit = _day_start(last + timedelta(days=1), col.type)
            checks.append(
                Check(col.name, f"{v} >= {limit}", "too_late", {"bound": last.isoformat()})
            )
        if col in _free_text(table):
            bound = {"bound": bound_text(TEXT_MAX_CHARS)}
            chars = _chars_column(col.name) if hashed else f"length({v})"
            checks.append(Check(col.name, f"{chars} > {TEXT_MAX_CHARS}", "too_long", bound))
        if col in _shown_text(table):
            # _ctl (see _control_guard) is false for most rows, which skip the column's test.
            checks.append(Check(col.name, f"_ctl AND {_has_control(v)}", "control_char"))
        if col.allowed:
            where = _code_list(col.allowed)
            checks.append(
                Check(col.name,
                      f"{v} IS NOT NULL AND "
                      f"{v} NOT IN (SELECT code FROM codes WHERE list = '{where}')",
                      code_rule(col.allowed))
            )  # fmt: skip
        if col.references:
            # A blank optional reference is no reference: `NULL NOT IN (…)` is true when the
            # other table is empty (no projects loaded), so NULL is excluded first.
            ref_table = col.references.split(".")[0]
            checks.append(
                Check(col.name,
                      f"{v} IS NOT NULL AND "
                      f"{v} NOT IN (SELECT key FROM known_keys WHERE table_name = '{ref_table}')",
                      reference_rule(col.references))
            )  # fmt: skip
    for row_rule in table.row_rules:
        typed = row_rule.predicate.format_map({c.name: q(f"{c.name}__v") for c in table.columns})
        checks.append(Check(row_rule.column, f"NOT ({typed})", row_rule.rule))
    return checks


def _free_text(table: Table) -> list[Column]:
    """The text columns held to the length and control-character rules: those not checked
    against a code list or a loaded key (a code or key that passed is short and clean)."""
    return [c for c in table.columns if c.type == "text" and not c.allowed and not c.references]


def _shown_text(table: Table) -> list[Column]:
    """The free text columns held to the control-character rule: those a page can show (a
    line break or a tab breaks a label or a CSV download). The pseudonymous user_id and the
    ids of events, never shown, are left out: they are the bulk of the text of a large load,
    and the test costs a regular expression per value."""
    never_shown = {"user_id", *TABLES_BY_NAME["actions"].key, *TABLES_BY_NAME["redemptions"].key}
    return [c for c in _free_text(table) if c.name not in never_shown]


def _has_control(value: str) -> str:
    # A full match of the complement runs as one DFA pass: about 3× faster than a search.
    return f"NOT regexp_full_match({value}, '{_NOT_CONTROL}')"


def _control_guard(table: Table, columns: dict[str, str]) -> str:
    """SQL for `_ctl`: whether any free text value of the row holds a control character
    (one test per row; the rule then finds the column)."""
    values = [q(f"{c.name}__v") for c in _shown_text(table) if c.name in columns]
    if not values:
        return "false"
    if len(values) == 1:
        return "true"  # the column's own test is the only one: no guard needed
    return _has_control(f"concat({', '.join(values)})")


def _day_start(day: date, col_type: str) -> str:
    """SQL for the first instant of a day in China time (a timestamp column), or the day."""
    if col_type == "timestamp":
        return f"TIMESTAMPTZ '{day.isoformat()} 00:00:00+08:00'"
    return f"DATE '{day.isoformat()}'"


def _code_list(allowed: str) -> str:
    return allowed.removeprefix("reference:")


def _detail(detail: dict[str, str]) -> str | None:
    """A reject's parameters as the JSON text the rejects table stores (None: it has none)."""
    return (
        json.dumps(detail, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
        if detail
        else None
    )


def _shortened(value: str) -> str:
    """SQL for a value as a reject keeps it (see csvfile.shorten)."""
    n = csvfile.REJECT_VALUE_CHARS
    return f"CASE WHEN length({value}) > {n} THEN left({value}, {n}) || '…' ELSE {value} END"


def _stored(table: Table, col: Column, hashed: bool = False) -> str:
    """SQL for a column's value as the lake stores it: its typed value, a user id's pseudonym
    (`hashed`: the value read is already the pseudonym, see HASHED)."""
    v = q(f"{col.name}__v")
    if _is_user_id(table, col.name) and not hashed:
        return pseudonym.sql(v)
    return v


def _is_user_id(table: Table, column: str) -> bool:
    return column == "user_id" and table.name in pseudonym.TABLES_WITH_USERS


#: The "type" of a user id column read from a CSV file: the value is already its pseudonym,
#: and `_<column>_chars` the length of its canonical form (for the length rule). A CSV file is
#: read into a temporary table (f_src), which DuckDB spills to disk when memory runs short:
#: the raw ids are hashed as they are read, before anything can spill.
HASHED = "PSEUDONYM"


def _chars_column(column: str) -> str:
    return q(f"_{column}_chars")


def _hashed_read(table: Table, column: str, value: str) -> str:
    """SQL that reads a raw text value of a CSV file into f_src: a user id as its pseudonym and
    the length of its canonical form; any other value as it is."""
    if not _is_user_id(table, column):
        return f"{value} AS {q(column)}"
    canonical = f"nullif({_canonical(value)}, '')"
    return (
        f"{pseudonym.sql(canonical)} AS {q(column)}, length({canonical}) AS {_chars_column(column)}"
    )


def _raw(table: Table, columns: dict[str, str]) -> str:
    """SQL listing a file's columns that the table has (a hashed user id with its length)."""
    return ", ".join(
        q(c) + (f", {_chars_column(c)}" if t == HASHED else "")
        for c, t in columns.items()
        if c in table.names
    )


def _small_csv_header(table: Table, path: Path) -> list[str] | None:
    """The header of a small CSV file that can be read with others (load_small_csvs): one
    that csvfile reads and that has every required column; None for any other."""
    try:
        with csvfile.Reader(path) as reader:
            names = reader.header.names
    except (csvfile.CsvRefusedError, OSError):
        return None
    return names if lacks_column(table, names) is None else None


def _line_kept(table: Table, line: str | None) -> str:
    """A line that could not be split into columns, as its reject keeps it: shortened, or, in
    a table with user ids (which the line may hold anywhere), not at all."""
    if table.name in pseudonym.TABLES_WITH_USERS:
        return pseudonym.LINE_HIDDEN
    return csvfile.shorten(line or "")


def _error_case(checks: list[Check]) -> str:
    """SQL for the number of the first check a row fails (NULL: none). A number, not the
    reject itself: the short CASE plans in half the time, and a load plans it once a file."""
    whens = "\n".join(f"    WHEN {c.condition} THEN {i}" for i, c in enumerate(checks))
    return f"CASE\n{whens}\n  END"


def _failed_text(checks: list[Check]) -> str:
    """SQL for the value a failed check names (its column's, as text), by check number."""
    by_column: dict[str, list[int]] = {}
    for i, c in enumerate(checks):
        by_column.setdefault(c.column, []).append(i)
    whens = " ".join(
        f"WHEN _check IN ({', '.join(map(str, numbers))}) THEN TRY_CAST({q(column)} AS VARCHAR)"
        for column, numbers in by_column.items()
    )
    return f"CASE {whens} END"


def _failed_value(table: Table, checks: list[Check], columns: dict[str, str]) -> str:
    """SQL for the value a reject keeps of the check a row failed (by `_check`), from `_raw`,
    the value as text (_failed_text): none for a blank; in a table with user ids, the pseudonym
    marker of the value unless the rule is one of pseudonym.SHOWN_RULES (the value may be a
    user id: docs/CONTRACT.md, Privacy); else the value, shortened. It is computed as the row
    is checked, so no raw id is held even in f_bad (which can spill to disk: a swapped header
    makes every row bad). Written over `_raw` once, not per column: a statement this long is
    planned once per file, and a long one costs a small file more than its rows."""
    users = table.name in pseudonym.TABLES_WITH_USERS
    ways: dict[str, list[int]] = {}
    for i, c in enumerate(checks):
        way = "blank" if c.rule == "missing" else "shown"
        if users and c.rule not in pseudonym.SHOWN_RULES:
            way = "marked" if columns.get(c.column) == HASHED else "hidden"
        ways.setdefault(way, []).append(i)
    value = {
        "blank": "CAST(NULL AS VARCHAR)",
        "shown": _shortened("_raw"),
        "hidden": pseudonym.hidden_sql(_canonical("_raw")),
        "marked": f"'{pseudonym.HIDDEN_PREFIX}' || _raw || ')'",
    }
    whens = " ".join(
        f"WHEN _check IN ({', '.join(map(str, numbers))}) THEN {value[way]}"
        for way, numbers in ways.items()
    )
    return f"CASE {whens} END"


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
        self.files: dict[str, list[LakeFile]] = {
            t.name: list(existing_files.get(t.name, [])) for t in TABLES
        }
        self._before = {name: list(files) for name, files in self.files.items()}
        self._key_index = key_index or {}
        self.new_files: list[LakeFile] = []
        self._file_index = 0
        self._report_of: dict[str, FileReport] = {}  # the report of the file that wrote it
        #: A batch's lake files (load_small_csvs): the report of the file that sent each key.
        self._batch_keys: dict[str, dict[str, FileReport]] = {}
        self._report: FileReport | None = None
        self._gb18030_header = False
        self._hashed = False  # whether the file's user ids were hashed as read (HASHED)
        con.execute("CREATE OR REPLACE TEMP TABLE codes (list VARCHAR, code VARCHAR)")
        for name, codes in code_lists(reference).items():
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
        size of the file is held. A CSV file is first read into a table of its raw text, each
        row with its physical line (see _read_csv), and then checked the same way.
        """
        report = FileReport(table.name, name)
        self._report = report
        self._gb18030_header = False
        link: Path | None = None
        try:
            readable, link = _plain_name(path, self.root, self.load_number)
            structural, bad, good, months, valid = self._check(table, path, readable, name, report)
        except FileRefusedError as exc:
            return self._refused(report, name, str(exc), link)
        except duckdb.Error as exc:
            return self._refused(report, name, f"cannot be read: {_first_line(exc)}", link)
        written = len(self.new_files)
        try:
            report.rows_read = structural + bad[0] + good[0]
            accepted, already, repeated = self._dedupe_and_write(
                table, [name], valid, good, months, [report]
            )
        except duckdb.Error as exc:
            # A fault found only while writing (a Parquet page that cannot be decoded): the
            # file adds nothing, not even the lake files it had begun to write.
            self._forget(self.new_files[written:])
            return self._refused(report, name, f"cannot be read: {_first_line(exc)}", link)
        finally:
            if link is not None:
                link.unlink(missing_ok=True)
        report.rejected = structural + bad[0] + repeated[0]
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
            names = _small_csv_header(table, path)
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
        columns.update({n: HASHED for n in wanted if _is_user_id(table, n)})
        extra = extra_columns(table, columns)
        written = len(self.new_files)
        self._report = None
        try:
            sink = _RowSink(self.con, table, wanted)
            structural = [
                sink.append(path, name, header, report, i)
                for i, ((path, name, _), report) in enumerate(zip(run, reports, strict=True))
            ]
            sink.flush()
            bad, good, months, valid = self._check_rows(table, columns, "f_src", names)
            accepted, already, repeated = self._dedupe_and_write(
                table, names, valid, good, months, reports
            )
        except (duckdb.Error, FileRefusedError):
            # Checked one by one instead: each file's own verdict (a refusal names it).
            self._forget(self.new_files[written:])
            self.con.execute(
                "DELETE FROM new_rejects WHERE table_name = ? AND file IN (SELECT unnest(?))",
                [table.name, names],
            )
            return [self.load_file(table, path, name) for path, name, _ in run]
        for i, report in enumerate(reports):
            if extra:
                report.warnings.insert(0, extra)
            report.rows_read = structural[i] + bad[i] + good[i]
            report.rejected = structural[i] + bad[i] + repeated[i]
            report.accepted, report.already_loaded = accepted[i], already[i]
        return reports

    def _check(
        self, table: Table, path: Path, readable: Path, name: str, report: FileReport
    ) -> tuple[int, Counter, Counter, tuple[str, str] | None, str]:
        """Read a file and check every row: returns the rows that could not be split into
        columns, those that break a rule (both already in new_rejects), the good ones (these
        two by file number: 0), the months they cover, and the SQL of the good rows."""
        con = self.con
        if path.suffix.lower() == ".csv":
            columns, structural = self._read_csv(table, path, readable, name, report)
            src = "f_src"
        else:
            source, columns, line = _open_parquet(con, readable)
            structural = 0
        message = lacks_column(table, columns)
        if message:
            if self._gb18030_header:
                names = ", ".join(c or "(unnamed)" for c in columns)
                message += f" (its header row is not UTF-8 text; read as GB18030: {names})"
            raise FileRefusedError(message)
        extra = extra_columns(table, columns)
        if extra:
            report.warnings.insert(0, extra)
        if path.suffix.lower() != ".csv":
            src = f"(SELECT 0 AS _file, {line} AS _line, {_raw(table, columns)} FROM {source})"
        bad, good, months, valid = self._check_rows(table, columns, src, [name])
        return structural, bad, good, months, valid

    def _check_rows(
        self, table: Table, columns: dict[str, str], src: str, names: list[str]
    ) -> tuple[Counter, Counter, tuple[str, str] | None, str]:
        """Check every row of `src` (`_file`, `_line` and the columns of the files `names`,
        by number): returns the rows that break a rule (in new_rejects) and those that break
        none, by file number, the months they cover, and the SQL of the good rows."""
        typed = ",\n  ".join(
            f"{_typed(c, columns.get(c.name))} AS {q(c.name + '__v')}" for c in table.columns
        )
        raw = _raw(table, columns)
        self._hashed = HASHED in columns.values()
        checks = _checks(table, columns, self.load_day)
        checked = f"(SELECT _file, _line, {raw},\n  {typed}\n  FROM {src})"
        guard = _control_guard(table, columns)
        self.con.execute(
            f"""CREATE OR REPLACE TEMP TABLE f_bad AS
            SELECT _file, _line, _check, {_failed_value(table, checks, columns)} AS _value
            FROM (SELECT _file, _line, _check, {_failed_text(checks)} AS _raw FROM (
              SELECT _file, _line, {raw}, {_error_case(checks)} AS _check
              FROM (SELECT *, {guard} AS _ctl FROM {checked}))
            WHERE _check IS NOT NULL)"""
        )
        bad = self._rule_rejects(table, names, checks)
        valid = checked
        if bad:
            # One file's rows are told apart by their line alone (the usual case: a pair of
            # columns makes the anti-join slower on every row).
            row = "_line" if len(names) == 1 else "(_file, _line)"
            valid = f"(SELECT * FROM {checked} WHERE {row} NOT IN (SELECT {row} FROM f_bad))"
        good, months = self._valid_rows(table, valid)
        return bad, good, months, valid

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

    # --- CSV ----------------------------------------------------------------------------------

    def _read_csv(
        self, table: Table, path: Path, readable: Path, name: str, report: FileReport
    ) -> tuple[dict[str, str], int]:
        """Read a CSV file into f_src (`_line` and its columns as text, one row per row of the
        file); returns its columns and how many of its rows could not be split into them
        (already in new_rejects). DuckDB's reader reads a plain file (csvfile.is_plain); any
        other, or one DuckDB cannot read, is read row by row by csvfile.Reader."""
        try:
            with csvfile.Reader(path) as reader:
                names = reader.header.names
                self._gb18030_header = reader.header.gb18030
        except csvfile.CsvRefusedError as exc:
            raise FileRefusedError(str(exc)) from None
        except OSError as exc:
            raise FileRefusedError(f"cannot be read: {exc.strerror or exc}") from None
        columns = dict.fromkeys(names, "VARCHAR")
        wanted = [n for n in names if n in table.names]
        columns.update({n: HASHED for n in wanted if _is_user_id(table, n)})
        if all(c in columns for c in table.required) and csvfile.is_plain(path):
            try:
                return columns, self._read_csv_duckdb(table, readable, name, names, wanted)
            except (duckdb.Error, _NotPlainError):
                self.con.execute("DELETE FROM new_rejects WHERE table_name = ? AND file = ?",
                                 [table.name, name])  # fmt: skip
        if not all(c in columns for c in table.required):
            return columns, 0
        return columns, self._read_csv_rows(table, path, name, names, wanted, report)

    def _read_csv_duckdb(
        self, table: Table, path: Path, name: str, names: list[str], wanted: list[str]
    ) -> int:
        con = self.con
        con.execute("DROP TABLE IF EXISTS csv_reject_errors")
        con.execute("DROP TABLE IF EXISTS csv_reject_scans")
        source = _csv_reader(path)
        described = [r[0] for r in con.execute(f"DESCRIBE SELECT * FROM {source}").fetchall()]
        if len(described) != len(names) or any(
            n and n != d for n, d in zip(names, described, strict=True)
        ):
            raise _NotPlainError
        cols = ", ".join(_hashed_read(table, c, q(c)) for c in wanted)
        # Read once, in file order: a plain file's rows are its lines, numbered by position.
        con.execute(
            f"CREATE OR REPLACE TEMP TABLE f_src AS "
            f"SELECT 0 AS _file, row_number() OVER () + 1 AS _line{', ' if cols else ''}{cols} "
            f"FROM {source}"
        )
        return self._structural_rejects(table, name)

    def _read_csv_rows(
        self,
        table: Table,
        path: Path,
        name: str,
        names: list[str],
        wanted: list[str],
        report: FileReport,
    ) -> int:
        """Read the file row by row (csvfile.Reader) into f_src, in batches; rows that cannot
        be split into the header's columns go to new_rejects with their physical line."""
        sink = _RowSink(self.con, table, wanted)
        structural = sink.append(path, name, names, report)
        sink.flush()
        return structural

    def _structural_rejects(self, table: Table, name: str) -> int:
        """Rows DuckDB's CSV reader could not split into the header's columns (f_src's lines
        are renumbered to the file's real lines around them)."""
        exists = self.con.execute(
            "SELECT count(*) FROM duckdb_tables() WHERE table_name = 'csv_reject_errors'"
        ).fetchone()[0]
        if not exists:
            return 0
        # One row per line: DuckDB may list a line once per column it lacks.
        rows = self.con.execute(
            "SELECT line, min(error_type), min(csv_line) FROM csv_reject_errors "
            "GROUP BY line ORDER BY line"
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
                [table.name, name, line, REJECT_RULES[rule].format(**detail),
                 _line_kept(table, csv_line), rule, _detail(detail)],
            )  # fmt: skip
        return len(rows)

    # --- rules and keys ----------------------------------------------------------------------

    def _rule_rejects(self, table: Table, names: list[str], checks: list[Check]) -> Counter:
        """Keep the rows of f_bad as rejects; returns how many, by file number."""
        counts = Counter(dict(self.con.execute(
            "SELECT _file, count(*) FROM f_bad GROUP BY _file"
        ).fetchall()))  # fmt: skip
        if not counts:
            return counts
        # The checks' columns, reasons, rules and details as lists, by check number + 1; the
        # value is kept as f_bad has it (_failed_value: hidden where it may be a user id).
        lists = [[c.column for c in checks], [c.reason for c in checks],
                 [c.rule for c in checks], [_detail(c.detail) for c in checks]]  # fmt: skip
        self.con.execute(
            """INSERT INTO new_rejects
            SELECT ?, (?::VARCHAR[])[_file + 1], _line, (?::VARCHAR[])[_check + 1],
                   (?::VARCHAR[])[_check + 1], _value, (?::VARCHAR[])[_check + 1],
                   (?::VARCHAR[])[_check + 1]
            FROM f_bad""",
            [table.name, names, *lists],
        )
        return counts

    def _valid_rows(self, table: Table, valid: str) -> tuple[Counter, tuple[str, str] | None]:
        """How many rows break no rule, by file number, and (for a table partitioned by month)
        the first and last month they fall in, or None if there are none."""
        if not table.partition_by:
            rows = self.con.execute(f"SELECT _file, count(*) FROM {valid} GROUP BY _file")
            return Counter(dict(rows.fetchall())), None
        ts = q(table.partition_by + "__v")
        rows = self.con.execute(
            f"SELECT _file, count(*), strftime(timezone('{LOCAL_TZ}', min({ts})), '%Y-%m'), "
            f"strftime(timezone('{LOCAL_TZ}', max({ts})), '%Y-%m') FROM {valid} GROUP BY _file"
        ).fetchall()
        counts = Counter({f: n for f, n, _, _ in rows})
        firsts, lasts = [r[2] for r in rows if r[2]], [r[3] for r in rows if r[3]]
        return counts, (min(firsts), max(lasts)) if firsts else None

    def _dedupe_and_write(
        self,
        table: Table,
        names: list[str],
        valid: str,
        valid_rows: Counter,
        months: tuple[str, str] | None,
        reports: list[FileReport],
    ) -> tuple[Counter, Counter, Counter]:
        """Reject repeats of a key within a file, skip keys already loaded, write the rest.

        `valid` is the SQL of the rows that break no rule, of the files `names` (by number).
        Repeats are found with one hash aggregate that keeps only keys seen more than once in
        a file (with the lines they are on); the rows are filtered against that usually empty
        table as they are written. Keys already loaded are skipped here when they were loaded
        in the months the files cover; one loaded in another month is found by the key index
        at the end of the load (finish). Of several small files (a batch), a key of an earlier
        file counts as already loaded in a later one. Returns (accepted, already loaded,
        repeats rejected), by file number.
        """
        con = self.con
        if not sum(valid_rows.values()):
            return Counter(), Counter(), Counter()
        key = " || chr(31) || ".join(q(f"{k}__v") for k in table.key)
        con.execute(
            f"""CREATE OR REPLACE TEMP TABLE f_repeats AS
            SELECT _file, {key} AS _key, min(_line) AS _first, list(_line) AS _lines
            FROM {valid} GROUP BY ALL HAVING count(*) > 1"""
        )
        key_label = " + ".join(table.key)
        repeated: Counter = Counter()
        if con.execute("SELECT count(*) FROM f_repeats").fetchone()[0]:
            con.execute(
                f"""INSERT INTO new_rejects
                SELECT ?, (?::VARCHAR[])[_file + 1], line, ?,
                       'duplicate ' || ? || ' within the file (first at line ' || _first || ')',
                       {_shortened("_key")}, 'duplicate_key',
                       json_object('first_line', CAST(_first AS VARCHAR), 'id', ?)::VARCHAR
                FROM (SELECT _file, _key, _first, unnest(_lines) AS line FROM f_repeats)
                WHERE line > _first""",
                [table.name, names, table.key[0], key_label, key_label],
            )
            repeated.update(dict(con.execute(
                "SELECT _file, sum(len(_lines) - 1) FROM f_repeats GROUP BY _file"
            ).fetchall()))  # fmt: skip
        values = ", ".join(
            f"{_stored(table, c, self._hashed)} AS {q(c.name)}" for c in table.columns
        )
        derived = ""
        if table.partition_by:
            ts = q(table.partition_by + "__v")
            derived = f", CAST(timezone('{LOCAL_TZ}', {ts}) AS DATE) AS day"
        batch = len(names) > 1
        kept = ", _file, _line" if batch else ""
        firsts = f"SELECT {values}{derived}{kept} FROM {valid} AS c"
        if repeated:
            firsts += (
                f" WHERE NOT EXISTS (SELECT 1 FROM f_repeats AS r "
                f"WHERE r._file = c._file AND r._key = {key} AND c._line > r._first)"
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
        if batch:
            accepted, written = self._write_batch(table, firsts, params, months, key_expr, reports)
        else:
            written = self._write_lake(table, firsts, params, months)
            accepted = Counter({0: sum(f.rows for f in written)})
        if written and table.name in ("projects", "protected_areas"):
            con.execute(
                f"INSERT INTO known_keys SELECT ?, {q(table.key[0])} FROM read_parquet(?)",
                [table.name, [str(self.root / f.path) for f in written]],
            )
        already = Counter({f: n - repeated[f] - accepted[f] for f, n in valid_rows.items()})
        return accepted, already, repeated

    def _write_batch(
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
        files written. Which file added each key is kept (`_batch_keys`), for finish() to
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
        written = self._write_lake(
            table, "SELECT * EXCLUDE (_file, _line) FROM f_batch_rows", [], months
        )
        for f in written:
            self._report_of.pop(f.path, None)
            self._batch_keys[f.path] = by_month.get(f.month, {})
        con.execute("DROP TABLE f_batch_rows")
        return accepted, written

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
        if self._report is not None:
            self._report_of[lake_file.path] = self._report

    # --- the end of a load: keys loaded once, whatever their month ----------------------------

    def finish(self) -> dict[str, list[IndexFile]]:
        """Drop the rows whose key was loaded before, or by an earlier file of this load, in
        another month (the month-scoped check of _dedupe_and_write cannot see them): they count
        as already loaded. Returns the key index of each table partitioned by month, this
        load's keys added, for the snapshot to list."""
        out: dict[str, list[IndexFile]] = {}
        for table in TABLES:
            if not table.partition_by:
                continue
            index = KeyIndex(
                self.con, self.root, table, self._key_index.get(table.name, []),
                self._before[table.name],
            )  # fmt: skip
            new = self._new_paths(table)
            if not new and not index.rebuilt:
                out[table.name] = index.files
                continue
            hashes = keyindex.file_hashes(self.con, table, new)
            repeats = np.unique(hashes[1:][hashes[1:] == hashes[:-1]])
            before = index.hits(hashes)
            candidates = np.union1d(repeats, before)
            if len(candidates) and self._drop_repeats(table, candidates, before):
                hashes = keyindex.file_hashes(self.con, table, self._new_paths(table))
            out[table.name] = index.write(self.load_number, hashes)
        return out

    def _new_paths(self, table: Table) -> list[str]:
        """The lake files this load wrote for a table, in the order it wrote them."""
        return [str(self.root / f.path) for f in self.new_files if f.table == table.name]

    def _drop_repeats(self, table: Table, candidates: np.ndarray, before: np.ndarray) -> bool:
        """Check the candidate hashes against the keys themselves, and rewrite the new lake
        files that hold a key loaded before or by an earlier file of this load. Returns whether
        any file was rewritten."""
        con = self.con
        key = keyindex.key_sql(table)
        con.execute(
            "CREATE OR REPLACE TEMP TABLE key_candidates AS SELECT unnest(?::UBIGINT[]) AS h",
            [[int(h) for h in candidates]],
        )
        match = f"hash({key}) IN (SELECT h FROM key_candidates)"
        seen: set[str] = set()
        old = [str(self.root / f.path) for f in self._before[table.name]]
        if len(before) and old:
            seen.update(
                r[0]
                for r in con.execute(
                    f"SELECT DISTINCT {key} FROM read_parquet(?::VARCHAR[], "
                    f"hive_partitioning = false) WHERE {match}",
                    [old],
                ).fetchall()
            )
        new = [f for f in self.new_files if f.table == table.name]
        by_file: dict[str, list[str]] = {}
        for filename, k in con.execute(
            f"SELECT filename, {key} FROM read_parquet(?::VARCHAR[], filename = true, "
            f"hive_partitioning = false) WHERE {match}",
            [[str(self.root / f.path) for f in new]],
        ).fetchall():
            by_file.setdefault(filename, []).append(k)
        rewritten = False
        for f in new:  # in the order they were written: the first copy of a key is kept
            keys = by_file.get(str(self.root / f.path), [])
            losers = sorted({k for k in keys if k in seen})
            seen.update(keys)
            if losers:
                self._rewrite(table, f, losers)
                rewritten = True
        return rewritten

    def _rewrite(self, table: Table, lake_file: LakeFile, losers: list[str]) -> None:
        """Write a new lake file of this load without the rows of some keys, in its place."""
        old = self.root / lake_file.path
        new = old.with_name(old.stem + "-k.parquet")
        key = keyindex.key_sql(table)
        rows = self.con.execute(
            f"""COPY (SELECT * FROM read_parquet(?, hive_partitioning = false)
                      WHERE {key} NOT IN (SELECT unnest(?::VARCHAR[])))
                TO {sql_literal(str(new))} (FORMAT parquet, COMPRESSION zstd)""",
            [str(old), losers],
        ).fetchone()[0]
        dropped = lake_file.rows - rows
        report = self._report_of.pop(lake_file.path, None)
        if report is not None:
            report.accepted -= dropped
            report.already_loaded += dropped
        senders = self._batch_keys.pop(lake_file.path, None)
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
            self._report_of[replacement.path] = report
        if senders is not None:
            self._batch_keys[replacement.path] = senders

    def _forget(self, files: list[LakeFile]) -> None:
        """Remove lake files of this load, as if never written."""
        for f in files:
            self.files[f.table].remove(f)
            self.new_files.remove(f)
            self._report_of.pop(f.path, None)
            self._batch_keys.pop(f.path, None)
            (self.root / f.path).unlink(missing_ok=True)

    def discard_new_files(self) -> None:
        """Remove what this load wrote to the lake (a failed load leaves no trace)."""
        for f in self.new_files:
            (self.root / f.path).unlink(missing_ok=True)


class _RowSink:
    """CSV files read row by row (csvfile.Reader) into a new f_src: `_file` (the file's
    number), `_line` (its physical line) and the columns `wanted` as text, its user ids hashed
    (HASHED: the rows wait in Python's memory, f_src may spill to disk). Rows go to DuckDB
    _BATCH_ROWS at a time, whatever file they come from (one statement per small file cost
    12 ms); rows that cannot be split into the header's columns go to new_rejects."""

    def __init__(self, con: duckdb.DuckDBPyConnection, table: Table, wanted: list[str]) -> None:
        self.con, self.table, self.wanted = con, table, wanted
        cols = ", ".join(
            f"{q(c)} VARCHAR" + (f", {_chars_column(c)} BIGINT" if _is_user_id(table, c) else "")
            for c in wanted
        )
        con.execute(
            "CREATE OR REPLACE TEMP TABLE f_src "
            f"(_file INTEGER, _line BIGINT{', ' if cols else ''}{cols})"
        )
        self.insert = (
            "INSERT INTO f_src SELECT _file, _line"
            + "".join(f", {_hashed_read(table, c, q(c))}" for c in wanted)
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
                                             _line_kept(table, row.raw), row.rule,
                                             _detail(row.detail)))  # fmt: skip
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


def _plain_name(path: Path, root: Path, load_number: int) -> tuple[Path, Path | None]:
    """A path DuckDB reads as exactly this file: the file's own, or, when its name holds a
    character DuckDB takes for a glob pattern, a link to it with a plain name (returned too,
    to be removed when the file is read)."""
    if not _GLOB_CHARS & set(str(path)):
        return path, None
    folder = root / "tmp" / "inputs"
    folder.mkdir(parents=True, exist_ok=True)
    link = folder / f"L{load_number:06d}-{os.getpid()}-{id(path):x}{path.suffix.lower()}"
    link.unlink(missing_ok=True)
    link.symlink_to(path.resolve())
    return link, link


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
        size = _small_size(path)
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


def _small_size(path: Path) -> int | None:
    """The size of a small CSV file (SMALL_FILE_BYTES), None for any other file."""
    if path.suffix.lower() != ".csv" or _GLOB_CHARS & set(str(path)):
        return None
    try:
        size = path.stat().st_size
    except OSError:
        return None
    return size if size <= SMALL_FILE_BYTES else None
