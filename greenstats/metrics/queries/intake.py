"""What came in: every load and its rows, the rows not loaded (for the program's staff only), and
how fresh each planting partner's data is."""

from __future__ import annotations

import pandas as pd

from greenstats.data.warehouse import Reader
from greenstats.metrics.filters import Filters, where_projects


def freshness(r: Reader, f: Filters) -> pd.DataFrame:
    """Per partner that runs a planting project (afforestation or coastal): its latest planting
    and latest survey received (how fresh its data is), and how many such projects it runs.
    A partner that only guards protected areas plants nothing and counts no survival, so none
    is expected from it: it is not listed, as the alerts' data_late never checks it."""
    w = where_projects(f.all_time(), alias="p").isin("kind", ("afforestation", "coastal"))
    return r.df(
        f"""SELECT p.partner, max(pl.latest) AS latest_planting, max(s.latest) AS latest_survey,
                  count(*) AS projects
           FROM stg_projects AS p
           LEFT JOIN (SELECT project_id, max(planted_on) AS latest FROM stg_plantings
                      GROUP BY project_id) AS pl USING (project_id)
           LEFT JOIN (SELECT project_id, max(surveyed_on) AS latest FROM stg_surveys
                      GROUP BY project_id) AS s USING (project_id)
           {w.sql} GROUP BY p.partner ORDER BY p.partner""",
        w.params,
    )


def rejects_by_reason(r: Reader, f: Filters) -> pd.DataFrame:
    """Rows not loaded, counted by table, column and reason, with one example each; `rule` and
    `detail` say the reason in any language (NULL in a snapshot built before them)."""
    rule = "rule, detail" if _has_columns(r, "rejects", "rule", "detail") else (
        "CAST(NULL AS VARCHAR) AS rule, CAST(NULL AS VARCHAR) AS detail"
    )  # fmt: skip
    return r.df(
        f"""SELECT table_name, column_name, reason, {rule}, count(*) AS rows,
                  arg_min(file, line) AS example_file, min(line) AS example_line,
                  arg_min(value, line) AS example_value
           FROM rejects {_STAFF_ONLY} GROUP BY ALL
           ORDER BY rows DESC, table_name, column_name, reason""",
        [f.partner is None],
    )


#: Rejected rows and the list of loaded files are raw input of every partner: read only when the
#: filters carry no partner (the bound parameter is `f.partner is None`).
_STAFF_ONLY = "WHERE ?"


def reject_rows(r: Reader, limit: int = 0) -> pd.DataFrame:
    """Every row not loaded (the first `limit`, if not 0): the load that saw it, table, file,
    line, column, reason, value, and the reason's rule and detail (NULL in a snapshot built
    before them). A file sent again brings its bad rows again, each under its own load."""
    rule = "rule, detail" if _has_columns(r, "rejects", "rule", "detail") else (
        "CAST(NULL AS VARCHAR) AS rule, CAST(NULL AS VARCHAR) AS detail"
    )  # fmt: skip
    return r.df(
        f"SELECT load_number, table_name, file, line, column_name, reason, value, {rule} "
        "FROM rejects ORDER BY load_number, table_name, file, line" + (" LIMIT ?" if limit else ""),
        [limit] if limit else [],
    )


def _has_columns(r: Reader, table: str, *columns: str) -> bool:
    """Whether a table of the snapshot has all these columns (older snapshots lack some)."""
    found = r.rows(
        "SELECT column_name FROM duckdb_columns() WHERE table_name = ? "
        "AND column_name IN (SELECT unnest(?::VARCHAR[]))",
        [table, list(columns)],
    )
    return len(found) == len(columns)


def loads(r: Reader, f: Filters) -> pd.DataFrame:
    """Every load: when, which file, rows accepted, already loaded, rejected, refusals."""
    return r.df(
        f"""SELECT load_number, loaded_at, table_name, file, accepted, already_loaded, rejected,
                  refused FROM loads {_STAFF_ONLY} ORDER BY load_number DESC, file""",
        [f.partner is None],
    )


def loads_by_table(r: Reader, f: Filters) -> pd.DataFrame:
    """Rows read and rejected per load and table (refused files left out): raw input of every
    partner, so read only when the filters carry no partner."""
    return r.df(
        f"""SELECT load_number, min(loaded_at) AS loaded_at, table_name,
                   sum(rows_read)::BIGINT AS rows_read, sum(rejected)::BIGINT AS rejected
            FROM loads {_STAFF_ONLY} AND refused IS NULL
            GROUP BY load_number, table_name ORDER BY load_number, table_name""",
        [f.partner is None],
    )
