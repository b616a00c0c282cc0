"""The contract's row rules compiled to SQL: a value's typed form, the checks a row must pass
in order, and the value a reject keeps.

Everything here is a pure function from the contract (`greenstats.data.contract`) and a file's
columns to SQL text over DuckDB; the Spark engine transpiles the same SQL
(`greenstats.data.spark.ingest`), so both engines apply one set of rules. Each file's columns
are passed as `{name: type}`: "VARCHAR" for a CSV value, the Parquet type otherwise, or HASHED
for a CSV file's user id, already its pseudonym when it is read (see `hashed_read`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date, timedelta

from greenstats.data import csvfile, pseudonym
from greenstats.data.contract import (
    BOM,
    CODE_LISTS,
    FUTURE_SLACK_DAYS,
    KEY_SPACE,
    MAX_OFFSET_MINUTES,
    REJECT_RULES,
    TABLES_BY_NAME,
    TEXT_MAX_CHARS,
    TYPE_RULES,
    Column,
    Table,
    bound_text,
    code_rule,
    reference_rule,
)
from greenstats.data.ingest.files import FileRefusedError, q
from greenstats.data.methodology import Reference
from greenstats.data.warehouse.connection import sql_literal

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

_INT_TYPES = ("TINYINT", "SMALLINT", "INTEGER", "BIGINT", "UTINYINT", "USMALLINT", "UINTEGER",
              "UBIGINT", "HUGEINT", "UHUGEINT")  # fmt: skip
_FLOAT_TYPES = ("FLOAT", "DOUBLE", "REAL")


def code_lists(reference: Reference) -> dict[str, tuple[str, ...]]:
    """Every code list a column may be checked against: the contract's and the methodology's
    (actions, species), by name."""
    return {**CODE_LISTS, "actions": tuple(reference.action_codes),
            "species": tuple(reference.species_codes)}  # fmt: skip


# --- the rules, compiled to SQL -------------------------------------------------------------


def trimmed(value: str, chars: str = _TRIM) -> str:
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


def canonical(value: str) -> str:
    """SQL for an identifier's canonical form (contract.canonical_key). Most values are ASCII
    (`strlen`, the bytes, equals `length`, the characters): they only need the ASCII trim of
    `trimmed`, and, when they hold a point, to be cut to their integer if they are an integral
    decimal (`9002.0`). Any other loses its BOMs and the Unicode white space at either end in
    one regular expression (the BOM is white space to it), is brought to NFC and cut so too.
    Short on purpose: each pattern is compiled when a statement is planned, and a load plans
    its statements once a file (a form with three long patterns cost 45 ms a file more)."""
    ascii_space = "".join(ch for ch in KEY_SPACE if ord(ch) < 128)
    cut = trimmed(value, ascii_space)
    ends = f"'^{_KEY_SPACE_CLASS}+|{_KEY_SPACE_CLASS}+$|\\x{{{ord(BOM):X}}}'"
    unicode = f"nfc_normalize(regexp_replace({value}, {ends}, '', 'g'))"
    return (
        f"CASE WHEN strlen({value}) = length({value}) THEN (CASE WHEN contains({value}, '.') "
        f"THEN regexp_replace({cut}, '{_INTEGRAL_CUT}', '\\1') ELSE {cut} END) "
        f"ELSE regexp_replace({unicode}, '{_INTEGRAL_CUT}', '\\1') END"
    )


def typed(col: Column, src_type: str | None) -> str:
    """SQL for the column's typed value (NULL when absent or not of the contract's type)."""
    if src_type is None:
        return f"CAST(NULL AS {SQL_TYPES[col.type]})"
    c = q(col.name)
    if src_type == HASHED:
        return c  # a user id's pseudonym, read so (NULL when blank)
    text = src_type == "VARCHAR"
    t = trimmed(c)
    if col.type == "text" and col.is_identifier:
        if text:
            return f"nullif({canonical(c)}, '')"
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
    t = trimmed(q(col.name))
    hours = f"TRY_CAST(regexp_extract({t}, '{_OFFSET}', 2) AS INTEGER)"
    minutes = f"coalesce(TRY_CAST(nullif(regexp_extract({t}, '{_OFFSET}', 3), '') AS INTEGER), 0)"
    return (
        f"(regexp_full_match({t}, '{_ISO_TIMESTAMP}') AND regexp_matches({t}, '{_OFFSET}') "
        f"AND ({minutes} >= 60 OR {hours} * 60 + {minutes} > {MAX_OFFSET_MINUTES}))"
    )


#: DuckDB's CSV error types and the rule a row that has one breaks (others: unreadable_row).
CSV_ERROR_RULES = {
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


def checks(table: Table, columns: dict[str, str], load_day: date) -> list[Check]:
    """The rules a row of the file must meet, in the order they are tried."""
    checks: list[Check] = []
    for col in table.columns:
        raw, v = q(col.name), q(f"{col.name}__v")
        present = col.name in columns
        if not present:
            continue  # an optional column the file does not have
        hashed = columns[col.name] == HASHED
        is_text = columns[col.name] == "VARCHAR" or hashed
        raw_trimmed = trimmed(raw)
        blank = f"({raw} IS NULL OR {raw_trimmed} = '')" if is_text else f"{raw} IS NULL"
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
            chars = chars_column(col.name) if hashed else f"length({v})"
            checks.append(Check(col.name, f"{chars} > {TEXT_MAX_CHARS}", "too_long", bound))
        if col in _shown_text(table):
            # _ctl (see control_guard) is false for most rows, which skip the column's test.
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


def control_guard(table: Table, columns: dict[str, str]) -> str:
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


def detail_json(detail: dict[str, str]) -> str | None:
    """A reject's parameters as the JSON text the rejects table stores (None: it has none)."""
    return (
        json.dumps(detail, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
        if detail
        else None
    )


def shortened(value: str) -> str:
    """SQL for a value as a reject keeps it (see csvfile.shorten)."""
    n = csvfile.REJECT_VALUE_CHARS
    return f"CASE WHEN length({value}) > {n} THEN left({value}, {n}) || '…' ELSE {value} END"


def stored(table: Table, col: Column, hashed: bool = False) -> str:
    """SQL for a column's value as the lake stores it: its typed value, a user id's pseudonym
    (`hashed`: the value read is already the pseudonym, see HASHED)."""
    v = q(f"{col.name}__v")
    if is_user_id(table, col.name) and not hashed:
        return pseudonym.sql(v)
    return v


def lake_type(table: Table, col: Column) -> str:
    """The SQL type a column has in the lake: the contract's, a user id's pseudonym BIGINT."""
    return "BIGINT" if is_user_id(table, col.name) else SQL_TYPES[col.type]


def is_user_id(table: Table, column: str) -> bool:
    return column == "user_id" and table.name in pseudonym.TABLES_WITH_USERS


#: The "type" of a user id column read from a CSV file: the value is already its pseudonym,
#: and `_<column>_chars` the length of its canonical form (for the length rule). A CSV file is
#: read into a temporary table (f_src), which DuckDB spills to disk when memory runs short:
#: the raw ids are hashed as they are read, before anything can spill.
HASHED = "PSEUDONYM"


def chars_column(column: str) -> str:
    return q(f"_{column}_chars")


def hashed_read(table: Table, column: str, value: str) -> str:
    """SQL that reads a raw text value of a CSV file into f_src: a user id as its pseudonym and
    the length of its canonical form; any other value as it is."""
    if not is_user_id(table, column):
        return f"{value} AS {q(column)}"
    key = f"nullif({canonical(value)}, '')"
    return f"{pseudonym.sql(key)} AS {q(column)}, length({key}) AS {chars_column(column)}"


def raw_columns(table: Table, columns: dict[str, str]) -> str:
    """SQL listing a file's columns that the table has (a hashed user id with its length)."""
    return ", ".join(
        q(c) + (f", {chars_column(c)}" if t == HASHED else "")
        for c, t in columns.items()
        if c in table.names
    )


def line_kept(table: Table, line: str | None) -> str:
    """A line that could not be split into columns, as its reject keeps it: shortened, or, in
    a table with user ids (which the line may hold anywhere), not at all."""
    if table.name in pseudonym.TABLES_WITH_USERS:
        return pseudonym.LINE_HIDDEN
    return csvfile.shorten(line or "")


def error_case(checks: list[Check]) -> str:
    """SQL for the number of the first check a row fails (NULL: none). A number, not the
    reject itself: the short CASE plans in half the time, and a load plans it once a file."""
    whens = "\n".join(f"    WHEN {c.condition} THEN {i}" for i, c in enumerate(checks))
    return f"CASE\n{whens}\n  END"


def failed_text(checks: list[Check]) -> str:
    """SQL for the value a failed check names (its column's, as text), by check number."""
    by_column: dict[str, list[int]] = {}
    for i, c in enumerate(checks):
        by_column.setdefault(c.column, []).append(i)
    whens = " ".join(
        f"WHEN _check IN ({', '.join(map(str, numbers))}) THEN TRY_CAST({q(column)} AS VARCHAR)"
        for column, numbers in by_column.items()
    )
    return f"CASE {whens} END"


def failed_value(table: Table, checks: list[Check], columns: dict[str, str]) -> str:
    """SQL for the value a reject keeps of the check a row failed (by `_check`), from `_raw`,
    the value as text (failed_text): none for a blank; in a table with user ids, the pseudonym
    marker of the value unless the rule is one of pseudonym.SHOWN_RULES (the value may be a
    user id: docs/CONTRACT.md, Privacy); else the value, shortened. It is computed as the row
    is checked, so no raw id is held even in f_rows (which can spill to disk: a swapped header
    makes every row bad). Written over `_raw` once, not per column: a statement this long is
    planned once per file, and a long one costs a small file more than its rows."""
    users = table.name in pseudonym.TABLES_WITH_USERS
    ways: dict[str, list[int]] = {}
    for i, c in enumerate(checks):
        way = "blank" if c.rule == "missing" else "shown"
        if users and c.rule not in pseudonym.SHOWN_RULES:
            way = "marked" if columns.get(c.column) == HASHED else "hidden"
        ways.setdefault(way, []).append(i)
    marked = pseudonym.hex_of_int_sql("CAST(_raw AS BIGINT)")
    value = {
        "blank": "CAST(NULL AS VARCHAR)",
        "shown": shortened("_raw"),
        "hidden": pseudonym.hidden_sql(canonical("_raw")),
        # A CSV file's id was hashed as it was read: its pseudonym, shown as text (hex).
        "marked": f"'{pseudonym.HIDDEN_PREFIX}' || {marked} || ')'",
    }
    whens = " ".join(
        f"WHEN _check IN ({', '.join(map(str, numbers))}) THEN {value[way]}"
        for way, numbers in ways.items()
    )
    return f"CASE {whens} END"
