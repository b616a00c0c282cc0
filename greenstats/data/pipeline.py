"""The two writes a warehouse knows: ingest a folder, rebuild from the lake. Each publishes."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from greenstats.data import pseudonym
from greenstats.data.build import BuildInput, build_snapshot
from greenstats.data.ingest import FileReport, Loader, discover, load_folder
from greenstats.data.keyindex import IndexFile, remove_unlisted
from greenstats.data.methodology import Reference, load_reference
from greenstats.data.paths import DEFAULT_REFERENCE, DEMO_MARKER, is_uri, shown
from greenstats.data.warehouse import (
    LakeFile,
    Snapshot,
    Warehouse,
    WarehouseError,
)


@dataclass
class IngestResult:
    """What an ingest did: a report per file, files it did not recognise, the new snapshot."""

    reports: list[FileReport]
    ignored: list[Path]
    snapshot: Snapshot

    @property
    def any_refused(self) -> bool:
        return any(r.refused for r in self.reports)


def reference_of(warehouse: Warehouse, snap: Snapshot) -> Reference:
    """The methodology stored with a snapshot."""
    with warehouse.open_snapshot(snap) as reader:
        actions = reader.df("SELECT * FROM ref_actions")
        species = reader.df("SELECT * FROM ref_species")
        version, source, fingerprint = reader.rows(
            "SELECT version, source, fingerprint FROM ref_methodology"
        )[0]
    return Reference(actions, species, version, source, fingerprint)


def _lake_files(
    warehouse: Warehouse, snap: Snapshot | None
) -> tuple[dict[str, list[LakeFile]], dict[str, list[IndexFile]]]:
    """The lake files a snapshot lists, per table, and its key index files (oldest first;
    none in a snapshot from before the index)."""
    files: dict[str, list[LakeFile]] = {}
    index: dict[str, list[IndexFile]] = {}
    if snap is None:
        return files, index
    with warehouse.open_snapshot(snap) as reader:
        rows = reader.rows("SELECT table_name, path, month, rows FROM lake_files")
        has_index = reader.scalar(
            "SELECT count(*) FROM duckdb_tables() WHERE table_name = 'key_index'"
        )
        indexed = (
            reader.rows("SELECT table_name, path, rows, probe FROM key_index ORDER BY path")
            if has_index
            else []
        )
    for table, path, month, n in rows:
        files.setdefault(table, []).append(LakeFile(table, path, month, n))
    for table, path, n, probe in indexed:
        index.setdefault(table, []).append(IndexFile(table, path, n, int(probe)))
    return files, index


def _refuse_lake_at_uri(
    warehouse: Warehouse, lake_files: dict[str, list[LakeFile]], verb: str
) -> None:
    """The DuckDB engine keeps its lake under the warehouse: one Spark wrote at a URI
    (`ingest --engine spark --lake`) is loaded and built by Spark, and this says so."""
    at_uri = [f.path for files in lake_files.values() for f in files if is_uri(f.path)]
    if at_uri:
        raise WarehouseError(
            f"The lake of {warehouse.root} is at a URI ({at_uri[0]}), where Spark wrote it: "
            f"nothing was changed; {verb} this warehouse with --engine spark (README, Running "
            "on Spark)."
        )


def _check_user_id_type(warehouse: Warehouse, lake_files: dict[str, list[LakeFile]]) -> None:
    """Refuse a load into a lake whose user ids are stored as text (16 hex characters, as
    greenstats stored them before issue 28): new rows store them as 64-bit integers, and one
    table cannot hold both (a distinct count would see each person twice)."""
    for table in sorted(pseudonym.TABLES_WITH_USERS):
        files = lake_files.get(table)
        if not files:
            continue
        path = files[0].path
        try:
            schema = pq.read_schema(path if is_uri(path) else warehouse.root / path)
        except (OSError, pa.ArrowException):
            continue  # a lake this machine cannot read (a URI it has no client for)
        if not pa.types.is_integer(schema.field("user_id").type):
            raise WarehouseError(
                f"The lake of {warehouse.root} stores user ids as text, as greenstats did before "
                "December 2026; they are now stored as 64-bit integers. Nothing was loaded; load "
                "the original files into a new --db (README, User ids)."
            )


def _check_user_key(
    warehouse: Warehouse,
    snap: Snapshot | None,
    lake_files: dict[str, list[LakeFile]],
    key: pseudonym.UserKey,
) -> None:
    """Refuse a load whose user key is not the one the warehouse's user ids were made with:
    the same person would count twice. A warehouse built before user ids were pseudonymised
    holds raw ids: it is refused too, unless it has no rows with user ids."""
    if snap is None:
        return
    _check_user_id_type(warehouse, lake_files)
    with warehouse.open_snapshot(snap) as reader:
        found = reader.rows("SELECT value FROM snapshot_info WHERE key = 'user_key_id'")
    stored = found[0][0] if found else ""
    if stored == key.fingerprint:
        return
    if stored:
        raise WarehouseError(
            f"The user ids of {warehouse.root} were pseudonymised with another key than the "
            f"one in {key.source}: nothing was loaded, since every person would count again as "
            "new. Load with the warehouse's key, or rebuild from the original files into a new "
            "--db (README, User ids)."
        )
    if any(lake_files.get(t) for t in pseudonym.TABLES_WITH_USERS):
        raise WarehouseError(
            f"{warehouse.root} was built before user ids were pseudonymised: its lake holds raw "
            "user ids. Nothing was loaded; load the original files into a new --db "
            "(README, User ids)."
        )


def _reference(
    warehouse: Warehouse,
    prev: Snapshot | None,
    reference_dir: str | Path | None,
    force: bool = False,
    on_warning: Callable[[str], None] | None = None,
) -> Reference:
    """The methodology of a write: the folder given, else the one in force, else the default.
    A folder that drops a code loaded rows use is refused unless `force` (then warned of)."""
    if reference_dir is None:
        return (
            reference_of(warehouse, prev) if prev is not None else load_reference(DEFAULT_REFERENCE)
        )
    reference = load_reference(reference_dir)
    dropped = dropped_codes(warehouse, prev, reference) if prev is not None else []
    if dropped and not force:
        raise WarehouseError(
            f"The methodology in {shown(Path(reference_dir))} drops {'; '.join(dropped)}, "
            "which loaded rows use and whose carbon would become 0: nothing was written; add "
            "the codes back, or pass --force to drop them."
        )
    if dropped and on_warning is not None:
        on_warning(f"the methodology drops {'; '.join(dropped)}: their carbon is now 0 (--force)")
    return reference


#: The codes of the methodology that loaded rows name, and where they are counted: (kind, the
#: reference's codes, SQL of each code used and its rows in a snapshot).
_USED_CODES = (
    ("action", "action_codes",
     "SELECT action, sum(count_actions) FROM mart_actions_daily GROUP BY ALL"),
    ("species", "species_codes",
     "SELECT species, sum(n) FROM (SELECT species, count_redemptions AS n "
     "FROM mart_redemptions_daily UNION ALL SELECT species, count(*) FROM stg_plantings "
     "GROUP BY ALL UNION ALL SELECT species, count(*) FROM stg_surveys GROUP BY ALL) "
     "GROUP BY ALL"),
)  # fmt: skip


def dropped_codes(warehouse: Warehouse, snap: Snapshot, reference: Reference) -> list[str]:
    """What a methodology drops that a snapshot's rows use, in words: "action code 'walking'
    (1,234 rows)"; empty when it drops none."""
    out = []
    with warehouse.open_snapshot(snap) as reader:
        for kind, attribute, sql in _USED_CODES:
            codes = set(getattr(reference, attribute))
            used = sorted((c, int(n)) for c, n in reader.rows(sql) if c not in codes and n)
            if used:
                listed = ", ".join(f"{c!r} ({n:,} rows)" for c, n in used)
                out.append(f"{kind} code{'s' if len(used) > 1 else ''} {listed}")
    return out


