"""The one door to DuckDB: where a warehouse lives, its snapshots, publishing, and reads.

A warehouse is a folder (``--db PATH`` or ``GREENSTATS_DB``):

    lake/<table>/...parquet    accepted rows, typed, written once and never changed
    snapshots/NNNNNN.duckdb    one published snapshot: marts, small tables, methodology,
                               rejects and the manifest of lake files it stands on
    CURRENT                    the name of the published snapshot (replaced atomically)
    tmp/                       snapshots being built; tmp/spill/, DuckDB's spill space
    rounding_seed              the secret of the rounding of counts of people (written by
                               ingest: greenstats/data/privacy_seed.py)

Readers open the snapshot that CURRENT names, read-only. A writer builds the next snapshot
under tmp/, and publishes it by renaming it into snapshots/ and then replacing CURRENT, each
an atomic rename; a build that dies before that leaves the published snapshot untouched.

What a writer creates is its owner's only, files 0600 and folders 0700 (the lake and the
rejects hold pseudonyms, the spill files raw rows), unless GREENSTATS_SHARE_GROUP=1 lets the
folder's group read it (0640, 0750): see writer_umask.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import re
import shutil
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

from greenstats.data.contract import LOCAL_TZ
from greenstats.data.paths import DEFAULT_DB, is_uri

ENV_DB = "GREENSTATS_DB"

#: Published snapshots kept besides the current one, so a reader that opened one just before
#: a publish can finish its queries.
KEEP_SNAPSHOTS = 3

#: DuckDB's buffer pool for writers (ingest and build), which spill to disk above it rather
#: than fail. 3 GB, so that the whole process (buffer pool, Python, allocations DuckDB makes
#: outside the pool) stays under 4 GB: at 4 GB the 100M-event ingest peaked at 4,023 MB RSS.
WRITER_MEMORY_LIMIT = os.environ.get("GREENSTATS_MEMORY_LIMIT", "3GB")

_SNAPSHOT_NAME = re.compile(r"^(\d{6})\.duckdb$")

#: `1`: the warehouse's group may read what a writer creates (files 0640, folders 0750), for a
#: dashboard that runs as another user of that group; unset or `0`: its owner only (0600, 0700).
ENV_SHARE_GROUP = "GREENSTATS_SHARE_GROUP"


class WarehouseError(RuntimeError):
    """A warehouse that is missing, locked, damaged or cannot be written, with what to do about
    it, in one sentence (the CLI prints it as it is, the dashboard shows it)."""


class WarehouseBusyError(WarehouseError):
    """Another ingest or build holds the writer lock."""


def writer_umask() -> int:
    """The umask a writer creates the warehouse's files and folders with: 0o077 (its owner's
    only), or 0o027 with GREENSTATS_SHARE_GROUP=1 (its group may read them too)."""
    value = os.environ.get(ENV_SHARE_GROUP, "").strip()
    if value in ("", "0"):
        return 0o077
    if value == "1":
        return 0o027
    raise WarehouseError(
        f"{ENV_SHARE_GROUP}={value[:40]!r} is neither 1 (the warehouse's group may read what "
        "ingest and build write) nor 0 (its owner only): nothing was changed; set it to 1 or "
        "0, or unset it."
    )


_umask_lock = threading.Lock()
#: The writers of this process running (a umask is the process's) and the umask before them.
_umask_state = {"writers": 0, "before": 0}


@contextlib.contextmanager
def _writer_umask() -> Iterator[None]:
    """The process's umask is writer_umask() while a writer runs (DuckDB, like Python, creates
    files 0666 and folders 0777 less the umask), and what it was once the last writer of the
    process is done (the tests write in-process)."""
    mask = writer_umask()
    with _umask_lock:
        if _umask_state["writers"] == 0:
            _umask_state["before"] = os.umask(mask)
        _umask_state["writers"] += 1
    try:
        yield
    finally:
        with _umask_lock:
            _umask_state["writers"] -= 1
            if _umask_state["writers"] == 0:
                os.umask(_umask_state["before"])


def resolve_db(db: str | Path | None = None) -> Path:
    """The warehouse folder: the argument, else $GREENSTATS_DB, else data/warehouse."""
    if db:
        return Path(db).expanduser().resolve()
    env = os.environ.get(ENV_DB)
    return Path(env).expanduser().resolve() if env else DEFAULT_DB


def sql_literal(text: str) -> str:
    """Quote a string as a SQL literal, for the few statements that take no parameters."""
    return "'" + text.replace("'", "''") + "'"


def configure(con: duckdb.DuckDBPyConnection, *, tmp_dir: Path | None = None) -> None:
    """Session settings every greenstats connection shares."""
    con.execute(f"SET TimeZone = {sql_literal(LOCAL_TZ)}")
    if tmp_dir is not None:
        tmp_dir.mkdir(parents=True, exist_ok=True)
        con.execute(f"SET temp_directory = {sql_literal(str(tmp_dir))}")
        con.execute(f"SET memory_limit = {sql_literal(WRITER_MEMORY_LIMIT)}")
        # Row order of a write never matters (every model states its own ORDER BY where it
        # needs one); without it DuckDB can stream and spill large results in parallel.
        con.execute("SET preserve_insertion_order = false")


@dataclass(frozen=True)
class Snapshot:
    """One published snapshot: its number and file."""

    number: int
    path: Path
    identity: str = ""  # written at publish; caches key on it, never on the number alone

    @property
    def version(self) -> str:
        """The number as people read it, e.g. '000006'."""
        return f"{self.number:06d}"

    @property
    def key(self) -> str:
        """What caches key on: the identity written at publish or, for a pointer written
        before identities existed, the file's inode, size and modification time."""
        if self.identity:
            return self.identity
        st = self.path.stat()
        return f"{st.st_ino}-{st.st_size}-{st.st_mtime_ns}"


