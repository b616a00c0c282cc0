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

from greenstats.data import pseudonym
from greenstats.data.contract import LOCAL_TZ, Column, Table
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
    users: str = "hashed",
) -> Checked:
    """Check every row of `src` (`_file`, `_line` and the columns of the files `names`, by
    number) against the table's rules as of `load_day`.

    The file is read once: each row's typed values, the number of the first rule it breaks
    (`_check`, NULL for none) and the value its reject would keep go to the temp table f_rows,
    which the rejects, the repeats and the write then read (reading a Parquet file three
    times cost a third of a load: BENCHMARKS.md, issue 28). A user id is held there only as
    its pseudonym: `users` says how it becomes one: "hashed" (already, as a CSV file was
    read), "mapped" (by the map f_users, users.register_map) or "row" (row by row). f_rows may
    spill to disk; no raw id reaches it.
    """
    typed = ",\n  ".join(
        f"{rules.typed(c, columns.get(c.name))} AS {q(c.name + '__v')}" for c in table.columns
    )
    raw = rules.raw_columns(table, columns)
    checks = rules.checks(table, columns, load_day)
    checked = f"(SELECT _file, _line, {raw},\n  {typed}\n  FROM {src})"
    guard = rules.control_guard(table, columns)
    values = ", ".join(_held(table, c, users) for c in table.columns)
    join = ""
    if users == "mapped":
        join = ' LEFT JOIN f_users AS _u ON c."user_id__v" = _u.u'
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE f_rows AS
        SELECT _file, _line, {values}, _check,
               CASE WHEN _check IS NOT NULL THEN {rules.failed_value(table, checks, columns)}
               END AS _value
        FROM (SELECT *, {rules.failed_text(checks)} AS _raw FROM (
          SELECT *, {rules.error_case(checks)} AS _check
          FROM (SELECT *, {guard} AS _ctl FROM {checked}))) AS c{join}"""
    )
    counts = _counts(con, table)
    bad = Counter({f: n for f, (n, _, _, _) in counts.items() if n})
    good = Counter({f: g for f, (_, g, _, _) in counts.items()})
    if bad:
        _rule_rejects(con, table, names, checks)
    firsts = [m for _, _, m, _ in counts.values() if m]
    lasts = [m for _, _, _, m in counts.values() if m]
    months = (min(firsts), max(lasts)) if firsts and table.partition_by else None
    valid = "(SELECT * EXCLUDE (_check, _value) FROM f_rows WHERE _check IS NULL)"
    return Checked(bad, good, months, valid)


def _held(table: Table, col: Column, users: str) -> str:
    """SQL for a column's value as f_rows holds it: its typed value; a user id's pseudonym."""
    v = q(f"{col.name}__v")
    if not rules.is_user_id(table, col.name) or users == "hashed":
        return v
    if users == "mapped":
        return f"_u.pid AS {v}"
    return f"{pseudonym.sql(v)} AS {v}"


def _counts(con: duckdb.DuckDBPyConnection, table: Table) -> dict[int, tuple]:
    """By file number: the rows that break a rule, those that break none, and (for a table
    partitioned by month) the first and last month of the latter."""
    months = "NULL, NULL"
    if table.partition_by:
        ts = q(table.partition_by + "__v")
        months = ", ".join(
            f"strftime(timezone('{LOCAL_TZ}', {f}({ts}) FILTER (_check IS NULL)), '%Y-%m')"
            for f in ("min", "max")
        )
    rows = con.execute(
        f"SELECT _file, count(_check), count(*) - count(_check), {months} "
        "FROM f_rows GROUP BY _file"
    ).fetchall()
    return {r[0]: tuple(r[1:]) for r in rows}


def _rule_rejects(
    con: duckdb.DuckDBPyConnection, table: Table, names: list[str], checks: list[rules.Check]
) -> None:
    """Keep the rows of f_rows that break a rule as rejects."""
    # The checks' columns, reasons, rules and details as lists, by check number + 1; the
    # value is kept as f_rows has it (rules.failed_value: hidden where it may be a user id).
    lists = [[c.column for c in checks], [c.reason for c in checks],
             [c.rule for c in checks], [rules.detail_json(c.detail) for c in checks]]  # fmt: skip
    con.execute(
        """INSERT INTO new_rejects
        SELECT ?, (?::VARCHAR[])[_file + 1], _line, (?::VARCHAR[])[_check + 1],
               (?::VARCHAR[])[_check + 1], _value, (?::VARCHAR[])[_check + 1],
               (?::VARCHAR[])[_check + 1]
        FROM f_rows WHERE _check IS NOT NULL""",
        [table.name, names, *lists],
    )
