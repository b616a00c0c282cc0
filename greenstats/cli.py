"""`python -m greenstats demo | ingest | build | summary | rejects | restate | info | alerts |
report | access`."""

from __future__ import annotations

import json
import math
import os
import sys
from collections.abc import Callable
from datetime import date
from enum import StrEnum
from functools import partial
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table as RichTable

from greenstats.metrics.filters import Filters, parse_regions, today_cst

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    help="greenstats: load a green program's data, build its warehouse, print its figures.",
)
out = Console()
err = Console(stderr=True)

DbOption = Annotated[
    Path | None,
    typer.Option("--db", help="Warehouse folder (default: $GREENSTATS_DB or data/warehouse)."),
]

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


def _fail(message: str, code: int = 1) -> typer.Exit:
    # Never wrapped: a command in the message must stay whole to be copied. One line: a path
    # with a line break or another control character in it is shown escaped.
    err.print(f"[red]error:[/red] {escape(_one_line(message))}", highlight=False, soft_wrap=True)
    return typer.Exit(code)


def _one_line(text: str) -> str:
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


def _json(payload: object) -> str:
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


def _date(value: str | None, option: str) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter(f"{value!r} is not a YYYY-MM-DD date", param_hint=option) from None


@app.command()
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
        raise _fail(
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


@app.command()
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
                        force=force, on_warning=_warn,
                    )  # fmt: skip
                except SparkUnavailableError as exc:
                    raise _fail(str(exc)) from exc
            else:
                result = ingest_folder(
                    folder, db, reference, on_file=on_file, force=force, on_warning=_warn
                )
    except (WarehouseError, MethodologyError) as exc:
        raise _fail(str(exc)) from exc
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


def _warn(message: str) -> None:
    """A warning of work that goes on (a methodology that drops codes, with --force; a state
    of the alerts' notifications taken as none), on one line."""
    err.print(f"[yellow]warning:[/yellow] {escape(_one_line(message))}", highlight=False,
              soft_wrap=True)  # fmt: skip


def _spark_only(engine: Engine, **settings: str | None) -> None:
    """Refuse a setting of the Spark engine (--marts, --lake) given to another engine."""
    for name, value in settings.items():
        if value is not None and engine is not Engine.spark:
            raise _fail(f"--{name} is a setting of --engine spark", 2)


@app.command()
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
                        db, reference, marts=marts, on_step=step, force=force, on_warning=_warn
                    )
                except SparkUnavailableError as exc:
                    raise _fail(str(exc)) from exc
            else:
                snap = rebuild(db, reference, on_step=step, force=force, on_warning=_warn)
    except (WarehouseError, MethodologyError) as exc:
        raise _fail(str(exc)) from exc
    out.print(f"Published snapshot {snap.version}")


def _filters(
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
        date_from=_date(date_from, "--from"),
        date_to=_date(date_to, "--to"),
        regions=regions,
        as_of=_date(as_of, "--as-of") or today_cst(),
    )
    if f.date_from and f.date_to and f.date_from > f.date_to:
        raise typer.BadParameter("--from is after --to", param_hint="--from")
    return f


FromOption = Annotated[str | None, typer.Option("--from", help="First day (YYYY-MM-DD, CST).")]
ToOption = Annotated[str | None, typer.Option("--to", help="Last day, included.")]
RegionOption = Annotated[
    list[str] | None, typer.Option("--region", help="ISO 3166-2:CN code; repeat for several.")
]
AsOfOption = Annotated[str | None, typer.Option("--as-of", help="Date the figures are as of.")]
JsonOption = Annotated[bool, typer.Option("--json", help="Print one JSON object.")]


@app.command()
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

    f = _filters(date_from, date_to, region, as_of)
    try:
        with Warehouse(db).open_snapshot() as r:
            values = headline.summary(r, f)
    except WarehouseError as exc:
        raise _fail(str(exc)) from exc
    if as_json:
        sys.stdout.write(_json(values) + "\n")
        return
    table = RichTable("metric", "value", title="greenstats summary")
    for key, value in values.items():
        table.add_row(key, f"{value:,.3f}" if isinstance(value, float) else f"{value:,}")
    out.print(table)


