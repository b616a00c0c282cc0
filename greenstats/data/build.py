"""Build a snapshot: run the staging and mart models over the lake, then publish.

Models are SQL files under `greenstats/data/models/`, one per table, each a SELECT with its grain
and materialization stated in its header:

- `table`: rebuilt whole every time (the small tables);
- `partitioned by month|year|week`: only the partitions a load touched are deleted and rebuilt
  (a week: when either month it overlaps was touched);
- `merge on KEY keeping the earliest COL`: new candidate rows are merged into the table.

A build starts from a copy of the published snapshot (or from nothing, for a full build), works
on that copy under tmp/, and publishes it only when every model has run. A full build runs in
passes over consecutive months, oldest first, each pass an incremental build of its months
(PASS_ROWS): every GROUP BY and sort then fits in memory instead of spilling all of history.
"""

from __future__ import annotations

import contextlib
import re
import shutil
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import duckdb

from greenstats.data import privacy_seed
from greenstats.data.contract import CONTRACT_VERSION, TABLES, Column, Table
from greenstats.data.ingest.files import q
from greenstats.data.ingest.rules import lake_type
from greenstats.data.methodology import Reference
from greenstats.data.warehouse import LakeFile, Snapshot, Warehouse, WarehouseError
from greenstats.data.warehouse.connection import sql_literal

MODELS_DIR = Path(__file__).parent / "models"

#: Models in the order they run: staging before the marts that read it.
MODEL_ORDER: tuple[str, ...] = (
    "staging/stg_projects",
    "staging/stg_protected_areas",
    "staging/stg_area_species",
    "staging/stg_plantings",
    "staging/stg_surveys",
    "staging/stg_brands",
    "marts/mart_actions_daily",
    "marts/mart_actions_monthly",
    "marts/mart_redemptions_daily",
    "marts/mart_users_hll_day",
    "marts/mart_users_hll_month",
    "marts/mart_users_hll_year",
    "marts/mart_users_daily_exact",
    "marts/mart_users_weekly_exact",
    "marts/mart_users_monthly_exact",
    "marts/mart_users_first",
    "marts/mart_new_users_daily",
)

_MATERIALIZED = re.compile(r"^-- materialized: (.+)$", re.MULTILINE)
_GRAIN = re.compile(r"^-- grain: (\w+(?:, \w+)*)$", re.MULTILINE)
_PARTITIONED = re.compile(r"^partitioned by (month|year|week)$")
_MERGE = re.compile(r"^merge on (\w+) keeping the earliest (\w+)$")


@dataclass(frozen=True)
class Model:
    """One model file: its table name, SQL and how it is materialized."""

    name: str
    sql: str
    materialized: str

    @property
    def grain(self) -> list[str]:
        """The columns its `-- grain: col, col` line names: one row per value of them."""
        found = _GRAIN.findall(self.sql)
        if len(found) != 1:
            raise ValueError(f"model {self.name} states its grain on one '-- grain:' line")
        return found[0].split(", ")


def load_models() -> list[Model]:
    """Every model in run order."""
    models = []
    for rel in MODEL_ORDER:
        sql = (MODELS_DIR / f"{rel}.sql").read_text()
        m = _MATERIALIZED.search(sql)
        if not m:
            raise ValueError(f"models/{rel}.sql does not state how it is materialized")
        models.append(Model(rel.split("/")[1], sql, m.group(1).strip()))
    return models


# --- snapshot bookkeeping tables ------------------------------------------------------------

