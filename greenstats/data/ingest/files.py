"""The input files: which a folder holds and in what order they load, what each file's
report says, and the checks of a file as a whole (its name, its schema, its header).

A file refused here adds nothing to the load; the other files load (docs/CONTRACT.md, Bad
rows). Nothing here reads a row.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow.parquet as pq

from greenstats.data import csvfile
from greenstats.data.contract import TABLES, Table
from greenstats.data.paths import shown

SUFFIXES = (".csv", ".parquet")

#: Characters DuckDB's readers take for a glob pattern: a file named with one is read through a
#: link with a plain name (a file name is never a pattern).
GLOB_CHARS = set("*?[]{}\\")

#: A CSV file of at most this many bytes is small: consecutive small files of one table with
#: one header are read and checked together (`Loader.load_small_csvs`), and their rows go to
#: one lake file per month. Checked one by one, each cost about 0.26 s of statements (10,000
#: one-row files: 43 minutes, and 10,000 lake files).
SMALL_FILE_BYTES = 256 * 1024
#: The most bytes of small files read and checked together.
SMALL_BATCH_BYTES = 32 * 1024 * 1024


class FileRefusedError(Exception):
    """A file that cannot be loaded at all; the message names the file and why."""


@dataclass
class FileReport:
    """What happened to one input file."""

    table: str
    name: str  # path relative to the input folder
    rows_read: int = 0
    accepted: int = 0
    already_loaded: int = 0
    rejected: int = 0
    refused: str | None = None
    warnings: list[str] = field(default_factory=list)


@dataclass
class Discovery:
    """The files of an input folder that name a contract table, in load order, and the rest;
    `refused`: those that name a table but cannot be taken (see discover), each with why."""

    files: list[tuple[Table, Path]]
    ignored: list[Path]
    refused: list[FileReport] = field(default_factory=list)


def discover(folder: Path) -> Discovery:
    """Find `<table>.csv|.parquet` and `<table>/*.csv|*.parquet` in load order.

    Refused here, each with a report saying why and what to do, while the other files load:
    a file whose name is not UTF-8 (a zip made on Windows in China names its files in GBK),
    which no reader, report or terminal could take; and a symbolic link, file or table folder,
    that leads out of the folder (only what the folder holds is loaded: a link to /etc/passwd
    is not read). A link that stays inside the folder is followed.
    """
    files: list[tuple[Table, Path]] = []
    refused: list[FileReport] = []
    recognised: set[Path] = set()
    inside = folder.resolve()

    def why_not(path: Path, what: str) -> str | None:
        name = path.relative_to(folder)
        if shown(name) != str(name):
            try:
                gbk = os.fsencode(path.name).decode("gb18030")
                read = f" (in GBK, as a zip made on Windows names files, it reads {gbk})"
            except UnicodeDecodeError:
                read = ""
            return f"its name is not UTF-8 text{read}: rename it and load it again"
        if not path.resolve().is_relative_to(inside):
            copy = "the file" if what == "file" else "its files"
            return (
                f"is a link to a {what} outside the input folder, and only what the folder "
                f"holds is loaded: copy {copy} into the folder instead of linking to it"
            )
        return None

    def take(table: Table, path: Path, what: str = "file") -> bool:
        recognised.add(path)
        why = why_not(path, what)
        if why is not None:
            refused.append(FileReport(table.name, shown(path.relative_to(folder)), refused=why))
        elif what == "file":
            files.append((table, path))
        return why is None

    for table in TABLES:
        for suffix in SUFFIXES:
            single = folder / f"{table.name}{suffix}"
            if single.is_file():
                take(table, single)
        part_dir = folder / table.name
        if part_dir.is_dir() and take(table, part_dir, "folder"):
            for part in sorted(part_dir.iterdir()):
                # A hidden part (a macOS "._x.csv", an editor's lock file) is not data.
                hidden = part.name.startswith(".")
                if part.is_file() and not hidden and part.suffix.lower() in SUFFIXES:
                    take(table, part)
    ignored = sorted(
        p
        for p in folder.rglob("*")
        if p.is_file() and p not in recognised and not _hidden(p, folder)
    )
    return Discovery(files, ignored, refused)


def _hidden(path: Path, folder: Path) -> bool:
    return any(part.startswith(".") for part in path.relative_to(folder).parts)


def q(name: str) -> str:
    """Quote an identifier that comes from the contract (never from data)."""
    return '"' + name.replace('"', '""') + '"'


def column_named_twice(path: Path) -> str | None:
    """Why a Parquet file is refused whose schema names a column twice (DuckDB's reader would
    rename the second `energy_g_1` and load the first; a CSV file's header is refused so too),
    or None. Read from the footer; a file that cannot be read is left to the reader."""
    try:
        names = pq.read_schema(path).names
    except Exception:  # pyarrow's errors are of many classes: the reader says why
        return None
    seen: set[str] = set()
    for name in names:
        if name in seen:
            return f"its schema names column {name!r} twice"
        seen.add(name)
    return None


def lacks_column(table: Table, columns: Iterable[str]) -> str | None:
    """Why a file whose columns are these is refused: the first required column it lacks."""
    missing = [c for c in table.required if c not in columns]
    return f"lacks required column {missing[0]!r}" if missing else None


def extra_columns(table: Table, columns: Iterable[str]) -> str | None:
    """The warning for a file's columns the table does not have (None: it has none)."""
    extra = [c or "(unnamed)" for c in columns if c not in table.names]
    return f"extra column(s) ignored: {', '.join(extra)}" if extra else None


def first_line(exc: Exception) -> str:
    return str(exc).strip().splitlines()[0]


def small_csv_header(table: Table, path: Path) -> list[str] | None:
    """The header of a small CSV file that can be read with others (load_small_csvs): one
    that csvfile reads and that has every required column; None for any other."""
    try:
        with csvfile.Reader(path) as reader:
            names = reader.header.names
    except (csvfile.CsvRefusedError, OSError):
        return None
    return names if lacks_column(table, names) is None else None


def plain_name(path: Path, root: Path, load_number: int) -> tuple[Path, Path | None]:
    """A path DuckDB reads as exactly this file: the file's own, or, when its name holds a
    character DuckDB takes for a glob pattern, a link to it with a plain name (returned too,
    to be removed when the file is read)."""
    if not GLOB_CHARS & set(str(path)):
        return path, None
    folder = root / "tmp" / "inputs"
    folder.mkdir(parents=True, exist_ok=True)
    link = folder / f"L{load_number:06d}-{os.getpid()}-{id(path):x}{path.suffix.lower()}"
    link.unlink(missing_ok=True)
    link.symlink_to(path.resolve())
    return link, link


def small_size(path: Path) -> int | None:
    """The size of a small CSV file (SMALL_FILE_BYTES), None for any other file."""
    if path.suffix.lower() != ".csv" or GLOB_CHARS & set(str(path)):
        return None
    try:
        size = path.stat().st_size
    except OSError:
        return None
    return size if size <= SMALL_FILE_BYTES else None
