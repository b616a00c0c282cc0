"""The warehouse folder: where it lives, which snapshot is published, the writer's lock and
connection, publishing a built snapshot, and removing what no reader needs (see the package's
docstring for its layout).
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import re
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import duckdb

from greenstats.data.paths import DEFAULT_DB
from greenstats.data.warehouse.connection import configure
from greenstats.data.warehouse.faults import (
    WarehouseBusyError,
    WarehouseError,
    operator_fault,
    os_reason,
)
from greenstats.data.warehouse.permissions import writer_umask_in_effect
from greenstats.data.warehouse.reader import Reader
from greenstats.data.warehouse.snapshot import SNAPSHOT_NAME, Snapshot, listed_files

ENV_DB = "GREENSTATS_DB"

#: Published snapshots kept besides the current one, so a reader that opened one just before
#: a publish can finish its queries.
KEEP_SNAPSHOTS = 3


def resolve_db(db: str | Path | None = None) -> Path:
    """The warehouse folder: the argument, else $GREENSTATS_DB, else data/warehouse."""
    if db:
        return Path(db).expanduser().resolve()
    env = os.environ.get(ENV_DB)
    return Path(env).expanduser().resolve() if env else DEFAULT_DB


class Warehouse:
    """A warehouse folder: lake, snapshots and the CURRENT pointer."""

    def __init__(self, root: str | Path | None = None) -> None:
        self.root = resolve_db(root)
        self.lake = self.root / "lake"
        self.snapshots = self.root / "snapshots"
        self.tmp = self.root / "tmp"
        #: DuckDB's spill space for writers: emptied when a writer connection opens and closes.
        self.spill = self.tmp / "spill"
        self.current_file = self.root / "CURRENT"

    # --- reading -----------------------------------------------------------------------

    def check_root(self) -> None:
        """A clear error when --db names a file instead of a folder."""
        if self.root.exists() and not self.root.is_dir():
            raise WarehouseError(
                f"{self.root} is a file, not a warehouse folder: pass --db the folder that holds "
                "CURRENT, snapshots/ and lake/ (or a new folder, to start a new warehouse)."
            )

    def current(self) -> Snapshot | None:
        """The published snapshot, or None when nothing was ever published."""
        self.check_root()
        try:
            name, _, identity = self.current_file.read_text().strip().partition(" ")
        except FileNotFoundError:
            if not self._first_publish_interrupted():
                raise WarehouseError(
                    f"{self.current_file} is missing although snapshots/ holds snapshots, so "
                    "which one is published is unknown: nothing was changed; restore CURRENT "
                    "from a backup (it holds a line such as `000006.duckdb`)."
                ) from None
            return None
        except (OSError, UnicodeDecodeError) as exc:
            raise WarehouseError(
                f"{self.current_file} cannot be read ({os_reason(exc)}): nothing was changed; "
                "make it readable, or restore it from a backup."
            ) from exc
        m = SNAPSHOT_NAME.match(name)
        if not m:
            raise WarehouseError(
                f"{self.current_file} names no snapshot ({name[:40]!r}): nothing was changed; "
                "restore CURRENT from a backup (it holds a line such as `000006.duckdb`)."
            )
        path = self.snapshots / name
        if not path.exists():
            raise WarehouseError(
                f"{self.current_file} names {name}, which is missing from snapshots/: nothing "
                "was changed; restore that file from a backup."
            )
        return Snapshot(int(m.group(1)), path, identity.strip())

    def _first_publish_interrupted(self) -> bool:
        """With no CURRENT: whether every snapshot in snapshots/ (if any) is one a first publish
        renamed there and then stopped, before CURRENT existed. Publish writes the pointer file
        naming it first, so a snapshot no pointer file names means CURRENT was lost."""
        named = set()
        for pointer in self.root.glob("CURRENT.*.tmp"):
            with contextlib.suppress(OSError, UnicodeDecodeError):
                named.update(pointer.read_text().split()[:1])
        return all(p.name in named for p in self._snapshot_files())

    def _snapshot_files(self) -> list[Path]:
        """The snapshot files of snapshots/, oldest first."""
        if not self.snapshots.is_dir():
            return []
        return sorted(p for p in self.snapshots.iterdir() if SNAPSHOT_NAME.match(p.name))

    def require_current(self) -> Snapshot:
        """The published snapshot, or a clear error naming the folder and what to run."""
        snap = self.current()
        if snap is None:
            raise WarehouseError(
                f"No warehouse at {self.root}: run `python -m greenstats ingest DIR "
                f"--db {self.root}` first (or `python -m greenstats demo` for demo data)."
            )
        return snap

    def open_snapshot(self, snap: Snapshot | None = None) -> Reader:
        """A read-only connection to a snapshot (the published one by default)."""
        if snap is not None:
            return Reader(self, snap)
        for _ in range(5):
            snap = self.require_current()
            try:
                return Reader(self, snap)
            except WarehouseError:
                # Published snapshots are removed once KEEP_SNAPSHOTS newer ones exist: if that
                # happened between reading CURRENT and opening it, read CURRENT again.
                if snap.path.exists() or self.current() == snap:
                    raise
        return Reader(self, self.require_current())

    # --- writing -----------------------------------------------------------------------

    @contextlib.contextmanager
    def writer_lock(self) -> Iterator[None]:
        """Only one writer (ingest or build) at a time; a second one fails at once. The writer
        that gets the lock first empties the spill folder (a killed writer's spill files may
        hold raw user ids) and removes what a killed one left (collect_garbage). What it
        creates is its owner's only (writer_umask)."""
        with writer_umask_in_effect(), self._locked():
            yield

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        self.check_root()
        with self.faults(writing=True):
            self.root.mkdir(parents=True, exist_ok=True)
            fh = open(self.root / ".lock", "a")  # noqa: SIM115 (closed below, after the yield)
        with fh:
            try:
                fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError as exc:
                raise WarehouseBusyError(
                    f"Another ingest or build is writing {self.root}; wait for it to finish."
                ) from exc
            try:
                self._empty_spill()
                self.collect_garbage()
                yield
            finally:
                fcntl.flock(fh, fcntl.LOCK_UN)

    @contextlib.contextmanager
    def work_connection(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """An in-memory DuckDB for one ingest or build (under writer_lock): bounded memory,
        spilling to tmp/spill/, which is emptied before it opens and after it closes."""
        self._empty_spill()
        con = duckdb.connect()
        try:
            configure(con, tmp_dir=self.spill)
            yield con
        finally:
            con.close()
            with contextlib.suppress(OSError):  # if not now, the next writer empties it
                self._empty_spill()

    def _empty_spill(self) -> None:
        """Remove whatever tmp/spill/ holds, and make it its owner's only (0700), whatever
        GREENSTATS_SHARE_GROUP says: spill files hold rows as read, raw user ids included."""
        if self.spill.is_symlink() or (self.spill.exists() and not self.spill.is_dir()):
            self.spill.unlink()
        elif self.spill.is_dir():
            for p in self.spill.iterdir():
                if p.is_dir() and not p.is_symlink():
                    shutil.rmtree(p)
                else:
                    p.unlink(missing_ok=True)
        self.spill.mkdir(mode=0o700, parents=True, exist_ok=True)
        self.spill.chmod(0o700)

    def next_number(self) -> int:
        """The number the next snapshot gets: one past any that exists or is being built."""
        numbers = [0]
        for folder in (self.snapshots, self.tmp):
            if folder.exists():
                for p in folder.iterdir():
                    m = re.match(r"^(\d{6})\.duckdb", p.name)
                    if m:
                        numbers.append(int(m.group(1)))
        return max(numbers) + 1

    def staging_path(self, number: int) -> Path:
        """Where snapshot `number` is built before it is published."""
        self.tmp.mkdir(parents=True, exist_ok=True)
        return self.tmp / f"{number:06d}.duckdb"

    def publish(self, built: Path, number: int, identity: str = "") -> Snapshot:
        """Make a built snapshot the published one, atomically, then tidy old ones away.

        Until CURRENT is replaced nothing a reader sees has changed; a failure before that (a
        full disk) removes what this publish wrote, and a kill leaves it to the next writer."""
        final = self.snapshots / f"{number:06d}.duckdb"
        pointer = self.root / f"CURRENT.{os.getpid()}.tmp"
        try:
            # The pointer first: a snapshot in snapshots/ that neither CURRENT nor a pointer
            # file names was not being published, it was lost track of (see current()).
            # "000006.duckdb <identity>": readers key their caches on the identity.
            pointer.write_text(f"{final.name} {identity}".strip() + "\n")
            _fsync_file(pointer)
            self.snapshots.mkdir(parents=True, exist_ok=True)
            _fsync_file(built)
            os.replace(built, final)
            _fsync_dir(self.snapshots)
            os.replace(pointer, self.current_file)
        except BaseException:
            for p in (pointer, built):
                with contextlib.suppress(OSError):
                    p.unlink(missing_ok=True)
            with contextlib.suppress(OSError):
                named = self.current_file.read_text().split() if self.current_file.exists() else []
                if named[:1] != [final.name]:  # (an interrupt after the rename: it is published)
                    final.unlink(missing_ok=True)
            raise
        # Published: what follows only tidies, and what it cannot do the next writer does.
        with contextlib.suppress(OSError, duckdb.Error, WarehouseError):
            _fsync_dir(self.root)
            self.collect_garbage()
        return Snapshot(number, final, identity)

    def collect_garbage(self) -> None:
        """Remove what no reader can need: published snapshots beyond the KEEP_SNAPSHOTS before
        the current one, snapshots newer than the current one (a publish killed between its
        two renames: never published), everything under tmp/ (builds of a killed writer) but
        the spill folder (emptied by _empty_spill), pointer files never renamed, and lake files
        no kept snapshot lists.

        Run under the writer lock (writer_lock runs it first, publish after). It removes no
        lake file unless it could read the list of every kept snapshot, and raises a
        WarehouseError, removing nothing, if the published snapshot is damaged or a lake file
        it lists is missing."""
        current = self.current()
        if current is None:
            self._collect_unpublished()
            return
        with self.open_snapshot(current) as reader:
            listed = reader.check_lake()
        older = [p for p in self._snapshot_files() if p.name < current.path.name]
        kept = [current.path, *older[-KEEP_SNAPSHOTS:]]
        readable = True
        for p in kept[1:]:
            try:
                listed |= listed_files(p)
            except duckdb.Error:
                readable = False  # a damaged older snapshot: keep every lake file
        keep = {p.name for p in kept}
        for p in self.snapshots.iterdir() if self.snapshots.is_dir() else ():
            if re.match(r"^\d{6}\.duckdb", p.name) and p.name[:13] not in keep:
                p.unlink(missing_ok=True)
        self._clear_tmp()
        if readable:
            self._remove_lake_files(lambda rel: rel not in listed)

    def _collect_unpublished(self) -> None:
        """collect_garbage when nothing is published: a first load that was killed left at most
        a snapshot its pointer file names (current() refuses any other), files under tmp/ and
        lake files of load 000001, all of which go. Lake files of any other load mean the
        warehouse lost its snapshots: those are kept, and the writer stops."""
        for p in self._snapshot_files():  # before the pointer files that account for them
            p.unlink(missing_ok=True)
        self._clear_tmp()
        if not self.lake.is_dir():
            return
        others = [f for f in self._lake_files() if not f.name.startswith("L000001-")]
        if others:
            raise WarehouseError(
                f"{self.root} holds lake files but no CURRENT or snapshot that lists them "
                f"(e.g. {others[0].relative_to(self.root)}): nothing was changed; restore "
                "CURRENT and snapshots/ from a backup, or load your input into a new --db folder."
            )
        self._remove_lake_files(lambda _rel: True)

    def _clear_tmp(self) -> None:
        for p in self.root.glob("CURRENT.*.tmp"):
            p.unlink(missing_ok=True)
        if self.tmp.is_dir():
            for p in sorted(self.tmp.rglob("*"), reverse=True):
                if p == self.spill or self.spill in p.parents:
                    continue  # _empty_spill's: the writer's connection may be spilling there
                if p.is_dir():
                    p.rmdir()
                else:
                    p.unlink(missing_ok=True)

    def _remove_lake_files(self, orphan: Callable[[str], bool]) -> None:
        if not self.lake.is_dir():
            return
        for f in self._lake_files():
            if orphan(str(f.relative_to(self.root))):
                f.unlink(missing_ok=True)
        for d in sorted(self.lake.rglob("*"), reverse=True):
            if d.is_dir() and not any(d.iterdir()):
                d.rmdir()

    def leftovers(self) -> list[Path]:
        """What a killed writer can leave behind and collect_garbage removes: files under tmp/,
        pointer files, snapshots not kept, lake files no kept snapshot lists (the tests' and
        the operator's check; empty after every finished ingest or build)."""
        found = [p for p in self.tmp.rglob("*") if p.is_file()] if self.tmp.is_dir() else []
        found += list(self.root.glob("CURRENT.*.tmp"))
        current = self.current()
        snaps = self._snapshot_files()
        kept = [] if current is None else [
            current.path, *[p for p in snaps if p.name < current.path.name][-KEEP_SNAPSHOTS:]
        ]  # fmt: skip
        found += [p for p in snaps if p not in kept]
        listed: set[str] = set()
        for p in kept:
            listed |= listed_files(p)
        found += [f for f in self._lake_files() if str(f.relative_to(self.root)) not in listed]
        return sorted(found)

    def _lake_files(self) -> list[Path]:
        """Every file under lake/ (data files, and any index a snapshot lists beside them)."""
        return [f for f in self.lake.rglob("*") if f.is_file()] if self.lake.is_dir() else []

    # --- faults --------------------------------------------------------------------------

    def fault(self, exc: BaseException, *, writing: bool) -> WarehouseError | None:
        """An operator fault (a full disk, a read-only or unreadable folder, a damaged file) as
        one sentence saying what happened and what to do; None for anything else."""
        return operator_fault(self, exc, writing=writing)

    @contextlib.contextmanager
    def faults(self, *, writing: bool) -> Iterator[None]:
        """Raise an operator fault met inside as a WarehouseError (see fault); anything else
        as it is."""
        try:
            yield
        except (OSError, duckdb.Error) as exc:
            fault = operator_fault(self, exc, writing=writing)
            if fault is None or fault is exc:
                raise
            raise fault from exc


def _fsync_file(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