_ADMIN_TABLES = {
    "lake_files": "table_name VARCHAR, path VARCHAR, month VARCHAR, rows BIGINT, "
    "load_number INTEGER",
    "loads": "load_number INTEGER, loaded_at TIMESTAMPTZ, table_name VARCHAR, file VARCHAR, "
    "rows_read BIGINT, accepted BIGINT, already_loaded BIGINT, rejected BIGINT, "
    "refused VARCHAR, warnings VARCHAR",
    # rule and detail: the rule's code (contract.REJECT_RULES) and its parameters as JSON, so
    # that a page can say the reason in its reader's language (snapshots before them lack both).
    "rejects": "load_number INTEGER, table_name VARCHAR, file VARCHAR, line BIGINT, "
    "column_name VARCHAR, reason VARCHAR, value VARCHAR, rule VARCHAR, detail VARCHAR",
    "snapshot_info": "key VARCHAR, value VARCHAR",
    # The key index of each table partitioned by month (greenstats/data/keyindex.py): its files,
    # oldest first by path, and the hash of keyindex.HASH_PROBE they were written with.
    "key_index": "table_name VARCHAR, path VARCHAR, rows BIGINT, probe UBIGINT",
}


@dataclass
class BuildInput:
    """What a build adds to the snapshot it starts from."""

    reference: Reference
    new_files: Sequence[LakeFile] = ()
    load_rows: Sequence[tuple] = ()  # rows for the loads table, without load_number
    rejects_table: str | None = None  # a temp table of new rejects in the work connection
    full: bool = False
    demo: bool | None = None  # the data are synthetic; None keeps what the last snapshot said
    # The key index of each table it names, replacing what the snapshot listed (None: kept).
    key_index: Mapping[str, Sequence[Any]] | None = None
    # The fingerprint of the key the user ids were pseudonymised with (None: kept from the last
    # snapshot; see greenstats/data/pseudonym.py).
    user_key_id: str | None = None
    # Where another engine wrote every model as Parquet (greenstats/data/spark/build.py): the
    # snapshot loads them instead of running the models (a full build; None: run them here).
    marts_from: str | None = None
    # The engine that ran the models, as snapshot_info records it (None: DuckDB, here).
    built_by: str | None = None


def build_snapshot(
    warehouse: Warehouse,
    con: duckdb.DuckDBPyConnection,
    number: int,
    previous: Snapshot | None,
    spec: BuildInput,
    on_step: Callable[[str], None] | None = None,
) -> Snapshot:
    """Build snapshot `number` in tmp/ from `previous` plus `spec`, then publish it."""
    target = warehouse.staging_path(number)
    target.unlink(missing_ok=True)
    try:
        if previous is not None and not spec.full:
            shutil.copyfile(previous.path, target)
        elif previous is not None:
            con.execute(f"ATTACH {sql_literal(str(previous.path))} AS prev (READ_ONLY)")
        con.execute(f"ATTACH {sql_literal(str(target))} AS snap")
        con.execute("USE snap")
        for name, columns in _ADMIN_TABLES.items():
            con.execute(f"CREATE TABLE IF NOT EXISTS {name} ({columns})")
        _add_missing_columns(con)
        if previous is not None and spec.full:
            copied = {r[0] for r in con.execute(
                "SELECT table_name FROM duckdb_tables() WHERE database_name = 'prev'"
            ).fetchall()}  # fmt: skip
            for name in ("lake_files", "loads", "rejects", "snapshot_info", "key_index"):
                if name in copied:
                    con.execute(f"INSERT INTO {name} BY NAME SELECT * FROM prev.main.{name}")
        _record_load(con, number, spec)
        _write_reference(con, spec.reference)
        full = spec.full or previous is None
        passes = [] if spec.marts_from else _passes(con, spec, full)
        if spec.marts_from:  # the models ran elsewhere: no pass runs them here
            _load_marts(con, spec.marts_from, on_step)
        for i, months in enumerate(passes):
            _run_pass(
                con,
                warehouse.root,
                months,
                full=full,
                first=i == 0,
                last=i == len(passes) - 1,
                on_step=on_step if len(passes) == 1 else _with_month(on_step, months),
            )
        identity = _write_info(con, number, spec)
        privacy_seed.keep(warehouse, spec.user_key_id)
        con.execute("USE memory")
        con.execute("DETACH snap")
        if previous is not None and spec.full:
            con.execute("DETACH prev")
    except BaseException:
        # Whatever stopped the build (a full disk included), nothing of it is kept.
        for sql in ("USE memory", "DETACH snap", "DETACH prev"):
            with contextlib.suppress(duckdb.Error):
                con.execute(sql)
        for left in (target, target.with_name(target.name + ".wal")):
            left.unlink(missing_ok=True)
        raise
    return warehouse.publish(target, number, identity)


