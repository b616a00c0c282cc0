"""The two writes a warehouse knows: ingest a folder, rebuild from the lake. Each publishes."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import duckdb

from greenstats.build import BuildInput, build_snapshot
from greenstats.ingest import FileReport, Loader, discover, load_folder
from greenstats.methodology import Reference, load_reference
from greenstats.warehouse import (
    DEFAULT_REFERENCE,
    LakeFile,
    Snapshot,
    Warehouse,
    WarehouseError,
    configure,
)

#: A file with this name in an input folder marks its data as synthetic (written by `demo`).
DEMO_MARKER = "SYNTHETIC_DEMO_DATA.txt"


@dataclass
class IngestResult:
    """What an ingest did: a report per file, files it did not recognise, the new snapshot."""

    reports: list[FileReport]
    ignored: list[Path]
    snapshot: Snapshot

    @property
    def any_refused(self) -> bool:
        return any(r.refused for r in self.reports)


def reference_of(snap: Snapshot) -> Reference:
    """The methodology stored with a snapshot."""
    con = duckdb.connect(str(snap.path), read_only=True)
    try:
        actions = con.execute("SELECT * FROM ref_actions").df()
        species = con.execute("SELECT * FROM ref_species").df()
        version, source, fingerprint = con.execute(
            "SELECT version, source, fingerprint FROM ref_methodology"
        ).fetchone()
    finally:
        con.close()
    return Reference(actions, species, version, source, fingerprint)


def _lake_files(snap: Snapshot | None) -> dict[str, list[LakeFile]]:
    files: dict[str, list[LakeFile]] = {}
    if snap is None:
        return files
    con = duckdb.connect(str(snap.path), read_only=True)
    try:
        rows = con.execute("SELECT table_name, path, month, rows FROM lake_files").fetchall()
    finally:
        con.close()
    for table, path, month, n in rows:
        files.setdefault(table, []).append(LakeFile(table, path, month, n))
    return files


def _reference(prev: Snapshot | None, reference_dir: str | Path | None) -> Reference:
    if reference_dir is not None:
        return load_reference(reference_dir)
    if prev is not None:
        return reference_of(prev)
    return load_reference(DEFAULT_REFERENCE)


def ingest_folder(
    folder: str | Path,
    db: str | Path | None = None,
    reference_dir: str | Path | None = None,
    *,
    on_file: Callable[[FileReport], None] | None = None,
    on_step: Callable[[str], None] | None = None,
) -> IngestResult:
    """Load every recognised file of `folder` and publish a snapshot with what was accepted."""
    folder = Path(folder)
    if not folder.is_dir():
        raise WarehouseError(f"{folder}: no such folder to ingest")
    warehouse = Warehouse(db)
    found = discover(folder)
    demo = True if (folder / DEMO_MARKER).exists() else None
    ignored = [p for p in found.ignored if p.name != DEMO_MARKER]
    with warehouse.writer_lock():
        prev = warehouse.current()
        reference = _reference(prev, reference_dir)
        number = warehouse.next_number()
        con = duckdb.connect()
        configure(con, tmp_dir=warehouse.tmp)
        loader = Loader(con, warehouse.root, number, reference, _lake_files(prev))
        try:
            reports = load_folder(loader, folder, found.files, on_file)
            rows = [
                (r.table, r.name, r.rows_read, r.accepted, r.already_loaded, r.rejected,
                 r.refused, "; ".join(r.warnings) or None)
                for r in reports
            ]  # fmt: skip
            spec = BuildInput(reference, loader.new_files, rows, "new_rejects", demo=demo)
            snap = build_snapshot(warehouse, con, number, prev, spec, on_step)
        except BaseException:
            loader.discard_new_files()
            raise
        finally:
            con.close()
    return IngestResult(reports, ignored, snap)


def rebuild(
    db: str | Path | None = None,
    reference_dir: str | Path | None = None,
    *,
    on_step: Callable[[str], None] | None = None,
) -> Snapshot:
    """Rebuild every model from the lake (optionally under another methodology) and publish."""
    warehouse = Warehouse(db)
    with warehouse.writer_lock():
        prev = warehouse.require_current()
        reference = _reference(prev, reference_dir)
        number = warehouse.next_number()
        con = duckdb.connect()
        configure(con, tmp_dir=warehouse.tmp)
        try:
            return build_snapshot(
                warehouse, con, number, prev, BuildInput(reference, full=True), on_step
            )
        finally:
            con.close()
