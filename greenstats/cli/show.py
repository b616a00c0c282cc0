"""`summary`, `restate`, `rejects` and `info`: print what the published snapshot holds (it is
only read)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table as RichTable

from greenstats.cli.common import (
    AsOfOption,
    DbOption,
    FromOption,
    JsonOption,
    RegionOption,
    ToOption,
    fail,
    out,
    parse_filters,
    strict_json,
)


def summary(
    db: DbOption = None,
    date_from: FromOption = None,
    date_to: ToOption = None,
    region: RegionOption = None,
    as_of: AsOfOption = None,
    as_json: JsonOption = False,
) -> None:
    """Print every metric of docs/CONTRACT.md (Metric definitions) for a period and regions
    (exact counts)."""
    from greenstats.data.warehouse import Warehouse, WarehouseError
    from greenstats.metrics.queries import headline

    f = parse_filters(date_from, date_to, region, as_of)
    try:
        with Warehouse(db).open_snapshot() as r:
            values = headline.summary(r, f)
    except WarehouseError as exc:
        raise fail(str(exc)) from exc
    if as_json:
        sys.stdout.write(strict_json(values) + "\n")
        return
    table = RichTable("metric", "value", title="greenstats summary")
    for key, value in values.items():
        table.add_row(key, f"{value:,.3f}" if isinstance(value, float) else f"{value:,}")
    out.print(table)


def restate(
    reference: Annotated[Path, typer.Option(help="The other reference (methodology) folder.")],
    db: DbOption = None,
    date_from: FromOption = None,
    date_to: ToOption = None,
    region: RegionOption = None,
    as_of: AsOfOption = None,
    as_json: JsonOption = False,
) -> None:
    """Every summary key under the methodology in force and under another, side by side.

    The published snapshot is only read: nothing is rebuilt or changed.
    """
    from greenstats.data.methodology import MethodologyError, load_reference
    from greenstats.data.warehouse import Warehouse, WarehouseError
    from greenstats.metrics.queries import headline

    f = parse_filters(date_from, date_to, region, as_of)
    try:
        other = load_reference(reference)
        with Warehouse(db).open_snapshot() as r:
            current_version = r.info()["methodology_version"]
            current = headline.summary(r, f)
            restated = headline.summary(r, f, reference=other)
    except (WarehouseError, MethodologyError) as exc:
        raise fail(str(exc)) from exc
    keys = {
        key: {"current": current[key], "restated": restated[key],
              "difference": restated[key] - current[key]}
        for key in current
    }  # fmt: skip
    if as_json:
        payload = {"methodology": {"current": current_version, "restated": other.version},
                   "keys": keys}  # fmt: skip
        sys.stdout.write(strict_json(payload) + "\n")
        return
    table = RichTable(
        "metric", f"current ({current_version})", f"restated ({other.version})", "difference",
        title="Restatement",
    )  # fmt: skip
    for key, row in keys.items():
        table.add_row(key, *(f"{row[c]:,.3f}" for c in ("current", "restated", "difference")))
    out.print(table)


def rejects(
    db: DbOption = None,
    as_json: JsonOption = False,
    limit: Annotated[
        int, typer.Option(min=0, max=2**63 - 1, help="Most rows to list (0: all).")
    ] = 200,
) -> None:
    """List the rows that were not loaded, with file, line, column and reason (and, in JSON,
    the reason's rule code and its parameters)."""
    from greenstats.data.warehouse import Warehouse, WarehouseError
    from greenstats.metrics.queries.intake import reject_rows

    try:
        with Warehouse(db).open_snapshot() as r:
            frame = reject_rows(r, limit)
            total = r.scalar("SELECT count(*) FROM rejects")
    except WarehouseError as exc:
        raise fail(str(exc)) from exc
    if as_json:
        records = json.loads(frame.to_json(orient="records"))
        sys.stdout.write(
            json.dumps({"total": total, "rejects": records}, ensure_ascii=False) + "\n"
        )
        return
    import pandas as pd

    table = RichTable(
        "load", "table", "file", "line", "column", "reason", "value", title=f"{total:,} rejects"
    )
    frame = frame.drop(columns=["rule", "detail"])
    for row in frame.itertuples(index=False):
        table.add_row(*(("" if pd.isna(v) else escape(str(v))) for v in row))
    out.print(table)


def info(db: DbOption = None) -> None:
    """Show the published snapshot: number, build time, methodology, data range."""
    from greenstats.data.warehouse import Warehouse, WarehouseError

    try:
        with Warehouse(db).open_snapshot() as r:
            values = r.info()
    except WarehouseError as exc:
        raise fail(str(exc)) from exc
    for key, value in values.items():
        out.print(f"{key}: {escape(str(value))}", highlight=False)