def _add_missing_columns(con: duckdb.DuckDBPyConnection) -> None:
    """Columns an admin table gained since an older snapshot was built (NULL in its rows)."""
    for name, columns in _ADMIN_TABLES.items():
        for column in columns.split(", "):
            con.execute(f"ALTER TABLE {name} ADD COLUMN IF NOT EXISTS {column}")


def _insert_rows(con: duckdb.DuckDBPyConnection, table: str, rows: list[tuple]) -> None:
    """Append rows to an admin table in one statement, each row's values in the order of
    _ADMIN_TABLES (a list parameter per column, unnested side by side)."""
    if not rows:
        return
    columns = [c.split() for c in _ADMIN_TABLES[table].split(", ")]
    lists = ", ".join(f"unnest(?::{kind}[]) AS {name}" for name, kind in columns)
    con.execute(
        f"INSERT INTO {table} BY NAME SELECT {lists}",
        [list(col) for col in zip(*rows, strict=True)],
    )


def _record_load(con: duckdb.DuckDBPyConnection, number: int, spec: BuildInput) -> None:
    # One statement per table, not per row: a load of 10,000 small files has 10,000 rows of
    # loads (1 ms a statement).
    _insert_rows(con, "lake_files",
                 [(f.table, f.path, f.month, f.rows, number) for f in spec.new_files])  # fmt: skip
    loaded_at = datetime.now(UTC)
    _insert_rows(con, "loads", [(number, loaded_at, *row) for row in spec.load_rows])
    if spec.rejects_table:
        # Every load keeps its own rejects, under its number: a file sent again with the same
        # bad rows is listed again, with the load that saw them.
        con.execute(
            f"""INSERT INTO rejects BY NAME
            SELECT ? AS load_number, n.* FROM temp.main.{spec.rejects_table} AS n""",
            [number],
        )
    for table, files in (spec.key_index or {}).items():
        con.execute("DELETE FROM key_index WHERE table_name = ?", [table])
        if files:
            con.executemany(
                "INSERT INTO key_index VALUES (?, ?, ?, ?)",
                [[f.table, f.path, f.rows, f.probe] for f in files],
            )


#: A full build runs as a series of passes over consecutive months of about this many action
#: events each, every pass an incremental build of its months: each GROUP BY and ORDER BY then
#: works on one pass's rows in memory instead of spilling the whole history to disk.
PASS_ROWS = 2_000_000


def _passes(con: duckdb.DuckDBPyConnection, spec: BuildInput, full: bool) -> list[list[str]]:
    """The months this build rebuilds, in passes: for a full build every month, oldest first,
    grouped into passes of about PASS_ROWS action events; else the months the load touched."""
    if not full:
        return [sorted({f.month for f in spec.new_files if f.month})]
    rows = con.execute(
        """SELECT month, sum(rows) FILTER (WHERE table_name = 'actions') FROM lake_files
           WHERE month IS NOT NULL GROUP BY month ORDER BY month"""
    ).fetchall()
    passes: list[list[str]] = [[]]
    size = 0
    for month, count in rows:
        if passes[-1] and size + (count or 0) > PASS_ROWS:
            passes.append([])
            size = 0
        passes[-1].append(month)
        size += count or 0
    return passes


