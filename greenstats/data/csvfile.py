"""Reading a partner's CSV file row by row, per docs/CONTRACT.md (Files, Bad rows).

A CSV file is read by DuckDB's reader when it is plain: UTF-8, one kind of line end, no blank
lines, no line whose quotes are left open (so each row is one line and DuckDB's row number is
the line's). Any other file, and any file DuckDB cannot read, is read here, one physical line at
a time, so that one bad row never costs the rest of the file:

- each line is decoded on its own: UTF-8, else GB18030 (the file gets a warning naming those
  lines), else the row it belongs to is rejected (`bad_encoding`);
- a row is the physical lines its quoted values span (at most MAX_RECORD_LINES); a quote left
  open rejects its first line alone (`unclosed_quote`) and reading resumes on the next line;
- blank lines (empty or only spaces) are not rows;
- every row keeps the physical line it starts on, the header being line 1, which is what a
  partner sees at that line in an editor.

A file in UTF-16 or UTF-32, or whose lines end in a lone CR, is refused with words that say so
(not_csv_text): read line by line, it would be a header of odd names, or one long line.
"""

from __future__ import annotations

import codecs
import csv
import re
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

#: A quoted value may span this many lines; a quote still open after them was never closed.
MAX_RECORD_LINES = 100
#: The largest value the reader takes (a longer one is a row reject, not a failed file).
FIELD_LIMIT = 64 * 1024 * 1024
#: The longest line kept whole in a reject's value.
REJECT_VALUE_CHARS = 200

csv.field_size_limit(FIELD_LIMIT)

_BLOCK = 1 << 24
_BLANK_LINE = re.compile(rb"(?:\A|\n)[ \t]*\r?\n")
_ODD_QUOTES = re.compile(rb'(?m)^[^"\n]*"(?:[^"\n]*"[^"\n]*")*[^"\n]*$')
_BOM = codecs.BOM_UTF8
#: The bytes of a file's start that tell text in UTF-16 or UTF-32, or lines ended by a lone CR.
_HEAD = 64 * 1024
#: Byte order marks of text that is not UTF-8 (UTF-32 LE's starts with UTF-16 LE's: first).
_WIDE_BOMS = (
    (codecs.BOM_UTF32_LE, "UTF-32"), (codecs.BOM_UTF32_BE, "UTF-32"),
    (codecs.BOM_UTF16_LE, "UTF-16"), (codecs.BOM_UTF16_BE, "UTF-16"),
)  # fmt: skip
#: The same without a byte order mark: a header row of column names (ASCII) in one of these
#: has a NUL byte beside every character.
_WIDE_CODECS = (("utf-32-le", "UTF-32"), ("utf-32-be", "UTF-32"), ("utf-16-le", "UTF-16"),
                ("utf-16-be", "UTF-16"))  # fmt: skip


class CsvRefusedError(Exception):
    """The file cannot be read as CSV at all (no header row, or a header that cannot be read)."""


@dataclass
class Row:
    """One row of a CSV file: the physical line it starts on, and its fields, or why it was
    rejected (a rule of contract.REJECT_RULES, its detail, and the raw text)."""

    line: int
    fields: list[str] | None
    rule: str | None = None
    detail: dict[str, str] = field(default_factory=dict)
    raw: str = ""


@dataclass
class Header:
    """The header row: column names (trimmed) and the physical line after it."""

    names: list[str]
    next_line: int
    gb18030: bool = False


def shorten(text: str, limit: int = REJECT_VALUE_CHARS) -> str:
    """A value as a reject keeps it: whole, or its first `limit` characters and an ellipsis."""
    return text if len(text) <= limit else text[:limit] + "…"