@dataclass(frozen=True)
class LakeFile:
    """One Parquet file in the lake: its table, path under the warehouse, month, rows."""

    table: str
    path: str
    month: str | None
    rows: int


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
                f"{self.current_file} cannot be read ({_reason(exc)}): nothing was changed; "
                "make it readable, or restore it from a backup."
            ) from exc
        m = _SNAPSHOT_NAME.match(name)
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
        return sorted(p for p in self.snapshots.iterdir() if _SNAPSHOT_NAME.match(p.name))

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
        with _writer_umask(), self._locked():
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
                listed |= _listed_files(p)
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
            listed |= _listed_files(p)
        found += [f for f in self._lake_files() if str(f.relative_to(self.root)) not in listed]
        return sorted(found)

    def _lake_files(self) -> list[Path]:
        """Every file under lake/ (data files, and any index a snapshot lists beside them)."""
        return [f for f in self.lake.rglob("*") if f.is_file()] if self.lake.is_dir() else []

    # --- faults --------------------------------------------------------------------------

    def fault(self, exc: BaseException, *, writing: bool) -> WarehouseError | None:
        """An operator fault (a full disk, a read-only or unreadable folder, a damaged file) as
        one sentence saying what happened and what to do; None for anything else."""
        return _fault(self, exc, writing=writing)

    @contextlib.contextmanager
    def faults(self, *, writing: bool) -> Iterator[None]:
        """Raise an operator fault met inside as a WarehouseError (see fault); anything else
        as it is."""
        try:
            yield
        except (OSError, duckdb.Error) as exc:
            fault = _fault(self, exc, writing=writing)
            if fault is None or fault is exc:
                raise
            raise fault from exc


#: Readers open in this process, by snapshot path (see Reader.__init__).
_OPEN: dict[str, set[Reader]] = {}
_OPEN_LOCK = threading.RLock()

#: Tables of a snapshot small enough to keep whole in memory per reader (the methodology).
SMALL_TABLES = ("ref_actions", "ref_species")
#: How many results a reader keeps (`Reader.keep`), the least recently used dropped first.
REMEMBERED = 256


