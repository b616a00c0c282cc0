"""What every command shares: the consoles, the options of the warehouse, the period, the
regions and JSON, and each fault or warning said in one sentence on one line."""

from __future__ import annotations

import json
import math
from datetime import date
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape

from greenstats.metrics.filters import Filters, parse_regions, today_cst

out = Console()
err = Console(stderr=True)

DbOption = Annotated[
    Path | None,
    typer.Option("--db", help="Warehouse folder (default: $GREENSTATS_DB or data/warehouse)."),
]

FromOption = Annotated[str | None, typer.Option("--from", help="First day (YYYY-MM-DD, CST).")]

ToOption = Annotated[str | None, typer.Option("--to", help="Last day, included.")]

RegionOption = Annotated[
    list[str] | None, typer.Option("--region", help="ISO 3166-2:CN code; repeat for several.")
]

AsOfOption = Annotated[str | None, typer.Option("--as-of", help="Date the figures are as of.")]

JsonOption = Annotated[bool, typer.Option("--json", help="Print one JSON object.")]


def fail(message: str, code: int = 1) -> typer.Exit:
    # Never wrapped: a command in the message must stay whole to be copied. One line: a path
    # with a line break or another control character in it is shown escaped.
    err.print(f"[red]error:[/red] {escape(one_line(message))}", highlight=False, soft_wrap=True)
    return typer.Exit(code)


def warn(message: str) -> None:
    """A warning of work that goes on (a methodology that drops codes, with --force; a state
    of the alerts' notifications taken as none), on one line."""
    err.print(f"[yellow]warning:[/yellow] {escape(one_line(message))}", highlight=False,
              soft_wrap=True)  # fmt: skip


def one_line(text: str) -> str:
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


def strict_json(payload: object) -> str:
    """Strict JSON: a figure that is not a finite number (which the contract's bounds should
    make impossible) is printed as null and named on standard error, never as NaN or
    Infinity, which JSON does not have."""
    bad: list[str] = []

    def clean(value: object, key: str) -> object:
        if isinstance(value, dict):
            return {k: clean(v, f"{key}.{k}" if key else k) for k, v in value.items()}
        if isinstance(value, list):
            return [clean(v, f"{key}[{i}]") for i, v in enumerate(value)]
        if isinstance(value, float) and not math.isfinite(value):
            bad.append(key)
            return None
        return value

    text = json.dumps(clean(payload, ""), allow_nan=False)
    if bad:
        err.print(f"[yellow]warning[/yellow] not a finite number, printed as null: "
                  f"{', '.join(bad)}", highlight=False)  # fmt: skip
    return text


def parse_date(value: str | None, option: str) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter(f"{value!r} is not a YYYY-MM-DD date", param_hint=option) from None


def parse_filters(
    date_from: str | None, date_to: str | None, region: list[str] | None, as_of: str | None
) -> Filters:
    from greenstats.data.contract import REGION_CODES

    regions = parse_regions(region or [])
    unknown = [r for r in regions if r not in REGION_CODES]
    if unknown:
        raise typer.BadParameter(
            f"unknown region code {unknown[0]!r} (use ISO 3166-2:CN, e.g. CN-GD)",
            param_hint="--region",
        )
    f = Filters(
        date_from=parse_date(date_from, "--from"),
        date_to=parse_date(date_to, "--to"),
        regions=regions,
        as_of=parse_date(as_of, "--as-of") or today_cst(),
    )
    if f.date_from and f.date_to and f.date_from > f.date_to:
        raise typer.BadParameter("--from is after --to", param_hint="--from")
    return f
