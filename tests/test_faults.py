"""Operator faults: a damaged warehouse, a read-only folder, a full disk.

Every command that meets one exits 1 with one sentence saying what happened and what to do,
never a traceback, and leaves the published snapshot as it was: for a damaged warehouse every
file is byte-identical afterwards; for a read-only folder or a full disk the published
snapshot is, and so is the count of good rows it stands on. Readers keep reading where they
can (a read-only warehouse, a full disk), and the dashboard shows the same sentence.
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
import resource
import shutil
import signal
import stat
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from greenstats.data import audit, sessions
from greenstats.data.warehouse import Warehouse, WarehouseError
from tests import corpus, ops
from tests.conftest import ROOT

COMMANDS = ("ingest", "build", "summary", "rejects", "info")


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """(the base warehouse, the folder of more events): never changed, copied by each test."""
    return ops.base_warehouse(tmp_path_factory.mktemp("faults"))


def _command(name: str, db: Path, more: Path) -> list[str]:
    args = {"ingest": ["ingest", str(more)], "summary": ["summary", "--as-of", ops.AS_OF]}
    return [*args.get(name, [name]), "--db", str(db)]


# --- broken warehouse files -----------------------------------------------------------------


def _snapshot(db: Path) -> Path:
    return db / "snapshots" / (db / "CURRENT").read_text().split()[0]


def _lake_file(db: Path, table: str) -> Path:
    return sorted((db / "lake" / table).rglob("*.parquet"))[0]


def truncated_snapshot(db: Path) -> None:
    os.truncate(_snapshot(db), _snapshot(db).stat().st_size // 2)


def emptied_snapshot(db: Path) -> None:
    _snapshot(db).write_bytes(b"")


def overwritten_snapshot(db: Path) -> None:
    """Its first blocks overwritten with other bytes (a bad copy, a disk error)."""
    with open(_snapshot(db), "r+b") as fh:
        fh.write(os.urandom(300_000))


def garbled_current(db: Path) -> None:
    (db / "CURRENT").write_text("half a line of someth")


def current_names_a_missing_snapshot(db: Path) -> None:
    (db / "CURRENT").write_text("000099.duckdb\n")


def lost_current(db: Path) -> None:
    (db / "CURRENT").unlink()


def deleted_lake_file(db: Path) -> None:
    _lake_file(db, "actions").unlink()


def truncated_lake_file(db: Path) -> None:
    os.truncate(_lake_file(db, "projects"), 100)


def db_is_a_file(db: Path) -> None:
    shutil.rmtree(db)
    db.write_text("a file where the warehouse folder should be\n")


#: Each fault, the words its sentence starts with, and the commands that meet it (the others
#: do not read what is broken and succeed: rejects and info never read the lake, summary
#: reads the actions' lake files for its exact count of users, not the projects').
BROKEN: dict[Callable[[Path], None], tuple[str, set[str]]] = {
    truncated_snapshot: ("Snapshot snapshots/000001.duckdb of", set(COMMANDS)),
    emptied_snapshot: ("Snapshot snapshots/000001.duckdb of", set(COMMANDS)),
    overwritten_snapshot: ("Snapshot snapshots/000001.duckdb of", set(COMMANDS)),
    garbled_current: ("", set(COMMANDS)),
    current_names_a_missing_snapshot: ("", set(COMMANDS)),
    lost_current: ("", set(COMMANDS)),
    deleted_lake_file: ("Lake file lake/actions/", {"ingest", "build", "summary"}),
    truncated_lake_file: ("Lake file lake/projects/", {"ingest", "build"}),
    db_is_a_file: ("", set(COMMANDS)),
}


@pytest.mark.parametrize("fault", BROKEN, ids=lambda f: f.__name__)
def test_a_broken_warehouse_stops_each_command_with_one_sentence_and_changes_nothing(
    base: tuple[Path, Path], tmp_path: Path, fault: Callable[[Path], None]
) -> None:
    db = ops.copy(base[0], tmp_path / "wh")
    fault(db)
    before = ops.fingerprint(db) if db.is_dir() else db.read_bytes()
    starts, meets = BROKEN[fault]
    for name in COMMANDS:
        code, _, err = ops.cli(*_command(name, db, base[1]))
        if name in meets:
            assert code == 1, (name, err)
            sentence = ops.one_sentence(err)
            assert sentence.startswith(f"error: {starts}"), sentence
            assert str(db) in sentence
        else:
            assert code == 0, (name, err)
        assert (ops.fingerprint(db) if db.is_dir() else db.read_bytes()) == before, name


def test_a_killed_first_publish_is_not_taken_for_a_lost_current(tmp_path: Path) -> None:
    """A snapshot renamed into snapshots/ whose pointer file still names it is a first publish
    that stopped: no warehouse yet, and the next ingest starts afresh. Without the pointer
    file, it is a warehouse that lost CURRENT, and nothing touches it."""
    from tests import handbuilt

    db = tmp_path / "wh"
    folder = handbuilt.write(tmp_path / "in")
    ops.cli("ingest", str(folder), "--db", str(db), "--reference", str(handbuilt.REFERENCE_MIN))
    text = (db / "CURRENT").read_text()
    (db / "CURRENT").rename(db / "CURRENT.123.tmp")
    code, _, err = ops.cli("info", "--db", str(db))
    assert code == 1
    assert ops.one_sentence(err).startswith("error: No warehouse at")
    code, _, err = ops.cli("ingest", str(folder), "--db", str(db))
    assert code == 0, err
    assert Warehouse(db).leftovers() == []
    assert (db / "CURRENT").read_text().split()[0] == text.split()[0]


def test_a_second_writer_fails_at_once_and_changes_nothing(
    base: tuple[Path, Path], tmp_path: Path
) -> None:
    db = ops.copy(base[0], tmp_path / "wh")
    before = ops.fingerprint(db)
    with Warehouse(db).writer_lock():  # an ingest or build running elsewhere
        for name in ("ingest", "build"):
            code, _, err = ops.cli(*_command(name, db, base[1]))
            assert code == 1
            assert ops.one_sentence(err) == (
                f"error: Another ingest or build is writing {db}; wait for it to finish."
            )
        assert ops.cli(*_command("summary", db, base[1]))[0] == 0
    assert ops.fingerprint(db) == before


# --- read-only folders and full disks -------------------------------------------------------


def _mount_tmpfs(where: Path, size_mb: int) -> bool:
    """A tmpfs of `size_mb` MB at `where`, if this process may mount one (root)."""
    where.mkdir(parents=True, exist_ok=True)
    if os.geteuid() != 0 or not shutil.which("mount"):
        return False
    return (
        subprocess.run(
            ["mount", "-t", "tmpfs", "-o", f"size={size_mb}m", "tmpfs", str(where)],
            capture_output=True,
            check=False,
        ).returncode
        == 0
    )


@contextlib.contextmanager
def _tmpfs(where: Path, size_mb: int) -> Iterator[Path]:
    if not _mount_tmpfs(where, size_mb):
        pytest.skip("mounting a tmpfs needs root (and a kernel that allows it)")
    try:
        yield where
    finally:
        subprocess.run(["umount", "-l", str(where)], check=False)


def _state(db: Path) -> tuple:
    """What must not change: CURRENT, the published snapshot's bytes, the good rows it stands
    on and every summary figure."""
    return ops.published(db), ops.good_rows(db), ops.summary(db)


def _check_unchanged(db: Path, before: tuple, sentence_starts: str, code: int, err: str) -> None:
    assert code == 1, err
    sentence = ops.one_sentence(err)
    assert sentence.startswith(f"error: {sentence_starts}"), sentence
    version = before[0][0].split()[0].removesuffix(".duckdb")
    assert f"nothing was published and snapshot {version} is still the published one" in sentence
    assert _state(db) == before


def test_a_read_only_warehouse_is_read_and_never_written(
    base: tuple[Path, Path], tmp_path: Path
) -> None:
    mount = tmp_path / "ro"
    with _tmpfs(mount, 48):
        db = ops.copy(base[0], mount / "wh")
        before = _state(db)
        subprocess.run(["mount", "-o", "remount,ro", str(mount)], check=True)
        for name in ("summary", "rejects", "info"):
            code, _, err = ops.cli(*_command(name, db, base[1]))
            assert code == 0, err
        for name in ("ingest", "build"):
            code, _, err = ops.cli(*_command(name, db, base[1]))
            _check_unchanged(db, before, f"{db} cannot be written (Read-only file system)", code,
                             err)  # fmt: skip
        # A new warehouse on a read-only disk: nothing to publish, nothing published.
        code, _, err = ops.cli("ingest", str(base[1]), "--db", str(mount / "new"))
        assert code == 1
        assert "cannot be written (Read-only file system): nothing was published;" in (
            ops.one_sentence(err)
        )
        assert not (mount / "new").exists()


#: Free space left on the disk for each attempt, in KB: from nothing to a little more than a
#: snapshot (about 6 MB here), so that each step of a write meets the full disk.
FREE_KB = (0, 64, 1_024, 4_096, 6_400, 9_000, 14_000)


def _fill(mount: Path, free_kb: int) -> None:
    """Leave about `free_kb` KB free on the disk at `mount`."""
    filler = mount / "filler"
    filler.unlink(missing_ok=True)
    vfs = os.statvfs(mount)
    size = vfs.f_bavail * vfs.f_frsize - free_kb * 1024
    if size > 0:
        fd = os.open(filler, os.O_WRONLY | os.O_CREAT)
        try:
            os.posix_fallocate(fd, 0, size)
        finally:
            os.close(fd)


def test_a_full_disk_fails_in_one_sentence_and_keeps_the_published_snapshot(
    base: tuple[Path, Path], tmp_path: Path
) -> None:
    mount = tmp_path / "disk"
    with _tmpfs(mount, 48):
        db = ops.copy(base[0], mount / "wh")
        good = ops.good_rows(db)
        failed = 0
        for free in FREE_KB:
            for name in ("ingest", "build"):
                before = _state(db)
                _fill(mount, free)
                code, _, err = ops.cli(*_command(name, db, base[1]))
                (mount / "filler").unlink()
                print(f"{name} with {free:,} KB free: exit {code}")
                if code == 0:  # room enough: then it is published whole
                    assert ops.good_rows(db) in (good, good + 3 * ops.MORE_PER_MONTH)
                    assert Warehouse(db).leftovers() == []
                    continue
                failed += 1
                _check_unchanged(db, before, f"No room is left to write to {db} (No space left "
                                 "on device)", code, err)  # fmt: skip
                # The failed run removed what it wrote.
                assert Warehouse(db).leftovers() == []
                # Reading needs no room.
                _fill(mount, 0)
                for reader in ("summary", "rejects", "info"):
                    assert ops.cli(*_command(reader, db, base[1]))[0] == 0
                (mount / "filler").unlink()
        assert failed >= 2 * len(FREE_KB) - 4  # the last few have room for a build or both
        # With room again, the same commands succeed and equal a clean run.
        clean = ops.copy(base[0], tmp_path / "clean")
        for name in ("ingest", "build"):
            assert ops.cli(*_command(name, db, base[1]))[0] == 0
            assert ops.cli(*_command(name, clean, base[1]))[0] == 0
        assert ops.contents(db) == ops.contents(clean)
        assert ops.good_rows(db) == ops.good_rows(clean) == good + 3 * ops.MORE_PER_MONTH


#: Largest file a writer may write, in bytes (RLIMIT_FSIZE): where no tmpfs can be mounted,
#: a file that may grow no further is the full disk a process sees (EFBIG).
FILE_LIMITS = (0, 200_000, 3_000_000)


def _limit_file_size(limit: int) -> Callable[[], None]:
    def apply() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # EFBIG instead of death
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    return apply


def test_a_file_size_limit_fails_in_one_sentence_and_keeps_the_published_snapshot(
    base: tuple[Path, Path], tmp_path: Path
) -> None:
    """The same through the real entry point, `python -m greenstats`, under RLIMIT_FSIZE: this
    runs on any machine, root or not."""
    db = ops.copy(base[0], tmp_path / "wh")
    before = _state(db)
    for limit in FILE_LIMITS:
        for name in ("ingest", "build"):
            proc = subprocess.run(
                [sys.executable, "-m", "greenstats", *_command(name, db, base[1])],
                cwd=ROOT, capture_output=True, text=True, timeout=300, check=False,
                preexec_fn=_limit_file_size(limit),
            )  # fmt: skip
            reason = os.strerror(errno.EFBIG)
            _check_unchanged(db, before, f"No room is left to write to {db} ({reason})",
                             proc.returncode, proc.stderr)  # fmt: skip
            assert Warehouse(db).leftovers() == []


# --- the dashboard --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "fault", [truncated_snapshot, garbled_current, db_is_a_file], ids=lambda f: f.__name__
)
def test_the_dashboard_shows_a_broken_warehouse_in_one_sentence(
    base: tuple[Path, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fault
) -> None:
    db = ops.copy(base[0], tmp_path / "wh")
    fault(db)
    monkeypatch.setenv("GREENSTATS_DB", str(db))
    at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=60)
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    errors = [e.value for e in at.error]
    assert len(errors) == 1, errors
    # The sentence is shown as text (markdown escaped), so it reads as the command line's.
    shown = re.sub(r"\\(.)", r"\1", errors[0])
    assert str(db) in shown
    assert shown.endswith(".")


# --- what a writer creates ------------------------------------------------------------------


@pytest.fixture
def umask_022() -> Iterator[None]:
    """The usual umask, under which a file is made 0644 (anyone may read it), for one test."""
    before = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(before)


def _modes(db: Path) -> tuple[set[str], set[str]]:
    """The modes of every file, and of every folder (the warehouse's own too), of a warehouse,
    but its spill folder (tmp/spill, always 0700)."""
    files, folders = set(), {oct(stat.S_IMODE(db.stat().st_mode))}
    for p in db.rglob("*"):
        if p != db / "tmp" / "spill":
            (folders if p.is_dir() else files).add(oct(stat.S_IMODE(p.lstat().st_mode)))
    return files, folders


def test_a_warehouse_is_its_owner_s_only_unless_its_group_may_read_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, umask_022: None
) -> None:
    """Its files hold pseudonyms and rejected rows: 0600 in folders of 0700, as the user key
    and the audit log, not the 0644 a umask of 022 gives; with GREENSTATS_SHARE_GROUP=1 the
    group may read them (0640, 0750), but the spill folder (raw rows): 0700. After each
    command the process's umask is its own again."""
    folder = tmp_path / "in"
    folder.mkdir()
    rows = corpus.lines(corpus.A, corpus.act("g0"), corpus.act("bad", energy="-1"))
    (folder / "actions.csv").write_bytes(rows)
    for share, files, folders in (("", "0o600", "0o700"), ("1", "0o640", "0o750")):
        monkeypatch.setenv("GREENSTATS_SHARE_GROUP", share)
        db = tmp_path / f"wh{share}"
        code, _, err = ops.cli("ingest", str(folder), "--db", str(db), "--reference",
                               str(corpus.REFERENCE_MIN))  # fmt: skip
        assert code == 0, err
        code, _, err = ops.cli("build", "--db", str(db))  # a snapshot copied, then published
        assert code == 0, err
        assert _modes(db) == ({files}, {folders})
        assert stat.S_IMODE((db / "tmp" / "spill").stat().st_mode) == 0o700
        assert os.umask(0o022) == 0o022
    monkeypatch.setenv("GREENSTATS_SHARE_GROUP", "yes")
    code, _, err = ops.cli("build", "--db", str(db))
    assert code == 1
    assert ops.one_sentence(err).startswith("error: GREENSTATS_SHARE_GROUP='yes' is neither 1")


def test_a_writer_empties_the_spill_folder_first_and_keeps_it_private(
    tmp_path: Path, umask_022: None
) -> None:
    """A killed writer leaves DuckDB's spill files, which hold rows as read (raw user ids): the
    next writer removes them before anything else, even one that then stops (at a damaged
    CURRENT here); a writer spills into tmp/spill, which only its owner can open, emptied
    when it opens and when it closes."""
    wh = Warehouse(tmp_path / "wh")
    left = wh.root / "tmp" / "spill" / "duckdb_temp_storage_S32K-0.tmp"
    left.parent.mkdir(parents=True)
    left.write_bytes(b"u-raw-1,walking")
    (wh.root / "CURRENT").write_text("half a line of someth")
    with pytest.raises(WarehouseError, match="names no snapshot"), wh.writer_lock():
        pass
    assert not left.exists()
    left.parent.chmod(0o755)
    left.write_bytes(b"u-raw-1,walking")
    with wh.work_connection() as con:
        assert not left.exists()
        assert stat.S_IMODE(left.parent.stat().st_mode) == 0o700
        (spill,) = con.execute("SELECT current_setting('temp_directory')").fetchone()
        assert spill == str(left.parent)
        left.write_bytes(b"u-raw-1,walking")  # as DuckDB spills while the writer runs
    assert list(left.parent.iterdir()) == []


def test_the_sign_in_store_is_its_owner_s_only_as_the_audit_log(
    tmp_path: Path, umask_022: None
) -> None:
    """data/sessions.sqlite keeps subjects and when they signed out: 0600, as the audit log."""
    store, log = tmp_path / "sessions.sqlite", tmp_path / "audit.jsonl"
    sessions.record_sign_out("sub-1", path=store)
    audit.record("sign_out", identity="a@example.org", role="staff", path=log)
    assert {oct(stat.S_IMODE(p.stat().st_mode)) for p in (store, log)} == {"0o600"}