def _run_pass(
    con: duckdb.DuckDBPyConnection,
    root: Path,
    months: list[str],
    *,
    full: bool,
    first: bool,
    last: bool,
    on_step: Callable[[str], None] | None,
) -> None:
    """Every model over one pass's months. Whole tables are built on the first pass (later
    passes read the staging tables) and again on the last (a mart over marts reads what every
    pass built); a year's partition once a pass holds its December (or the last month)."""
    _set_affected(con, months)
    _lake_views(con, root, months)
    _user_days(con)
    year_ends = last or any(m.endswith("-12") for m in months)
    existing = {
        t for (t,) in con.execute(
            "SELECT table_name FROM duckdb_tables() WHERE database_name = 'snap'"
        ).fetchall()
    }  # fmt: skip
    for model in load_models():
        if model.materialized == "table" and not (first or last):
            continue
        if model.materialized == "partitioned by year" and not year_ends:
            continue
        if on_step:
            on_step(model.name)
        _run_model(con, model, full=(full and first) or model.name not in existing)


def _load_marts(
    con: duckdb.DuckDBPyConnection,
    marts: str,
    on_step: Callable[[str], None] | None,
) -> None:
    """Every model's table from the Parquet another engine wrote at `marts/<model>`: created
    empty by the model's own SQL (so its columns and types are the ones this engine gives
    them), then filled from the files in the model's ORDER BY, for the readers' zone maps."""
    from greenstats.data.spark.sql import top_order

    _set_affected(con, [])
    _lake_views(con, None, [])  # read no lake file: it may be at a URI DuckDB cannot read
    _user_days(con)
    for model in load_models():
        if on_step:
            on_step(model.name)
        con.execute(f"CREATE OR REPLACE TABLE {model.name} AS SELECT * FROM ({model.sql}) LIMIT 0")
        files = f"{marts.rstrip('/')}/{model.name}/**/*.parquet"
        if not con.execute("SELECT count(*) FROM glob(?)", [files]).fetchone()[0]:
            continue  # no rows (a partitioned model of an empty lake writes no file)
        order = top_order(model.sql)
        con.execute(
            f"""INSERT INTO {model.name} BY NAME
            SELECT * FROM read_parquet(?, hive_partitioning = true, hive_types_autocast = false)
            {f"ORDER BY {order}" if order else ""}""",
            [files],
        )


def _with_month(
    on_step: Callable[[str], None] | None, months: list[str]
) -> Callable[[str], None] | None:
    """Progress steps that also say which months a pass has reached."""
    if on_step is None:
        return None
    return lambda name: on_step(f"{name} (to {months[-1]})")


def _set_affected(con: duckdb.DuckDBPyConnection, months: list[str]) -> None:
    """The temp tables affected_months and affected_weeks that partitioned models read."""
    con.execute("CREATE OR REPLACE TEMP TABLE affected_months (month VARCHAR, year VARCHAR)")
    con.execute(
        "INSERT INTO affected_months SELECT m, left(m, 4) FROM unnest(?::VARCHAR[]) t(m)", [months]
    )
    # The weeks (starting Monday) that overlap an affected month, some starting the month before.
    con.execute(
        """CREATE OR REPLACE TEMP TABLE affected_weeks AS
        SELECT DISTINCT CAST(w AS DATE) AS week
        FROM affected_months,
             LATERAL (SELECT CAST(month || '-01' AS DATE) AS first_day) AS m,
             generate_series(date_trunc('week', first_day),
                             date_trunc('week', last_day(first_day)), INTERVAL 7 DAY) AS t(w)"""
    )


def _neighbours(months: list[str]) -> list[str]:
    """The months with the month before and after each (weeks straddle months)."""
    out = set(months)
    for m in months:
        year, month = int(m[:4]), int(m[5:])
        before = (year, month - 1) if month > 1 else (year - 1, 12)
        after = (year, month + 1) if month < 12 else (year + 1, 1)
        out |= {f"{y:04d}-{n:02d}" for y, n in (before, after)}
    return sorted(out)


