"""Operator faults: a warehouse that is missing, locked, damaged or cannot be written, and an
error met while reading or writing one (a full disk, a read-only or unreadable folder, a damaged
file), each as one sentence saying what happened and what to do.
"""

from __future__ import annotations

import errno
import os
import re
from pathlib import Path
from typing import Protocol

import duckdb

from greenstats.data.warehouse.snapshot import Snapshot


class WarehouseError(RuntimeError):
    """A warehouse that is missing, locked, damaged or cannot be written, with what to do about
    it, in one sentence (the CLI prints it as it is, the dashboard shows it)."""


class WarehouseBusyError(WarehouseError):
    """Another ingest or build holds the writer lock."""


class Folder(Protocol):
    """What a sentence here reads of a warehouse (a `folder.Warehouse`): its folder, and which
    snapshot is published."""

    root: Path

    def current(self) -> Snapshot | None: ...


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


def os_reason(exc: BaseException) -> str:
    """The operating system's words for an error, e.g. 'No space left on device'."""
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    for words in (*_FULL_WORDS, *_DENIED_WORDS):
        if words in str(exc):
            return words
    return str(exc).strip().splitlines()[0][:120] if str(exc).strip() else type(exc).__name__


def _published(warehouse: Folder) -> str:
    """'the published snapshot 000006 is unchanged' (or that nothing was published yet)."""
    try:
        snap = warehouse.current()
    except (WarehouseError, OSError):
        snap = None
    if snap is None:
        return "nothing was published"
    return f"nothing was published and snapshot {snap.version} is still the published one"


def missing_snapshot(warehouse: Folder, snap: Snapshot) -> WarehouseError:
    return WarehouseError(
        f"Snapshot {snap.path.name} of {warehouse.root} is missing from snapshots/: nothing "
        "was changed; restore it from a backup."
    )


def missing_lake_file(warehouse: Folder, snap: Snapshot, path: str) -> WarehouseError:
    rel = os.path.relpath(warehouse.root / path, warehouse.root)
    return WarehouseError(
        f"Lake file {rel} of {warehouse.root}, which snapshot {snap.version} lists, is missing: "
        "nothing was changed; restore it from a backup (or load your input again into a new "
        "--db folder)."
    )


def operator_fault(
    warehouse: Folder, exc: BaseException, *, writing: bool
) -> WarehouseError | None:
    """See Warehouse.fault."""
    if isinstance(exc, WarehouseError):
        return exc
    text = str(exc)
    code = exc.errno if isinstance(exc, OSError) else None
    root = warehouse.root
    done = _published(warehouse) if writing else "nothing was changed"
    if code in _FULL or any(w in text for w in _FULL_WORDS):
        return WarehouseError(
            f"No room is left to write to {root} ({os_reason(exc)}): {done}; free some space "
            "and run the command again."
        )
    path = _path_of(exc)
    inside = path is not None and path.is_relative_to(root)
    if code in _DENIED or any(w in text for w in _DENIED_WORDS):
        if path is not None and not inside:
            return WarehouseError(
                f"{path} cannot be used ({os_reason(exc)}): {done}; make it readable by this user."
            )
        if writing:
            return WarehouseError(
                f"{root} cannot be written ({os_reason(exc)}): {done}; make it writable, or pass "
                "--db a folder you can write to."
            )
        return WarehouseError(
            f"{root} cannot be read ({os_reason(exc)}): {done}; make it readable by this user."
        )
    if isinstance(exc, duckdb.Error) and inside and any(w in text for w in _DAMAGED_WORDS):
        return damaged(warehouse, path, "truncated or overwritten", done)
    return None


def _path_of(exc: BaseException) -> Path | None:
    """The file an error is about: an OSError's filename, else the first path in its text."""
    if isinstance(exc, OSError) and exc.filename:
        return Path(os.fsdecode(exc.filename)).absolute()
    m = _PATH_IN_MESSAGE.search(str(exc))
    return Path(m.group(1)) if m else None


def damaged(warehouse: Folder, path: Path, how: str, done: str) -> WarehouseError:
    rel = path.relative_to(warehouse.root)
    what = {"snapshots": "Snapshot", "lake": "Lake file"}.get(rel.parts[0], "File")
    return WarehouseError(
        f"{what} {rel} of {warehouse.root} is damaged ({how}: DuckDB cannot read it): {done}; "
        "restore it from a backup, or load your input again into a new --db folder."
    )