def is_plain(path: Path) -> bool:
    """Whether DuckDB's reader may read the file directly: UTF-8, only LF or only CRLF line
    ends, no NUL byte, no blank line, and an even number of quotes on every line (so no quoted
    value spans lines and each row is one line)."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    ends: str | None = None
    tail = b""
    with open(path, "rb") as fh:
        while True:
            chunk = fh.read(_BLOCK)
            last = not chunk
            data = tail + chunk
            if not last:
                cut = data.rfind(b"\n") + 1
                data, tail = data[:cut], data[cut:]
            if data:
                try:
                    decoder.decode(data, final=last)
                except UnicodeDecodeError:
                    return False
                if b"\x00" in data:
                    return False
                cr, crlf, lf = data.count(b"\r"), data.count(b"\r\n"), data.count(b"\n")
                kind = "lf" if cr == 0 else "crlf" if cr == crlf == lf else "mixed"
                if kind == "mixed" or (lf and ends not in (None, kind)):
                    return False
                if lf:
                    ends = kind
                if _BLANK_LINE.search(data) or (last and not data.strip(b" \t\r\n")):
                    return False
                if b'"' in data and _ODD_QUOTES.search(data):
                    return False
            if last:
                return True


class _Lines:
    """The decoded physical lines of a file, numbered from 1, with push-back; the lines handed
    out since the last `start()` are the current row's."""

    def __init__(self, path: Path) -> None:
        self._fh = open(path, "rb")  # noqa: SIM115 (closed by close())
        self._number = 0
        self._back: deque[tuple[int, str, bool]] = deque()
        self.taken: list[tuple[int, str, bool]] = []
        self.gb18030: list[int] = []
        self.limit = MAX_RECORD_LINES

    def close(self) -> None:
        self._fh.close()

    def start(self) -> None:
        self.taken = []

    def push_back(self, lines: list[tuple[int, str, bool]]) -> None:
        self._back.extendleft(reversed(lines))

    def __iter__(self) -> _Lines:
        return self

    def __next__(self) -> str:
        if len(self.taken) >= self.limit:
            raise _RunawayQuoteError
        if self._back:
            item = self._back.popleft()
        else:
            raw = self._fh.readline()
            if not raw:
                raise StopIteration
            self._number += 1
            if self._number == 1 and raw.startswith(_BOM):
                raw = raw[len(_BOM) :]
            item = (self._number, *self._decode(raw))
        self.taken.append(item)
        return item[1]

    def _decode(self, raw: bytes) -> tuple[str, bool]:
        """The line's text, and whether it could be decoded (UTF-8, else GB18030)."""
        try:
            return raw.decode("utf-8"), True
        except UnicodeDecodeError:
            pass
        try:
            text = raw.decode("gb18030")
        except UnicodeDecodeError:
            return raw.decode("utf-8", errors="replace"), False
        self.gb18030.append(self._number)
        return text, True


class _RunawayQuoteError(Exception):
    """A row has taken MAX_RECORD_LINES lines: its first quote is never closed."""