@app.command()
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

    f = _filters(date_from, date_to, region, as_of)
    try:
        other = load_reference(reference)
        with Warehouse(db).open_snapshot() as r:
            current_version = r.info()["methodology_version"]
            current = headline.summary(r, f)
            restated = headline.summary(r, f, reference=other)
    except (WarehouseError, MethodologyError) as exc:
        raise _fail(str(exc)) from exc
    keys = {
        key: {"current": current[key], "restated": restated[key],
              "difference": restated[key] - current[key]}
        for key in current
    }  # fmt: skip
    if as_json:
        payload = {"methodology": {"current": current_version, "restated": other.version},
                   "keys": keys}  # fmt: skip
        sys.stdout.write(_json(payload) + "\n")
        return
    table = RichTable(
        "metric", f"current ({current_version})", f"restated ({other.version})", "difference",
        title="Restatement",
    )  # fmt: skip
    for key, row in keys.items():
        table.add_row(key, *(f"{row[c]:,.3f}" for c in ("current", "restated", "difference")))
    out.print(table)


@app.command()
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
        raise _fail(str(exc)) from exc
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


@app.command()
def info(db: DbOption = None) -> None:
    """Show the published snapshot: number, build time, methodology, data range."""
    from greenstats.data.warehouse import Warehouse, WarehouseError

    try:
        with Warehouse(db).open_snapshot() as r:
            values = r.info()
    except WarehouseError as exc:
        raise _fail(str(exc)) from exc
    for key, value in values.items():
        out.print(f"{key}: {escape(str(value))}", highlight=False)


access_app = typer.Typer(
    no_args_is_help=True, help="The access file of sign-in (README: Sign-in and roles)."
)
app.add_typer(access_app, name="access")


@access_app.command("check")
def access_check(
    file: Annotated[
        Path | None,
        typer.Option(
            "--file",
            help="The access file (default: $GREENSTATS_ACCESS_FILE or .streamlit/access.toml).",
        ),
    ] = None,
    db: DbOption = None,
) -> None:
    """Print what each entry of the access file grants, checked against the warehouse's
    partners; exit 1 if the dashboard would refuse the file (it then shows no figure)."""
    from greenstats.data.warehouse import Warehouse, WarehouseError
    from greenstats.metrics import access
    from greenstats.metrics.queries import program

    path = file or access.access_path()
    try:
        grants = access.read_grants(path)
    except access.AccessFileError as exc:
        raise _fail(f"{str(exc).rstrip('.')}, so the dashboard shows no figure to anyone until "
                    "the file is fixed.") from exc  # fmt: skip
    try:
        with Warehouse(db).open_snapshot() as r:
            known = set(program.partners(r, Filters()))
            held = {
                p: (len(program.projects(r, Filters(partner=p))),
                    len(program.protected_areas(r, Filters(partner=p))))
                for p in known
            }  # fmt: skip
    except WarehouseError as exc:
        raise _fail(str(exc)) from exc
    close = dict(access.unknown_partners(grants, known))
    # One line an entry (never wrapped: an entry or a role is copied whole from it).
    out.print(f"{escape(str(path))}: {len(grants.entries())} entries", highlight=False,
              soft_wrap=True)  # fmt: skip
    kinds = {"sub:": "the subject, exactly", "email:": "the email, if verified",
             "*@": "every verified email at that domain"}  # fmt: skip
    width = max((len(key) for key, _ in grants.entries()), default=0)
    for key, role in grants.entries():
        kind = next(v for k, v in kinds.items() if key.startswith(k))
        if role.partner is None:
            sees = "every page and figure"
        elif role.partner in held:
            projects, areas = held[role.partner]
            sees = (f"{projects:,} project{'' if projects == 1 else 's'}, {areas:,} protected "
                    f"area{'' if areas == 1 else 's'}, and the program's totals")  # fmt: skip
        else:
            hint = close.get(role.partner)
            sees = "[red]no such partner[/red]" + (
                f": did you mean {escape(hint)}?" if hint else ""
            )
        out.print(f"  {escape(key):<{width}}  {escape(role.label)}: {sees} (matches {kind})",
                  highlight=False, soft_wrap=True)  # fmt: skip
    try:
        access.check_partners(grants, known, str(path))
    except access.AccessFileError as exc:
        raise _fail(f"{exc}, so the dashboard shows no figure to anyone until the file is "
                    "fixed.") from exc  # fmt: skip
    out.print(f"{len(grants.entries())} entries: the dashboard accepts this file.", highlight=False)