def _lake_views(con: duckdb.DuckDBPyConnection, root: Path | None, months: list[str]) -> None:
    """A view `lake_<table>` per table over the lake files this build reads, and
    `lake_actions_around` over the actions of those months and their neighbours, only on the
    days of affected_weeks (so _set_affected runs first). With no `root`, every view is
    empty, of the contract's columns: what a model's SQL needs to give its columns' types."""
    for table in TABLES:
        _lake_view(con, root, table, f"lake_{table.name}", months)
        if table.name == "actions":
            # Only the days of the affected weeks (set by _set_affected) that spill over.
            days = con.execute("SELECT min(week), max(week) + 6 FROM affected_weeks").fetchone()
            _lake_view(con, root, table, "lake_actions_around", _neighbours(months), days)


def _user_days(con: duckdb.DuckDBPyConnection) -> None:
    """The user-days (USER_DAYS) of lake_actions_around as a temp table,
    `lake_user_days_around`, and the view `lake_user_days` of its affected months."""
    kind = con.execute(
        "SELECT column_type FROM (DESCRIBE lake_actions_around) WHERE column_name = 'user_id'"
    ).fetchone()[0]
    if kind != "BIGINT":
        raise WarehouseError(
            "the lake holds user ids that are not 64-bit pseudonyms: it was loaded before "
            "December 2026 (ids as text, raw or hashed); load the input again into a new "
            "warehouse (README, User ids)"
        )
    con.execute(f"CREATE OR REPLACE TEMP TABLE lake_user_days_around AS {USER_DAYS}")
    con.execute(
        """CREATE OR REPLACE TEMP VIEW lake_user_days AS SELECT * FROM lake_user_days_around
        WHERE month IN (SELECT month FROM affected_months)"""
    )


#: One row per (day, region, user) with an action: the user's 64-bit pseudonym (whose bits
#: the sketches read) and first action of the day. Every distinct-user model reads these rows
#: instead of the events (about 1.4 events per user-day in the demo): the user ids are grouped
#: once per pass instead of once per model, which made the user models about 30% faster
#: (bench/profile.py). Portable SQL: the Spark engine runs it as it is (greenstats/data/spark).
USER_DAYS = """
SELECT day, month, region, user_id, min(occurred_at) AS first_at
FROM lake_actions_around
GROUP BY day, month, region, user_id"""


def _lake_paths(
    con: duckdb.DuckDBPyConnection, root: Path, table: Table, months: list[str]
) -> list[str]:
    """The paths of the lake files the snapshot being built lists for a table (of `months`, if
    it is partitioned)."""
    sql = "SELECT path FROM lake_files WHERE table_name = ?"
    params: list = [table.name]
    if table.partition_by:
        sql += " AND month IN (SELECT unnest(?::VARCHAR[]))"
        params.append(months)
    return [str(root / r[0]) for r in con.execute(sql + " ORDER BY path", params).fetchall()]


def _lake_view(
    con: duckdb.DuckDBPyConnection,
    root: Path | None,
    table: Table,
    view: str,
    months: list[str],
    days: tuple[date, date] | None = None,
) -> None:
    """A view over the lake files of one table (of `months`, if it is partitioned; of the
    `days` from first to last, if given and not empty)."""
    paths = [] if root is None else _lake_paths(con, root, table, months)
    if paths and table.partition_by:
        listed = ", ".join(sql_literal(p) for p in paths)
        body = f"SELECT * FROM read_parquet([{listed}], hive_partitioning = false)"
        if days is not None and days[0] is not None:
            body += f" WHERE day BETWEEN DATE '{days[0]}' AND DATE '{days[1]}'"
    elif paths:
        # A small table's files may come from loads before it gained an optional column: read
        # them by name, and a column none of them has is NULL.
        source = (
            f"read_parquet([{', '.join(sql_literal(p) for p in paths)}], "
            "hive_partitioning = false, union_by_name = true)"
        )
        present = {row[0] for row in con.execute(f"DESCRIBE SELECT * FROM {source}").fetchall()}
        cols = [q(c.name) if c.name in present else _null(table, c) for c in table.columns]
        body = f"SELECT {', '.join(cols)} FROM {source}"
    else:
        cols = [_null(table, c) for c in table.columns]
        if table.partition_by:
            cols += ["CAST(NULL AS DATE) AS day", "CAST(NULL AS VARCHAR) AS month"]
        body = f"SELECT {', '.join(cols)} WHERE false"
    con.execute(f"CREATE OR REPLACE TEMP VIEW {view} AS {body}")


