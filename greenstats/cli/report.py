"""`report brief` and `report project`: write a PDF report (README: Reports)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from greenstats.cli.common import (
    AsOfOption,
    DbOption,
    FromOption,
    RegionOption,
    ToOption,
    fail,
    out,
    parse_filters,
)

report_app = typer.Typer(no_args_is_help=True, help="Write a PDF report (README: Reports).")

OutOption = Annotated[Path, typer.Option("--out", help="The PDF file to write.")]

LangOption = Annotated[str, typer.Option("--lang", help="Language: en or zh.")]


def _write_report(out_file: Path, lang: str, db: Path | None, make) -> None:
    """Make a report (`make(reader)` → bytes) and write it; every fault in one sentence."""
    from greenstats.data.warehouse import Warehouse, WarehouseError
    from greenstats.reports.render import ReportError
    from greenstats.ui.i18n import LANGUAGES

    if lang not in LANGUAGES:
        raise typer.BadParameter(f"{lang!r} is not one of {', '.join(LANGUAGES)}",
                                 param_hint="--lang")  # fmt: skip
    folder = out_file.parent
    if not folder.is_dir() or not os.access(folder, os.W_OK):  # before seconds of drawing
        raise fail(f"{out_file} cannot be written (no folder {folder} to write to): choose a "
                    "folder you can write to.")  # fmt: skip
    try:
        with Warehouse(db).open_snapshot() as r:
            pdf = make(r)
    except (WarehouseError, ReportError) as exc:
        raise fail(str(exc)) from exc
    try:
        out_file.write_bytes(pdf)
    except OSError as exc:
        raise fail(f"{out_file} cannot be written ({exc.strerror or exc}): choose a folder you "
                    "can write to.") from exc  # fmt: skip
    out.print(f"Wrote {escape(str(out_file))} ({len(pdf):,} bytes)", highlight=False)


@report_app.command("brief")
def report_brief(
    out_file: OutOption,
    db: DbOption = None,
    date_from: FromOption = None,
    date_to: ToOption = None,
    region: RegionOption = None,
    as_of: AsOfOption = None,
    lang: LangOption = "en",
) -> None:
    """The executive brief: the Overview's figures, trend, targets and equivalents as a PDF."""
    from greenstats.reports import documents

    f = parse_filters(date_from, date_to, region, as_of)
    _write_report(out_file, lang, db, lambda r: documents.brief(r, f, lang))


@report_app.command("project")
def report_project(
    project_id: Annotated[str, typer.Argument(help="The project's id, e.g. P1.")],
    out_file: OutOption,
    db: DbOption = None,
    as_of: AsOfOption = None,
    lang: LangOption = "en",
) -> None:
    """One project's report (its whole life to --as-of): target, pace, survival, carbon, where."""
    from greenstats.reports import documents

    f = parse_filters(None, None, None, as_of)
    _write_report(out_file, lang, db, lambda r: documents.project(r, f, lang, project_id))