class Reader:
    """A read-only connection to one snapshot; each query runs on its own cursor.

    A snapshot file that cannot be read (truncated, overwritten, unreadable) or a lake file
    it lists that is missing or damaged raises a WarehouseError that says so, never DuckDB's
    own error."""

    def __init__(self, warehouse: Warehouse, snap: Snapshot) -> None:
        self.warehouse = warehouse
        self.snapshot = snap
        try:
            self.key = snap.key
        except FileNotFoundError:
            raise _missing_snapshot(warehouse, snap) from None
        # DuckDB shares one database per path within a process: while a reader of an older
        # file at this path (a warehouse replaced in place) stays open, a new connection would
        # read the old file. Close those first.
        with _OPEN_LOCK:
            for other in list(_OPEN.get(str(snap.path), ())):
                if other.key != self.key:
                    other.close()
            if not snap.path.exists():
                raise _missing_snapshot(warehouse, snap)
            with warehouse.faults(writing=False):
                self.con = duckdb.connect(str(snap.path), read_only=True)
            _OPEN.setdefault(str(snap.path), set()).add(self)
        try:
            with warehouse.faults(writing=False):
                configure(self.con)
                # A file cut short (a copy that stopped, a full disk) still opens: DuckDB reads
                # a block only when a query needs it. Its header counts the blocks in use, and
                # each of them lies within the file (free blocks at its end are cut off).
                (needed,) = self.con.execute(
                    "SELECT used_blocks * block_size FROM pragma_database_size() "
                    "WHERE database_name = current_database()"
                ).fetchone()
                if snap.path.stat().st_size < needed + _DUCKDB_HEADERS:
                    raise _damaged(warehouse, snap.path, "truncated", "nothing was changed")
        except BaseException:
            self.close()
            raise
        # A snapshot never changes, so what is read whole from it is read once per reader.
        self._memo: dict[str, pd.DataFrame] = {}
        self._info: dict[str, str] | None = None
        self._kept: OrderedDict[Hashable, Any] = OrderedDict()
        self._kept_lock = threading.Lock()

    def close(self) -> None:
        with _OPEN_LOCK:
            _OPEN.get(str(self.snapshot.path), set()).discard(self)
        self.con.close()

    def __enter__(self) -> Reader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def df(self, sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> pd.DataFrame:
        """Run one parameterized query on a fresh cursor and return the whole result."""
        cur = self.con.cursor()
        try:
            with self.warehouse.faults(writing=False):
                return cur.execute(sql, params).df()
        finally:
            cur.close()

    def arrow_df(self, sql: str, params: Sequence[Any] = ()) -> pd.DataFrame:
        """Like df(), through Arrow: for results of many rows with text columns it measured
        2.5× faster (54,356 rows of day, two texts and a number: 14.3 → 5.5 ms). Dates come
        as datetime64[ms]; use it only for text, date and floating-point columns (a HUGEINT
        or DECIMAL would come back as Python objects)."""
        cur = self.con.cursor()
        try:
            with self.warehouse.faults(writing=False):
                table = cur.sql(sql, params=list(params)).to_arrow_table()
            return table.to_pandas(date_as_object=False)
        finally:
            cur.close()

    def rows(self, sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> list[tuple]:
        """Like df(), as a list of tuples."""
        cur = self.con.cursor()
        try:
            with self.warehouse.faults(writing=False):
                return cur.execute(sql, params).fetchall()
        finally:
            cur.close()

    def scalar(self, sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> Any:
        """The first column of the first row."""
        rows = self.rows(sql, params)
        return rows[0][0] if rows else None

    def whole(self, table: str) -> pd.DataFrame:
        """A small table of the snapshot, whole (read once; each caller gets its own copy)."""
        if table not in SMALL_TABLES:
            raise ValueError(f"{table!r} is not one of the snapshot's small tables")
        if table not in self._memo:
            self._memo[table] = self.df(f"SELECT * FROM {table}")
        return self._memo[table].copy()

    def recall(self, key: Hashable, default: Any = None) -> Any:
        """What was kept under `key` for this snapshot (`keep`), else `default`."""
        with self._kept_lock:
            if key not in self._kept:
                return default
            self._kept.move_to_end(key)
            return self._kept[key]

    def keep(self, key: Hashable, value: Any) -> None:
        """Keep a result computed from this snapshot under a key that names everything else it
        depends on (a snapshot never changes): the latest REMEMBERED are kept."""
        with self._kept_lock:
            self._kept[key] = value
            self._kept.move_to_end(key)
            while len(self._kept) > REMEMBERED:
                self._kept.popitem(last=False)

    def info(self) -> dict[str, str]:
        """The snapshot's metadata (number, when built, methodology version, ...)."""
        if self._info is None:
            self._info = dict(self.rows("SELECT key, value FROM snapshot_info"))
        return dict(self._info)

    def lake_paths(self, table: str, months: Sequence[str] | None = None) -> list[str]:
        """Absolute paths of the lake files this snapshot lists for a table."""
        sql = "SELECT path FROM lake_files WHERE table_name = ?"
        params: list[Any] = [table]
        if months is not None:
            sql += " AND month IN (SELECT unnest(?::VARCHAR[]))"
            params.append(list(months))
        paths = [lake_location(self.warehouse.root, r[0])
                 for r in self.rows(sql + " ORDER BY path", params)]  # fmt: skip
        for path in paths:
            if not is_uri(path) and not os.path.exists(path):
                raise _missing_lake_file(self.warehouse, self.snapshot, path)
        return paths

    def check_lake(self) -> set[str]:
        """The files under lake/ this snapshot lists (paths under the warehouse), after checking
        that each of its data files exists: a writer must not start from a lake that lost one.
        Files at a URI (a lake Spark wrote elsewhere) are not checked here: Spark reads them."""
        listed = [r[0] for r in self.rows("SELECT path FROM lake_files ORDER BY path")]
        for rel in listed:
            if not is_uri(rel) and not (self.warehouse.root / rel).exists():
                raise _missing_lake_file(self.warehouse, self.snapshot, rel)
        return set(listed) | _listed_files(self.snapshot.path, self.con, data=False)


#: Tables of a snapshot that list files under lake/ besides lake_files (data), by path.
LISTING_TABLES = ("key_index",)


def _listed_files(
    path: Path, con: duckdb.DuckDBPyConnection | None = None, *, data: bool = True
) -> set[str]:
    """The paths under the warehouse of the files a snapshot lists: its lake files (`data`)
    and those of LISTING_TABLES it has (a snapshot written before one lacks it)."""
    own = con is None
    con = con or duckdb.connect(str(path), read_only=True)
    try:
        cur = con.cursor()
        try:
            present = {
                t for (t,) in cur.execute(
                    "SELECT table_name FROM duckdb_tables() "
                    "WHERE database_name = current_database()"
                ).fetchall()
            }  # fmt: skip
            tables = [t for t in (("lake_files",) if data else ()) + LISTING_TABLES if t in present]
            return {r[0] for t in tables for r in cur.execute(f"SELECT path FROM {t}").fetchall()}
        finally:
            cur.close()
    finally:
        if own:
            con.close()


# --- faults -----------------------------------------------------------------------------------

#: errno values and DuckDB's words for them, by what they mean for the operator.
_FULL = (errno.ENOSPC, errno.EDQUOT, errno.EFBIG)
_FULL_WORDS = ("No space left on device", "Disk quota exceeded", "File too large")
_DENIED = (errno.EROFS, errno.EACCES, errno.EPERM)
_DENIED_WORDS = ("Read-only file system", "Permission denied", "Operation not permitted")
_DAMAGED_WORDS = (
    "Could not read enough bytes", "not a valid DuckDB database file", "Corrupt",
    "checksum", "too small to be a Parquet file", "No magic bytes", "Invalid Input Error",
    "No files found", "Could not read from file", "Failed to read file",
)  # fmt: skip
_PATH_IN_MESSAGE = re.compile(r"[\"'](/[^\"']+)[\"']")


def _reason(exc: BaseException) -> str:
    """The operating system's words for an error, e.g. 'No space left on device'."""
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    for words in (*_FULL_WORDS, *_DENIED_WORDS):
        if words in str(exc):
            return words
    return str(exc).strip().splitlines()[0][:120] if str(exc).strip() else type(exc).__name__


def _published(warehouse: Warehouse) -> str:
    """'the published snapshot 000006 is unchanged' (or that nothing was published yet)."""
    try:
        snap = warehouse.current()
    except (WarehouseError, OSError):
        snap = None
    if snap is None:
        return "nothing was published"
    return f"nothing was published and snapshot {snap.version} is still the published one"


def _missing_snapshot(warehouse: Warehouse, snap: Snapshot) -> WarehouseError:
    return WarehouseError(
        f"Snapshot {snap.path.name} of {warehouse.root} is missing from snapshots/: nothing "
        "was changed; restore it from a backup."
    )


def lake_location(root: Path, path: str) -> str:
    """Where a lake file lake_files lists is read: a path under the warehouse, or its URI."""
    return path if is_uri(path) else str(root / path)


def _missing_lake_file(warehouse: Warehouse, snap: Snapshot, path: str) -> WarehouseError:
    rel = os.path.relpath(warehouse.root / path, warehouse.root)
    return WarehouseError(
        f"Lake file {rel} of {warehouse.root}, which snapshot {snap.version} lists, is missing: "
        "nothing was changed; restore it from a backup (or load your input again into a new "
        "--db folder)."
    )


def _fault(warehouse: Warehouse, exc: BaseException, *, writing: bool) -> WarehouseError | None:
    """See Warehouse.fault."""
    if isinstance(exc, WarehouseError):
        return exc
    text = str(exc)
    code = exc.errno if isinstance(exc, OSError) else None
    root = warehouse.root
    done = _published(warehouse) if writing else "nothing was changed"
    if code in _FULL or any(w in text for w in _FULL_WORDS):
        return WarehouseError(
            f"No room is left to write to {root} ({_reason(exc)}): {done}; free some space "
            "and run the command again."
        )
    path = _path_of(exc)
    inside = path is not None and path.is_relative_to(root)
    if code in _DENIED or any(w in text for w in _DENIED_WORDS):
        if path is not None and not inside:
            return WarehouseError(
                f"{path} cannot be used ({_reason(exc)}): {done}; make it readable by this user."
            )
        if writing:
            return WarehouseError(
                f"{root} cannot be written ({_reason(exc)}): {done}; make it writable, or pass "
                "--db a folder you can write to."
            )
        return WarehouseError(
            f"{root} cannot be read ({_reason(exc)}): {done}; make it readable by this user."
        )
    if isinstance(exc, duckdb.Error) and inside and any(w in text for w in _DAMAGED_WORDS):
        return _damaged(warehouse, path, "truncated or overwritten", done)
    return None


def _path_of(exc: BaseException) -> Path | None:
    """The file an error is about: an OSError's filename, else the first path in its text."""
    if isinstance(exc, OSError) and exc.filename:
        return Path(os.fsdecode(exc.filename)).absolute()
    m = _PATH_IN_MESSAGE.search(str(exc))
    return Path(m.group(1)) if m else None


#: The bytes of a DuckDB file before its first block (one file header, two database headers).
_DUCKDB_HEADERS = 3 * 4096


def _damaged(warehouse: Warehouse, path: Path, how: str, done: str) -> WarehouseError:
    rel = path.relative_to(warehouse.root)
    what = {"snapshots": "Snapshot", "lake": "Lake file"}.get(rel.parts[0], "File")
    return WarehouseError(
        f"{what} {rel} of {warehouse.root} is damaged ({how}: DuckDB cannot read it): {done}; "
        "restore it from a backup, or load your input again into a new --db folder."
    )


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


def wait_for_snapshot(warehouse: Warehouse, timeout_s: float = 30.0) -> Snapshot:
    """Wait until a snapshot is published (used by the app while a first build runs)."""
    deadline = time.monotonic() + timeout_s
    while True:
        snap = warehouse.current()
        if snap is not None or time.monotonic() > deadline:
            return warehouse.require_current()
        time.sleep(0.2)
