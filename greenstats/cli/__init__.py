"""`python -m greenstats demo | ingest | build | summary | rejects | restate | info | alerts |
report | access`: the Typer app, assembled from one module per group of commands (`load`, `show`,
`access`, `report`, `alerts`; what they share is in `common`)."""

from __future__ import annotations

import os
import sys

import typer
from rich.markup import escape

from greenstats.cli import access, alerts, load, report, show
from greenstats.cli.common import err, one_line

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    help="greenstats: load a green program's data, build its warehouse, print its figures.",
)
for command in (load.demo, load.ingest, load.build, show.summary, show.restate, show.rejects,
                show.info, alerts.alerts):  # fmt: skip
    app.command()(command)
app.add_typer(access.access_app, name="access")
app.add_typer(report.report_app, name="report")


def main() -> None:
    """The command line. An error that is not one of the faults the commands explain is a
    bug: it still ends in one sentence and exit code 1, never a traceback, unless
    GREENSTATS_DEBUG is set."""
    try:
        app()
    except Exception as exc:
        if os.environ.get("GREENSTATS_DEBUG"):
            raise
        first = one_line((str(exc).strip().splitlines() or [""])[0][:200])
        err.print(
            f"[red]error:[/red] greenstats stopped on an unexpected error "
            f"({type(exc).__name__}: {escape(first)}), which is a bug: the published snapshot is "
            "unchanged unless a line above says a new one was published; run the command again "
            "with GREENSTATS_DEBUG=1 to see where it happened, and report it.",
            highlight=False, soft_wrap=True, markup=True,
        )  # fmt: skip
        sys.exit(1)