class Reader:
    """The rows of one CSV file, read as the module docstring says."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lines = _Lines(path)
        self._csv = csv.reader(self._lines, strict=True)
        self.header = self._read_header()

    def close(self) -> None:
        self._lines.close()

    def __enter__(self) -> Reader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def gb18030_lines(self) -> list[int]:
        """The lines read as GB18030 because they are not UTF-8."""
        return self._lines.gb18030

    def _read_header(self) -> Header:
        with open(self.path, "rb") as fh:
            why = not_csv_text(fh.read(_HEAD))
        if why:
            raise CsvRefusedError(why)
        lines = self._lines
        lines.start()
        try:
            names = next(self._csv)
        except StopIteration:
            raise CsvRefusedError("is empty or has no header row") from None
        except (csv.Error, _RunawayQuoteError) as exc:
            raise CsvRefusedError(f"its header row cannot be read ({_error_text(exc)})") from None
        if not all(ok for _, _, ok in lines.taken):
            raise CsvRefusedError("its header row is neither UTF-8 nor GB18030 text")
        names = [n.strip() for n in names]
        if not any(names):
            raise CsvRefusedError("is empty or has no header row")
        seen: set[str] = set()
        for n in names:
            if n and n in seen:
                raise CsvRefusedError(f"its header names column {n!r} twice")
            seen.add(n)
        return Header(names, lines.taken[-1][0] + 1, bool(lines.gb18030))

    def rows(self) -> Iterator[Row]:
        """Every row after the header, good or rejected, in file order; blank lines skipped."""
        width = len(self.header.names)
        lines = self._lines
        while True:
            lines.start()
            try:
                fields = next(self._csv)
                error: str | None = None
            except StopIteration:
                return
            except _RunawayQuoteError:
                fields, error = None, "runaway"
            except csv.Error as exc:
                fields, error = None, str(exc)
            taken = lines.taken
            if not taken:  # csv.Error before any line was taken: nothing left to read
                return
            first, text = taken[0][0], "".join(t for _, t, _ in taken)
            several = len(taken) > 1
            if fields is not None and not several and _blank(fields):
                continue
            if several and (fields is None or len(fields) != width):
                # A quote opened on the first line swallowed the next ones: reject that line
                # alone and read on from the next.
                lines.push_back(taken[1:])
                yield Row(first, None, "unclosed_quote", raw=shorten(taken[0][1].rstrip("\r\n")))
                continue
            raw = shorten(text.rstrip("\r\n"))
            if not all(ok for _, _, ok in taken):
                yield Row(first, None, "bad_encoding", raw=raw)
            elif fields is None:
                yield _unreadable(first, error or "", raw)
            elif len(fields) > width and any(fields[width:]):
                yield Row(first, None, "too_many_fields", raw=raw)
            elif len(fields) > width:
                # Empty fields past the header's (trailing commas, as spreadsheets write them)
                # are no data: the row is read without them, as DuckDB's reader reads it.
                yield Row(first, fields[:width])
            elif len(fields) < width:
                yield Row(first, None, "too_few_fields", raw=raw)
            else:
                yield Row(first, fields)


def not_csv_text(head: bytes) -> str | None:
    """Why a file that starts with these bytes is not CSV text greenstats reads, in words a
    partner can act on (None: it may be): text in UTF-16 or UTF-32, with or without a byte
    order mark (what Excel calls "Unicode Text", Notepad "Unicode"), or lines ended by a lone
    carriage return (old Mac programs). Python's reader would take the first for a header
    of odd names and choke on the second."""
    wide = next((name for bom, name in _WIDE_BOMS if head.startswith(bom)), None)
    first = head.split(b"\n", 1)[0]
    if wide is None and b"\x00" in first:
        wide = next((name for codec, name in _WIDE_CODECS if _ascii_header(head, codec)), None)
    if wide is not None:
        return f"is {wide} text, not UTF-8: save it as UTF-8 (in Excel: CSV UTF-8)"
    # The header row holds or ends in a lone CR (its line, up to the first LF or the whole
    # start of the file, without a CRLF's CR), and lone CRs outnumber LFs.
    header_cr = b"\r" in (first.removesuffix(b"\r") if b"\n" in head else first)
    if header_cr and head.count(b"\r") - head.count(b"\r\n") > head.count(b"\n"):
        return (
            "ends its lines with a lone carriage return (CR, as old Mac programs save text): "
            "save it with LF or CRLF line ends"
        )
    return None


def _ascii_header(head: bytes, codec: str) -> bool:
    """Whether the start of a file, read in this codec, is a line of ASCII text (a header row)."""
    try:
        text = codecs.getincrementaldecoder(codec)().decode(head)
    except UnicodeDecodeError:
        return False
    header = text.split("\n", 1)[0]
    ascii_chars = sum(c < "\x80" for c in header)
    return bool(header) and "\x00" not in header and ascii_chars > 0.9 * len(header)


def _blank(fields: list[str]) -> bool:
    return len(fields) <= 1 and not "".join(fields).strip()


def _unreadable(line: int, error: str, raw: str) -> Row:
    if "unexpected end of data" in error:
        return Row(line, None, "unclosed_quote", raw=raw)
    if "field larger than field limit" in error:
        return Row(line, None, "unreadable_row", {"error": "value larger than 64 MiB"}, raw)
    if "new-line character" in error:
        return Row(line, None, "unreadable_row", {"error": "line break inside a value"}, raw)
    return Row(line, None, "bad_quoting", raw=raw)


def _error_text(exc: BaseException) -> str:
    if isinstance(exc, _RunawayQuoteError):
        return "a quote is never closed"
    if "new-line character" in str(exc):
        return "a lone carriage return, CR, inside a name"
    return str(exc)