def check_folder_name(folder: Path) -> None:
    """Refuse an input folder whose path is not UTF-8 text (no reader could open its files)."""
    path = folder.resolve()
    if shown(path) != str(path):
        raise WarehouseError(
            f"The path of the input folder {shown(path)} is not UTF-8 text, which no reader "
            "can open: nothing was loaded; rename the folder (a zip made on Windows in China "
            "names its folders in GBK) and run ingest again."
        )


def ingest_folder(
    folder: str | Path,
    db: str | Path | None = None,
    reference_dir: str | Path | None = None,
    *,
    on_file: Callable[[FileReport], None] | None = None,
    on_step: Callable[[str], None] | None = None,
    force: bool = False,
    on_warning: Callable[[str], None] | None = None,
) -> IngestResult:
    """Load every recognised file of `folder` and publish a snapshot with what was accepted."""
    folder = Path(folder)
    if folder.exists() and not folder.is_dir():
        raise WarehouseError(
            f"{shown(folder)} is a file, not a folder: nothing was loaded; pass ingest the folder "
            "that holds your input files (docs/CONTRACT.md, Inputs)."
        )
    if not folder.is_dir():
        raise WarehouseError(
            f"There is no folder {shown(folder)} to ingest: nothing was loaded; pass the folder "
            "that holds your input files."
        )
    check_folder_name(folder)
    warehouse = Warehouse(db)
    found = discover(folder)
    demo = True if (folder / DEMO_MARKER).exists() else None
    ignored = [p for p in found.ignored if p.name != DEMO_MARKER]
    # A full disk, a read-only folder or a damaged file: one sentence, nothing published.
    with warehouse.faults(writing=True), warehouse.writer_lock():
        prev = warehouse.current()
        reference = _reference(warehouse, prev, reference_dir, force, on_warning)
        key = pseudonym.user_key()
        lake_files, key_index = _lake_files(warehouse, prev)
        _refuse_lake_at_uri(warehouse, lake_files, "load into")
        _check_user_key(warehouse, prev, lake_files, key)
        number = warehouse.next_number()
        with warehouse.work_connection() as con:
            listed = {f.path for files in key_index.values() for f in files}
            loader = Loader(con, warehouse.root, number, reference, lake_files, key_index, key)
            try:
                for report in found.refused:  # refused on discovery: named, not read
                    if on_file:
                        on_file(report)
                reports = found.refused + load_folder(loader, folder, found.files, on_file)
                key_index = loader.finish()
                rows = [
                    (r.table, r.name, r.rows_read, r.accepted, r.already_loaded, r.rejected,
                     r.refused, "; ".join(r.warnings) or None)
                    for r in reports
                ]  # fmt: skip
                spec = BuildInput(
                    reference, loader.new_files, rows, "new_rejects", demo=demo,
                    key_index=key_index, user_key_id=key.fingerprint,
                )  # fmt: skip
                snap = build_snapshot(warehouse, con, number, prev, spec, on_step)
            except BaseException:
                # Nothing of a failed load stays: its lake files and the index files it wrote.
                loader.discard_new_files()
                remove_unlisted(warehouse.root, listed)
                raise
        # Index files merged away, or left by a load that failed, are listed by no snapshot.
        remove_unlisted(warehouse.root, {f.path for files in key_index.values() for f in files})
    return IngestResult(reports, ignored, snap)


def rebuild(
    db: str | Path | None = None,
    reference_dir: str | Path | None = None,
    *,
    on_step: Callable[[str], None] | None = None,
    force: bool = False,
    on_warning: Callable[[str], None] | None = None,
) -> Snapshot:
    """Rebuild every model from the lake (optionally under another methodology) and publish."""
    warehouse = Warehouse(db)
    with warehouse.faults(writing=True), warehouse.writer_lock():
        prev = warehouse.require_current()
        _refuse_lake_at_uri(warehouse, _lake_files(warehouse, prev)[0], "build")
        reference = _reference(warehouse, prev, reference_dir, force, on_warning)
        number = warehouse.next_number()
        with warehouse.work_connection() as con:
            return build_snapshot(
                warehouse, con, number, prev, BuildInput(reference, full=True), on_step
            )