report_app = typer.Typer(no_args_is_help=True, help="Write a PDF report (README: Reports).")
app.add_typer(report_app, name="report")
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
        raise _fail(f"{out_file} cannot be written (no folder {folder} to write to): choose a "
                    "folder you can write to.")  # fmt: skip
    try:
        with Warehouse(db).open_snapshot() as r:
            pdf = make(r)
    except (WarehouseError, ReportError) as exc:
        raise _fail(str(exc)) from exc
    try:
        out_file.write_bytes(pdf)
    except OSError as exc:
        raise _fail(f"{out_file} cannot be written ({exc.strerror or exc}): choose a folder you "
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

    f = _filters(date_from, date_to, region, as_of)
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

    f = _filters(None, None, None, as_of)
    _write_report(out_file, lang, db, lambda r: documents.project(r, f, lang, project_id))


#: `greenstats alerts` exit codes (docs/ALERTS.md).
EXIT_NO_ALERTS, EXIT_ALERTS, EXIT_NOT_DELIVERED = 0, 3, 4

NotifyOption = Annotated[
    list[str] | None,
    typer.Option(
        "--notify",
        help="Send the alerts to this apprise URL (mailto://, slack://, dingtalk://, wecombot://, "
        "json://host:port/path, …); repeat for several. Each alert new since the last "
        "notification is given in full, the others counted; nothing is sent when there is no "
        "alert or nothing new.",
    ),
]
ConfigOption = Annotated[
    Path | None,
    typer.Option("--config", help="TOML file of thresholds overriding the defaults (README)."),
]
StateOption = Annotated[
    Path | None,
    typer.Option(
        "--state",
        help="With --notify: the file that keeps what the last notification gave (default: "
        "alerts_notified.json in the warehouse folder).",
    ),
]
FullOption = Annotated[
    bool,
    typer.Option("--full", help="With --notify: give every alert in full, not only the new ones."),
]
LinkBaseOption = Annotated[
    str,
    typer.Option(
        "--link-base",
        envvar="GREENSTATS_URL",
        help="The dashboard's address, which each alert's link in a notification starts with.",
    ),
]
DEFAULT_LINK_BASE = "http://localhost:8501"


@app.command()
def alerts(
    db: DbOption = None,
    as_json: JsonOption = False,
    notify: NotifyOption = None,
    config: ConfigOption = None,
    as_of: AsOfOption = None,
    state: StateOption = None,
    full: FullOption = False,
    link_base: LinkBaseOption = DEFAULT_LINK_BASE,
) -> None:
    """Check the published snapshot for what needs attention: projects behind plan, survival
    below default or falling, partners' data late, a jump in a load's rejected rows, an old
    planting backlog. Critical alerts first, then warnings, each by kind and subject.

    Exit code 0 when nothing needs attention, 3 when there are alerts (and every --notify URL
    took the notification, or there was nothing new to send), 4 when a notification could not
    be delivered, 1 on a warehouse fault or a state file that cannot be written after the
    notification, 2 on wrong usage (an unknown config key or a bad value, a URL apprise cannot
    use, a --link-base that is not an http(s) address, a state file that cannot be written).
    """
    from greenstats.data.warehouse import Warehouse, WarehouseError
    from greenstats.metrics import alerts as checks
    from greenstats.metrics.queries import alerting, naming
    from greenstats.ui.alert_words import alert_line

    try:
        thresholds = checks.load_config(config)
    except checks.ConfigError as exc:
        raise _fail(str(exc), 2) from exc
    if (state is not None or full) and not notify:
        raise _fail("--state and --full only apply to a notification: add --notify URL.", 2)
    base = _link_base(link_base) if notify else link_base
    senders = _senders(notify or [])
    f = Filters(as_of=_date(as_of, "--as-of") or today_cst())
    warehouse = Warehouse(db)
    try:
        with warehouse.open_snapshot() as r:
            found = alerting.alerts_for(r, f, thresholds)
            names = {k: naming.display_names(r, k, "en") for k in ("projects", "species",
                                                                       "partners")}  # fmt: skip
            version = r.info().get("snapshot")
            labels = _link_labels(r, f, names) if senders else {}
    except WarehouseError as exc:
        raise _fail(str(exc)) from exc
    if as_json:
        payload = {"as_of": f.as_of.isoformat(), "snapshot": version,
                   "alerts": [a.as_dict() for a in found]}  # fmt: skip
        sys.stdout.write(_json(payload) + "\n")
    elif not found:
        out.print(f"Nothing needs attention as of {f.as_of.isoformat()}.", highlight=False)
    else:
        table = RichTable(
            "severity", "kind", "subject", "since", "what",
            title=f"{len(found)} alert{'s' if len(found) != 1 else ''} as of {f.as_of}",
        )  # fmt: skip
        for a in found:
            subject = ", ".join(f"{k} {v}" for k, v in a.subject.items())
            since = a.since.isoformat() if a.since else ""
            table.add_row(a.severity, a.kind, escape(subject), since,
                          escape(alert_line(a, names, "en")))  # fmt: skip
        out.print(table)
    if senders:
        from greenstats.data import alert_state
        from greenstats.ui.alert_words import notification

        words = partial(notification, names=names, labels=labels, base=base, as_of=f.as_of)
        path = state or alert_state.default_path(warehouse.root)
        _notify(senders, notify or [], path, found, f.as_of, full, words)
    raise typer.Exit(EXIT_ALERTS if found else EXIT_NO_ALERTS)


def _link_base(text: str) -> str:
    """The dashboard's address for the alerts' links: http(s), a host, no query or fragment."""
    from urllib.parse import urlsplit

    try:
        parts = urlsplit(text)
        ok = parts.scheme in ("http", "https") and bool(parts.hostname) and parts.port != 0
    except ValueError:  # a port that is not a number
        ok = False
    if not ok or parts.query or parts.fragment or not text.isprintable() or " " in text:
        raise _fail(f"--link-base {text[:200]!r} is not the http(s) address the dashboard is "
                    "served at (e.g. https://greenstats.example.org): set it, or GREENSTATS_URL, "
                    "to that address.", 2)  # fmt: skip
    return text


def _link_labels(r: object, f: Filters, names: dict) -> dict[str, dict[str, str]]:
    """What the pages' pickers carry in a link, for the alerts' links (alert_words.alert_page):
    the Projects picker's labels of projects and names of partners, the species' names."""
    from greenstats.screens import projects

    return {
        "projects": projects.project_labels(r, f, "en", None),
        "partners": projects.partners(r, f, "en"),
        "species": dict(names["species"]),
    }


def _notify(senders: list, urls: list[str], path: Path, found: list, as_of: date, full: bool,
            words: Callable) -> None:  # fmt: skip
    """Send the digest of `found` after the notification kept at `path` (alert_digest), then
    keep this one's state there, once every URL took it. Nothing is sent when there is no
    alert, or nothing new and nothing resolved. A state file that is not greenstats' own, or
    that was kept for other URLs, is said in a warning and taken as no notification before:
    every alert is given in full."""
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from greenstats.data import alert_state
    from greenstats.data.contract import LOCAL_TZ
    from greenstats.data.paths import shown as shown_path
    from greenstats.metrics import alert_digest

    shown = shown_path(path)
    why = alert_state.writable(path)
    if why:
        raise _fail(f"the notifications' state {shown} cannot be written ({why}): nothing "
                    "was sent; fix that, or pass --state FILE in a folder you can write to.",
                    2)  # fmt: skip
    to = alert_digest.recipients(urls)
    previous = None
    try:
        text = alert_state.read(path)
        previous = None if text is None else alert_digest.read_state(text)
    except alert_state.StateError as exc:
        _warn(f"the notifications' state {shown} {exc}: it is taken as no notification before "
              "(every alert is given in full) and replaced once one is delivered.")  # fmt: skip
    if previous is not None and previous.recipients != to:
        _warn(
            f"the notifications' state {shown} was kept for other --notify URLs: every alert "
            "is given in full, and it is replaced once the notification is delivered."
        )
        previous = None
    d = alert_digest.compare(found, previous)
    state = alert_digest.state_json(found, as_of, to, datetime.now(ZoneInfo(LOCAL_TZ)))
    if not found:  # nothing is sent; an alert that went and comes back is new again
        if previous is not None and previous.severities:
            _keep_state(path, state, "")
        return
    if previous is not None and not (d.worth_sending or full):
        n = len(found)
        err.print(f"Nothing new since the notification as of {previous.as_of.isoformat()}: its "
                  f"{n} alert{'s' if n != 1 else ''} still open, none resolved; nothing was "
                  "sent.", highlight=False, soft_wrap=True)  # fmt: skip
        return
    title, body, kind = words(d, full=full)
    failed = _deliver(senders, title, body, kind)
    if failed:
        raise _fail(
            f"the alerts could not be delivered to {', '.join(failed)}: check the URL and "
            "that the service is reachable, then run the command again.",
            EXIT_NOT_DELIVERED,
        )
    _keep_state(path, state, "the notification was delivered, but ")


def _keep_state(path: Path, text: str, done: str) -> None:
    """Write the notifications' state; a failure is one sentence and exit 1 (the next
    notification then gives again what this one gave)."""
    from greenstats.data import alert_state
    from greenstats.data.paths import shown
    from greenstats.data.warehouse import WarehouseError

    try:
        alert_state.write(path, text)
    except (OSError, WarehouseError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise _fail(f"{done}the notifications' state {shown(path)} could not be written "
                    f"({reason}): the next notification gives again every alert this one gave; "
                    "make its folder writable, or pass --state FILE.") from exc  # fmt: skip


def _senders(urls: list[str]) -> list:
    """One apprise object per --notify URL (so a failed delivery can be named); a URL apprise
    cannot use is wrong usage."""
    if not urls:
        return []
    import apprise

    senders = []
    for url in urls:
        sender = apprise.Apprise()
        if not sender.add(url):
            raise _fail(
                f"--notify {url.split('://', 1)[0]}://… is not a URL apprise can send to "
                "(see https://github.com/caronc/apprise/wiki for the URL of each service).",
                2,
            )
        senders.append(sender)
    return senders


def _deliver(senders: list, title: str, body: str, kind: str) -> list[str]:
    """Send to each URL, as apprise's notify type `kind` ('failure', 'warning'); the ones that
    failed, as apprise writes them without secrets. Apprise's own log is silenced: a failure is
    said once, in the command's own sentence."""
    import logging

    import apprise

    log = logging.getLogger("apprise")
    was = log.disabled
    log.disabled = True
    try:
        kind_ = apprise.NotifyType(kind)
        failed = [s for s in senders if not s.notify(title=title, body=body, notify_type=kind_)]
        return [s[0].url(privacy=True).split("?", 1)[0] for s in failed]
    finally:
        log.disabled = was


def _progress() -> Progress:
    return Progress(
        TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
        console=err,
    )  # fmt: skip


def main() -> None:
    """The command line. An error that is not one of the faults the commands explain is a
    bug: it still ends in one sentence and exit code 1, never a traceback, unless
    GREENSTATS_DEBUG is set."""
    try:
        app()
    except Exception as exc:
        if os.environ.get("GREENSTATS_DEBUG"):
            raise
        first = _one_line((str(exc).strip().splitlines() or [""])[0][:200])
        err.print(
            f"[red]error:[/red] greenstats stopped on an unexpected error "
            f"({type(exc).__name__}: {escape(first)}), which is a bug: the published snapshot is "
            "unchanged unless a line above says a new one was published; run the command again "
            "with GREENSTATS_DEBUG=1 to see where it happened, and report it.",
            highlight=False, soft_wrap=True, markup=True,
        )  # fmt: skip
        sys.exit(1)
