"""The file that keeps what the last delivered notification of alerts gave (docs/ALERTS.md;
its shape, and the check of its text: greenstats/metrics/alert_digest.py).

By default `alerts_notified.json` in the warehouse folder, beside CURRENT; `--state FILE` puts
it elsewhere. It is read without following a symbolic link, only if it is a regular file of at
most MAX_BYTES; it is written whole beside its place and renamed over it (a symbolic link there
is replaced, never written through), with the mode the warehouse's writers give their files
(0600, or 0640 with GREENSTATS_SHARE_GROUP=1: writer_umask).
"""

from __future__ import annotations

import contextlib
import errno
import os
import stat
import tempfile
from pathlib import Path

from greenstats.data.warehouse import WarehouseError
from greenstats.data.warehouse.permissions import writer_umask

#: The state's file in the warehouse folder.
STATE_FILE = "alerts_notified.json"
#: The largest state read: a few hundred bytes an alert, so tens of thousands of alerts.
MAX_BYTES = 8 * 2**20


class StateError(ValueError):
    """A state file that is not one greenstats wrote: why, in words that follow its path."""


def default_path(root: Path) -> Path:
    """Where the state of a warehouse's notifications is kept unless --state says otherwise."""
    return root / STATE_FILE


def writable(path: Path) -> str | None:
    """Why the state cannot be written at `path` (None: it can), before anything is sent."""
    folder = path.parent
    if not folder.is_dir():
        return f"there is no folder {folder}"
    if path.is_dir() and not path.is_symlink():
        return "it is a folder"
    if not os.access(folder, os.W_OK | os.X_OK):
        return f"the folder {folder} cannot be written"
    try:
        writer_umask()
    except WarehouseError as exc:
        return str(exc).split(":", 1)[0]
    return None


def read(path: Path) -> str | None:
    """The text kept at `path`, None when there is none; a StateError (with why) when the file
    is there but cannot be a state greenstats wrote (alert_digest.read_state checks the text)."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
    except FileNotFoundError:
        return None
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise StateError("is a symbolic link, which is not followed") from None
        raise StateError(f"cannot be read ({exc.strerror or exc})") from None
    with os.fdopen(fd, "rb") as fh:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise StateError("is not a regular file")
        data = fh.read(MAX_BYTES + 1)
    if len(data) > MAX_BYTES:
        raise StateError(f"is larger than {MAX_BYTES // 2**20} MB")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise StateError("is not UTF-8 text") from None


def write(path: Path, text: str) -> None:
    """Put `text` at `path` whole: written and synced beside it, then renamed over it. An
    OSError (a full disk, a folder made read-only since) leaves the state as it was."""
    mode = 0o666 & ~writer_umask()
    fd, part = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            os.fchmod(fh.fileno(), mode)
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(part, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(part)
        raise
    with contextlib.suppress(OSError):  # the rename is done; its durability is the folder's
        folder = os.open(path.parent, os.O_RDONLY | os.O_DIRECTORY)
        try:
            os.fsync(folder)
        finally:
            os.close(folder)
