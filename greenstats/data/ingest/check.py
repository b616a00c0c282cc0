"""Checking a file's rows: every row against the rules (`rules.checks`), in one statement.

A row that breaks a rule goes to the load's rejects (new_rejects) with the first rule it
breaks and the value it had (hidden where it may be a user id); the rows that break none are
returned as SQL for the next step, with their count and the months they fall in.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date

import duckdb

from greenstats.data.contract import LOCAL_TZ, Table
from greenstats.data.ingest import rules
from greenstats.data.ingest.files import q


@dataclass(frozen=True)
class Checked:
    """What checking a file's rows found, by file number (a batch of small files numbers its
    files from 0; a single file is file 0)."""

    bad: Counter  # rows that break a rule, already in new_rejects
    good: Counter  # rows that break none
    months: tuple[str, str] | None  # the first and last month of the good rows
    valid: str  # SQL of the good rows: `_file`, `_line`, the columns, their typed values


def check_rows(
    con: duckdb.DuckDBPyConnection,
    table: Table,
    columns: dict[str, str],
    src: str,
    names: list[str],
    load_day: date,
) -> Checked:
    """Check every row of `src` (`_file`, `_line` and the columns of the files `names`, by
    number) against the table's rules as of `load_day`."""
    typed = ",\n  ".join(
        f"{rules.typed(c, columns.get(c.name))} AS {q(c.name + '__v')}" for c in table.columns
    )
    raw = rules.raw_columns(table, columns)
    checks = rules.checks(table, columns, load_day)
    checked = f"(SELECT _file, _line, {raw},\n  {typed}\n  FROM {src})"
    guard = rules.control_guard(table, columns)
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE f_bad AS
        SELECT _file, _line, _check, {rules.failed_value(table, checks, columns)} AS _value
        FROM (SELECT _file, _line, _check, {rules.failed_text(checks)} AS _raw FROM (
          SELECT _file, _line, {raw}, {rules.error_case(checks)} AS _check
          FROM (SELECT *, {guard} AS _ctl FROM {checked}))
        WHERE _check IS NOT NULL)"""
    )
    bad = _rule_rejects(con, table, names, checks)
    valid = checked
    if bad:
        # One file's rows are told apart by their line alone (the usual case: a pair of
        # columns makes the anti-join slower on every row).
        row = "_line" if len(names) == 1 else "(_file, _line)"
        valid = f"(SELECT * FROM {checked} WHERE {row} NOT IN (SELECT {row} FROM f_bad))"
    good, months = _valid_rows(con, table, valid)
    return Checked(bad, good, months, valid)


def _rule_rejects(
    con: duckdb.DuckDBPyConnection, table: Table, names: list[str], checks: list[rules.Check]
) -> Counter:
    """Keep the rows of f_bad as rejects; returns how many, by file number."""
    counts = Counter(dict(con.execute(
        "SELECT _file, count(*) FROM f_bad GROUP BY _file"
    ).fetchall()))  # fmt: skip
    if not counts:
        return counts
    # The checks' columns, reasons, rules and details as lists, by check number + 1; the
    # value is kept as f_bad has it (rules.failed_value: hidden where it may be a user id).
    lists = [[c.column for c in checks], [c.reason for c in checks],
             [c.rule for c in checks], [rules.detail_json(c.detail) for c in checks]]  # fmt: skip
    con.execute(
        """INSERT INTO new_rejects
        SELECT ?, (?::VARCHAR[])[_file + 1], _line, (?::VARCHAR[])[_check + 1],
               (?::VARCHAR[])[_check + 1], _value, (?::VARCHAR[])[_check + 1],
               (?::VARCHAR[])[_check + 1]
        FROM f_bad""",
        [table.name, names, *lists],
    )
    return counts


def _valid_rows(
    con: duckdb.DuckDBPyConnection, table: Table, valid: str
) -> tuple[Counter, tuple[str, str] | None]:
    """How many rows break no rule, by file number, and (for a table partitioned by month)
    the first and last month they fall in, or None if there are none."""
    if not table.partition_by:
        rows = con.execute(f"SELECT _file, count(*) FROM {valid} GROUP BY _file")
        return Counter(dict(rows.fetchall())), None
    ts = q(table.partition_by + "__v")
    rows = con.execute(
        f"SELECT _file, count(*), strftime(timezone('{LOCAL_TZ}', min({ts})), '%Y-%m'), "
        f"strftime(timezone('{LOCAL_TZ}', max({ts})), '%Y-%m') FROM {valid} GROUP BY _file"
    ).fetchall()
    counts = Counter({f: n for f, n, _, _ in rows})
    firsts, lasts = [r[2] for r in rows if r[2]], [r[3] for r in rows if r[3]]
    return counts, (min(firsts), max(lasts)) if firsts else None
