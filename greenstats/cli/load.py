"""`demo`, `ingest` and `build`: write the input files of a demo, load a folder per the contract,
rebuild the models, each publishing a new snapshot (on DuckDB here, or on Spark)."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table as RichTable

from greenstats.cli.common import DbOption, err, fail, out, warn

ForceOption = Annotated[
    bool,
    typer.Option(
        "--force",
        help="With --reference: use a methodology that drops codes loaded rows use (their "
        "carbon becomes 0).",
    ),
]

MartsOption = Annotated[
    str | None,
    typer.Option(
        help="With --engine spark: where Spark writes the marts as Parquet, a path or an "
        "s3a://, hdfs:// or abfss:// URI (default: the warehouse's spark/marts).",
    ),
]


def demo(
    out_dir: Annotated[Path, typer.Argument(help="Folder to write the demo input files to.")],
    events: Annotated[int, typer.Option(min=1, help="Number of action events.")] = 1_000_000,
    seed: Annotated[
        int, typer.Option(help="Random seed: the same seed gives the same bytes.")
    ] = 42,
    bad_rows: Annotated[bool, typer.Option(help="Include a few rows the contract rejects.")] = True,
) -> None:
    """Write a seeded synthetic data set (all eight input tables) that `ingest` accepts."""
    from greenstats.data.demo import generate

    try:
        with _progress() as progress:
            task = progress.add_task("Generating demo data", total=events)
            result = generate(
                out_dir, events=events, seed=seed, bad_rows=bad_rows,
                progress=lambda done, total: progress.update(task, completed=done, total=total),
            )  # fmt: skip
    except OSError as exc:
        raise fail(
            f"{out_dir} cannot be written ({exc.strerror or exc}): the demo data are "
            "incomplete; free some space or choose a folder you can write to, and run it again."
        ) from exc
    table = RichTable("table", "rows", title=f"Demo data in {escape(str(out_dir))}")
    for name, rows in result.rows.items():
        table.add_row(name, f"{rows:,}")
    out.print(table)


class Engine(StrEnum):
    duckdb = "duckdb"
    spark = "spark"


def ingest(
    folder: Annotated[
        Path, typer.Argument(help="Folder of input files (docs/CONTRACT.md: Inputs).")
    ],
    db: DbOption = None,
    reference: Annotated[
        Path | None, typer.Option(help="Reference (methodology) folder to use from now on.")
    ] = None,
    engine: Annotated[
        Engine,
        typer.Option(help="Check and load on DuckDB here, or on Spark (README: Running on Spark)."),
    ] = Engine.duckdb,
    marts: MartsOption = None,
    lake: Annotated[
        str | None,
        typer.Option(
            help="With --engine spark: a URI (s3a://, hdfs://, abfss://, file:) under which "
            "Spark writes this load's lake files (default: the warehouse's lake folder).",
        ),
    ] = None,
    force: ForceOption = False,
) -> None:
    """Load a folder per the contract, keep bad rows aside, publish a new snapshot.

    Exit code 0 when every file was read (even with rejected rows), 1 when any was refused.
    """
    from greenstats.data.methodology import MethodologyError
    from greenstats.data.paths import shown
    from greenstats.data.pipeline import ingest_folder
    from greenstats.data.warehouse import WarehouseError

    _spark_only(engine, marts=marts, lake=lake)
    table = RichTable(
        "file", "table", "accepted", "already loaded", "rejected", "note",
        title=f"Ingest of {escape(shown(folder))}",
    )  # fmt: skip

    progress = {"files": 0}
    status = None

    def on_file(r):
        progress["files"] += 1
        if progress["files"] > MANY_FILES:  # a folder of many files: one line that counts
            status.update(f"Loading… {progress['files']:,} files read")
            return
        done = "refused" if r.refused else f"{r.accepted:,} accepted"
        err.print(f"  {escape(r.name)}: {done}", highlight=False)

    try:
        with err.status("Loading…") as status:
            if engine is Engine.spark:
                from greenstats.data.spark.run import ingest_on_spark
                from greenstats.data.spark.session import SparkUnavailableError

                def step(what: str) -> None:
                    status.update(f"Spark: {what}…")

                try:
                    result = ingest_on_spark(
                        folder, db, reference, marts=marts, lake=lake, on_step=step,
                        force=force, on_warning=warn,
                    )  # fmt: skip
                except SparkUnavailableError as exc:
                    raise fail(str(exc)) from exc
            else:
                result = ingest_folder(
                    folder, db, reference, on_file=on_file, force=force, on_warning=warn
                )
    except (WarehouseError, MethodologyError) as exc:
        raise fail(str(exc)) from exc
    # The table is made from the final reports: the end of a load may count a row as already
    # loaded (a key loaded before in another month) after its file's progress line.
    for name, r in _table_rows(result.reports):
        warnings = escape("; ".join(r.warnings))
        note = f"[red]refused: {escape(r.refused)}[/red]" if r.refused else warnings
        table.add_row(
            name, r.table, f"{r.accepted:,}", f"{r.already_loaded:,}", f"{r.rejected:,}", note
        )
    out.print(table)
    for r in result.reports:
        for warning in r.warnings:
            out.print(
                f"[yellow]warning[/yellow] {escape(r.name)}: {escape(warning)}", highlight=False
            )
    for path in result.ignored:
        name = escape(shown(path.relative_to(folder)))
        out.print(f"[yellow]ignored[/yellow] {name}: not a contract table name", highlight=False)
    out.print(
        f"Published snapshot {result.snapshot.version} in "
        f"{escape(str(result.snapshot.path.parent.parent))}",
        highlight=False,
    )
    if result.any_refused:
        for r in result.reports:
            if r.refused:
                err.print(
                    f"[red]refused[/red] {escape(shown(folder) + '/' + r.name)}: "
                    f"{escape(r.refused)}",
                    highlight=False,
                )
        raise typer.Exit(1)


#: Above this many files, ingest counts its progress on one line, and its table lists only the
#: files with something to say (refused, rejected rows, a warning), the others summed by table.
MANY_FILES = 50


def _table_rows(reports: list) -> list[tuple[str, object]]:
    """The rows of ingest's table: a row per file, or for a folder of many files a row per
    file that has something to say and one per table for the rest ("9,990 other files")."""
    from greenstats.data.ingest import FileReport

    if len(reports) <= MANY_FILES:
        return [(escape(r.name), r) for r in reports]
    rows: list[tuple[str, object]] = []
    quiet: dict[str, list] = {}
    for r in reports:
        if r.refused or r.rejected or r.warnings:
            rows.append((escape(r.name), r))
        else:
            quiet.setdefault(r.table, []).append(r)
    for table, group in quiet.items():
        total = FileReport(
            table, "", sum(r.rows_read for r in group), sum(r.accepted for r in group),
            sum(r.already_loaded for r in group),
        )  # fmt: skip
        other = "other " if len(group) < sum(r.table == table for r in reports) else ""
        rows.append((f"({len(group):,} {other}files)", total))
    return rows


def _spark_only(engine: Engine, **settings: str | None) -> None:
    """Refuse a setting of the Spark engine (--marts, --lake) given to another engine."""
    for name, value in settings.items():
        if value is not None and engine is not Engine.spark:
            raise fail(f"--{name} is a setting of --engine spark", 2)


def build(
    db: DbOption = None,
    reference: Annotated[
        Path | None, typer.Option(help="Reference folder (default: the one in force).")
    ] = None,
    engine: Annotated[
        Engine,
        typer.Option(help="Run the models on DuckDB here, or on Spark (README: Running on Spark)."),
    ] = Engine.duckdb,
    marts: MartsOption = None,
    force: ForceOption = False,
) -> None:
    """Rebuild every model from the lake and publish a new snapshot."""
    from greenstats.data.methodology import MethodologyError
    from greenstats.data.pipeline import rebuild
    from greenstats.data.warehouse import WarehouseError

    _spark_only(engine, marts=marts)
    try:
        with err.status("Building…") as status:

            def step(model: str) -> None:
                status.update(f"Building {model}…")

            if engine is Engine.spark:
                from greenstats.data.spark.run import rebuild_on_spark
                from greenstats.data.spark.session import SparkUnavailableError

                try:
                    snap = rebuild_on_spark(
                        db, reference, marts=marts, on_step=step, force=force, on_warning=warn
                    )
                except SparkUnavailableError as exc:
                    raise fail(str(exc)) from exc
            else:
                snap = rebuild(db, reference, on_step=step, force=force, on_warning=warn)
    except (WarehouseError, MethodologyError) as exc:
        raise fail(str(exc)) from exc
    out.print(f"Published snapshot {snap.version}")


def _progress() -> Progress:
    return Progress(
        TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
        console=err,
    )  # fmt: skip
