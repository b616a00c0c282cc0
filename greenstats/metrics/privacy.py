"""Counts of people as pages show them (docs/CONTRACT.md, Privacy): 0 as 0, 1 to k − 1 as
"< k", and every other count rounded to a multiple of k, at random but the same at each asking.

A count n of k or more is shown as the multiple of k below it or the one above it, the one above
with probability (n mod k) / k, so that on average the shown count is the true one. The coin is
HMAC-SHA-256, under a secret seed, of the cell (what was counted) and of n: the same question
always gets the same answer, and asking it again gives nothing new to average. Every number shown
is then 0 or a multiple of k, and so is the difference of any two: two filter sets that differ
by one region, one day or anything else never show a difference of 1 to k − 1.

The cell names the people counted as closely as the page can tell them, so that two ways of
asking for the same people get one answer, not one draw each (`Cell`). `rounded` is the pure
function; `seed` reads the secret a warehouse keeps.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass
from datetime import date

from greenstats.data import privacy_seed
from greenstats.data.contract import K_ANONYMITY
from greenstats.data.warehouse import Warehouse

#: What `rounded` gives for a count of 1 to k − 1: a count shown as "< k" (greenstats.ui.fmt
#: .people) and never as a number. The count itself goes no further than this module.
UNDER_K = 1


@dataclass(frozen=True)
class Cell:
    """What a count of people counted. Two questions that count the same people should name
    the same cell, so the page describes the people rather than the filters where it can:

    - a count from the HyperLogLog sketches: its histogram of register values (`sketch`),
      which is the same whichever regions and days merged into it, so adding a region or a day
      in which none of these people acted asks the same question;
    - an exact count of a whole day, week or month (the users chart): that bucket and its one
      region, or every region (`regions` empty);
    - new users: the regions and the first and last day that hold a new user in the selection
      (together they fix which new users were counted);
    - a count worked out from two others (returning users: active − new): their cells.

    Counts of people do not depend on the action and brand filters (users are counted across
    all actions and brands), so these are no part of a cell.
    """

    metric: str
    regions: tuple[str, ...] = ()
    first: date | None = None
    last: date | None = None
    grain: str = ""
    sketch: tuple[int, ...] = ()
    parts: tuple[Cell, ...] = ()

    def _words(self) -> list:
        return [
            self.metric,
            sorted(set(self.regions)),
            self.first.isoformat() if self.first else None,
            self.last.isoformat() if self.last else None,
            self.grain,
            list(self.sketch),
            [p._words() for p in self.parts],
        ]

    def text(self) -> str:
        """The cell as the keyed hash reads it: one text for one cell."""
        return json.dumps(self._words(), separators=(",", ":"))


def sketch_cell(metric: str, histogram: object) -> Cell:
    """The cell of a count read from the sketches: registers per value 1, 2, … (index 0, the
    registers not set, left out), without trailing zeros."""
    counts = [int(c) for c in list(histogram)[1:]]
    while counts and counts[-1] == 0:
        counts.pop()
    return Cell(metric, sketch=tuple(counts))


def rounded(n: int, cell: Cell, seed: bytes, k: int = K_ANONYMITY) -> int:
    """The count of people to show for a true count `n` of `cell`: 0 for 0, `UNDER_K` for 1 to
    k − 1 (shown "< k"), a multiple of k as it is, and otherwise the multiple of k below n or the
    one above, the one above with probability (n mod k) / k as decided by HMAC-SHA-256 under
    `seed` of the cell and n. Never below k when n is k or more; never k or more away from n."""
    n = int(n)
    if n < 0:
        raise ValueError(f"a count of people cannot be negative ({n})")
    if n == 0:
        return 0
    if n < k:
        return UNDER_K
    below, rest = divmod(n, k)
    if rest == 0:
        return n
    digest = hmac.new(seed, f"{cell.text()}\n{n}".encode(), hashlib.sha256).digest()
    # Up when a uniform 64-bit draw u has u / 2^64 < rest / k, compared in integers.
    up = int.from_bytes(digest[:8], "big") * k < rest << 64
    return (below + up) * k


def parts(new: int, returning: int, active: int, cells: tuple[Cell, Cell, Cell], seed: bytes,
          k: int = K_ANONYMITY) -> tuple[int, int, int]:  # fmt: skip
    """New, returning and active users of one bar as shown: each part rounded; the total the
    sum of its shown parts when both are shown as numbers (a stacked bar and its table then
    agree), else rounded on its own. `cells`: new's, returning's and active's."""
    shown_new = rounded(new, cells[0], seed, k)
    shown_returning = rounded(returning, cells[1], seed, k)
    if 0 < shown_new < k or 0 < shown_returning < k:
        return shown_new, shown_returning, rounded(active, cells[2], seed, k)
    return shown_new, shown_returning, shown_new + shown_returning


def seed(warehouse: Warehouse) -> bytes:
    """The rounding's secret for a warehouse: HMAC-SHA-256 of a fixed text under its user key,
    kept beside its snapshots by every ingest (greenstats/data/privacy_seed.py). Never shown;
    the same for every copy and rebuild of the warehouse, so none of them gives the same
    question another answer."""
    return privacy_seed.read(warehouse)