def _null(table: Table, col: Column) -> str:
    """SQL for a column no lake file has: NULL, of the type the lake gives it."""
    return f"CAST(NULL AS {lake_type(table, col)}) AS {q(col.name)}"


def _run_model(con: duckdb.DuckDBPyConnection, model: Model, *, full: bool) -> None:
    """Run one model: create its table whole (`full`, or a whole-table model), else rebuild
    the affected partitions or merge the new rows."""
    how = model.materialized
    if how == "table" or full:
        con.execute(f"CREATE OR REPLACE TABLE {model.name} AS {model.sql}")
        return
    if m := _PARTITIONED.match(how):
        col = m.group(1)
        affected = "affected_weeks" if col == "week" else "affected_months"
        con.execute(f"DELETE FROM {model.name} WHERE {col} IN (SELECT {col} FROM {affected})")
        con.execute(f"INSERT INTO {model.name} BY NAME {model.sql}")
        return
    if m := _MERGE.match(how):
        key, earliest = m.groups()
        cols = [r[0] for r in con.execute(f"DESCRIBE {model.name}").fetchall()]
        sets = ", ".join(f"{c} = c.{c}" for c in cols if c != key)
        con.execute(
            f"""MERGE INTO {model.name} AS t USING ({model.sql}) AS c ON t.{key} = c.{key}
            WHEN MATCHED AND c.{earliest} < t.{earliest} THEN UPDATE SET {sets}
            WHEN NOT MATCHED THEN INSERT BY NAME"""
        )
        return
    raise ValueError(f"model {model.name}: unknown materialization {how!r}")


def _write_reference(con: duckdb.DuckDBPyConnection, reference: Reference) -> None:
    """The methodology in force is stored with the snapshot."""
    for name, frame in (("ref_actions", reference.actions), ("ref_species", reference.species)):
        con.register("reference_frame", frame)
        try:
            con.execute(f"CREATE OR REPLACE TABLE {name} AS SELECT * FROM reference_frame")
        finally:
            con.unregister("reference_frame")
    con.execute(
        "CREATE OR REPLACE TABLE ref_methodology AS "
        "SELECT ? AS version, ? AS source, ? AS fingerprint",
        [reference.version, reference.source, reference.fingerprint],
    )


def _write_info(con: duckdb.DuckDBPyConnection, number: int, spec: BuildInput) -> str:
    """The snapshot's metadata; returns its identity (new for every snapshot built, so a
    warehouse replaced at the same path with the same number is never taken for the old)."""
    previous = dict(con.execute("SELECT key, value FROM snapshot_info").fetchall())
    first, latest = con.execute("SELECT min(day), max(day) FROM mart_actions_daily").fetchone()
    demo = spec.demo if spec.demo is not None else previous.get("demo") == "true"
    info = {
        "snapshot": f"{number:06d}",
        "snapshot_id": uuid.uuid4().hex,
        "built_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "contract_version": CONTRACT_VERSION,
        "methodology_version": spec.reference.version,
        "methodology_fingerprint": spec.reference.fingerprint,
        "first_event_day": first.isoformat() if first else "",
        "latest_event_day": latest.isoformat() if latest else "",
        "demo": "true" if demo else "false",
        "user_key_id": spec.user_key_id or previous.get("user_key_id", ""),
        # Which engine ran the models, and how (Spark's marts published here: its settings).
        "built_by": spec.built_by or f"duckdb {duckdb.__version__}",
    }
    con.execute("DELETE FROM snapshot_info")
    con.executemany("INSERT INTO snapshot_info VALUES (?, ?)", list(info.items()))
    return info["snapshot_id"]
