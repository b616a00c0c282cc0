"""What the operator-fault, crash and concurrency tests share: a small warehouse and a folder
of more events to load into it, the CLI run in-process, and the checks "nothing was lost",
"nothing was left behind" and "the same as a clean run".

The data: the hand-built folder (tests/handbuilt.py, every table, bad rows of each kind) loaded
with the minimal reference, then MORE_EVENTS valid action events over three months
(`more/actions/*.parquet`), each publish's total known in advance.
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
from pathlib import Path

import duckdb
from typer.testing import CliRunner

from greenstats.cli import app
from greenstats.data.pipeline import ingest_folder
from greenstats.data.warehouse import Warehouse
from tests import handbuilt

AS_OF = "2026-06-30"
#: Valid events per month of the `more` folder, and its months.
MORE_PER_MONTH = 4_000
MORE_DAYS = ("2025-05-03", "2025-06-04", "2025-07-05")
#: Tables compared without the columns that differ between two runs of the same load (when
#: it ran and under which number); the rest are compared whole, row for row.
REJECT_COLUMNS = ("table_name", "file", "line", "column_name", "reason", "value", "rule", "detail")
VOLATILE: dict[str, tuple[str, ...] | None] = {
    "loads": None,  # one row per run: a re-run after a kill adds rows a clean run has not
    "snapshot_info": None,  # number, identity and build time
    "lake_files": ("table_name", "month", "rows"),  # paths carry the load number
    "key_index": ("table_name", "rows", "probe"),  # so do the key index's files
    "rejects": REJECT_COLUMNS,  # without the load number, each once (a file loaded again
    # after a killed load that had published logs its bad rows again, as a second load)
}


def write_events(
    path: Path, n: int, first_id: int, day: str, *, prefix: str = "m", users: int = 997
) -> None:
    """n valid action events on one day (walking or metro, Guangdong or Beijing), ids
    `prefix` + number, spread over `users` users."""
    path.parent.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect()
    target = str(path).replace("'", "''")
    con.execute(
        f"""COPY (
          SELECT '{prefix}' || (i + {first_id}) AS event_id, 'v' || (i % {users}) AS user_id,
                 TIMESTAMPTZ '{day} 00:00:00+08' + to_seconds(i % 86400) AS occurred_at,
                 CASE WHEN i % 3 = 0 THEN 'metro_ride' ELSE 'walking' END AS action,
                 CASE WHEN i % 2 = 0 THEN 'CN-GD' ELSE 'CN-BJ' END AS region,
                 (i % 7)::BIGINT AS energy_g, NULL::VARCHAR AS brand_id
          FROM range({n}) t(i)) TO '{target}' (FORMAT parquet)"""
    )
    con.close()


def write_more(folder: Path, per_month: int = MORE_PER_MONTH, first_id: int = 0) -> Path:
    """A folder of `per_month` valid events on each day of MORE_DAYS."""
    for i, day in enumerate(MORE_DAYS):
        write_events(
            folder / "actions" / f"{day}.parquet", per_month, first_id + i * per_month, day
        )
    return folder


def base_warehouse(root: Path) -> tuple[Path, Path]:
    """The hand-built folder loaded into a new warehouse, and a folder of more events:
    (warehouse, more)."""
    folder = handbuilt.write(root / "handbuilt")
    db = root / "base"
    ingest_folder(folder, db, handbuilt.REFERENCE_MIN)
    return db, write_more(root / "more")


def copy(db: Path, to: Path) -> Path:
    """A copy of a warehouse (its lock file included, as an operator's copy would)."""
    shutil.copytree(db, to)
    return to


def cli(*args: str) -> tuple[int, str, str]:
    """`python -m greenstats ARGS`, in this process: (exit code, stdout, stderr). An exception
    that escaped a command (what would print a traceback) fails the test."""
    result = CliRunner().invoke(app, list(args), catch_exceptions=True)
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise AssertionError(f"greenstats {' '.join(args)} raised") from result.exception
    return result.exit_code, result.stdout, result.stderr


def summary(db: Path) -> dict:
    """`greenstats summary --db DB --as-of AS_OF --json`, parsed."""
    code, out, err = cli("summary", "--db", str(db), "--as-of", AS_OF, "--json")
    assert code == 0, err
    return json.loads(out)


def good_rows(db: Path) -> int:
    """Accepted rows the published snapshot stands on (every table): what must never be lost."""
    with Warehouse(db).open_snapshot() as r:
        return int(r.scalar("SELECT coalesce(sum(rows), 0) FROM lake_files"))


def one_sentence(stderr: str) -> str:
    """The error a command printed: exactly one line that starts with 'error:', one sentence,
    and no traceback anywhere."""
    assert "Traceback" not in stderr, stderr
    assert "╭" not in stderr, stderr  # rich's traceback frame
    errors = [line for line in stderr.split("\n") if line.startswith("error:")]
    assert len(errors) == 1, stderr
    line = errors[0]
    assert line.endswith("."), line
    assert not re.search(r"[.!?]\s+[A-Z]", line.removeprefix("error: ")), f"two sentences: {line}"
    return line


def fingerprint(db: Path) -> dict[str, str]:
    """Every file of a warehouse with its SHA-256 (the lock file aside): equal before and after
    means nothing was changed, not a byte."""
    return {
        str(p.relative_to(db)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(db.rglob("*"))
        if p.is_file() and p.name != ".lock"
    }


def published(db: Path) -> tuple[str, str]:
    """CURRENT's text and the SHA-256 of the snapshot it names."""
    text = (db / "CURRENT").read_text()
    snap = db / "snapshots" / text.split()[0]
    return text, hashlib.sha256(snap.read_bytes()).hexdigest()


def contents(db: Path) -> dict[str, list[tuple]]:
    """Every table of the published snapshot, rows sorted (VOLATILE tables reduced to the
    columns two equal loads share): equal dicts mean row-for-row equal warehouses."""
    snap = Warehouse(db).require_current()
    con = duckdb.connect(str(snap.path), read_only=True)
    try:
        tables = [
            t
            for (t,) in con.execute(
                "SELECT table_name FROM duckdb_tables() WHERE database_name = current_database() "
                "ORDER BY table_name"
            ).fetchall()
        ]
        out: dict[str, list[tuple]] = {}
        for t in tables:
            if t in VOLATILE and VOLATILE[t] is None:
                continue
            columns = ", ".join(VOLATILE.get(t) or ("*",))
            # As text: every type compares (timestamps with their zone), floats digit for digit.
            distinct = "DISTINCT " if t == "rejects" else ""
            rows = con.execute(
                f"SELECT {distinct}COLUMNS(*)::VARCHAR FROM (SELECT {columns} FROM {t})"
            )
            rows = rows.fetchall()
            out[t] = sorted(rows, key=repr)
        return out
    finally:
        con.close()
