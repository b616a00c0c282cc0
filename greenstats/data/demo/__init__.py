"""Seeded synthetic input data for greenstats, at any scale.

`generate(out_dir, events, seed)` writes the eight input tables of CONTRACT.md for a program in
the mould of Alipay Ant Forest, with events from DEMO_START to DEMO_END: `actions/YYYY-MM.parquet`
and `redemptions/YYYY-MM.parquet` (one part per China-time month, rows in time order) and
`projects.csv`, `plantings.csv`, `surveys.csv`, `protected_areas.csv`, `area_species.csv` and
`brands.csv`, with English and Chinese names (projects, partners, protected areas, species,
brands; all fictional but the real species and places). The same seed and arguments give
byte-identical files.

How: a population of users (join dates on an adoption S-curve with newcomers every week,
heavy-tailed activity, a fixed home region) gives an expected activity per day; `events` are
dealt out to the days with the program's rhythms (weekends, Spring Festival, Covid in 2020,
Double-11) and generated a chunk (a month, or part of one) at a time with vectorised
numpy/pyarrow. A per-user balance carried from chunk to chunk decides redemptions, so nobody
spends energy before earning it; an adoption is one tree, 5 m² of protected land or 1-10 m²
of coast at its real price. Partners plant what was adopted in the next spring or autumn
season, surveys count survival 1, 3 and 5 years later near each species' default, and targets
are a little below the pace partners keep: a healthy program, but for the few INCIDENTS that
went wrong, each with its reason (docs/DEMO.md). With `bad_rows`,
about 0.01% extra rows per table (at least 2) break the contract in realistic ways; their
energy is never counted as earned or spent.

The parts, each readable on its own: `people` (the calendar, the users and their action
events), `projects` (species, partners, projects, plantings and surveys), `conservation`
(protected areas and their species), `redemptions` (the catalogue and how users adopt from it)
and `files` (streaming the events to Parquet, the CSV tables, the bad rows). This module wires
them together. Names with a leading underscore are shared between the parts only.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import numpy as np

from greenstats.data import contract
from greenstats.data.demo.conservation import _area_rows, _area_species
from greenstats.data.demo.files import (
    AREA_FAULTS,
    AREA_SPECIES_FAULTS,
    BRAND_FAULTS,
    PLANTING_FAULTS,
    PROJECT_FAULTS,
    SURVEY_FAULTS,
    _Model,
    _stream,
    _with_bad_rows,
    _write_csv,
)
from greenstats.data.demo.people import (
    ACTIONS,
    DEMO_END,
    DEMO_START,
    EVENTS_PER_USER,
    _calendar,
    _newcomers_and_days,
    _rng,
    _users,
)
from greenstats.data.demo.projects import (
    INCIDENTS,
    SHARE_M2,
    SPECIES,
    _plantings,
    _project_rows,
    _surveys,
)
from greenstats.data.demo.redemptions import _catalog
from greenstats.data.paths import DEMO_MARKER

__all__ = [
    "ACTIONS",
    "DEMO_END",
    "DEMO_MARKER",
    "DEMO_START",
    "EVENTS_PER_USER",
    "INCIDENTS",
    "SHARE_M2",
    "SPECIES",
    "DemoResult",
    "generate",
]


@dataclass(frozen=True)
class DemoResult:
    """What `generate` wrote: rows per table (bad rows included), bad rows, users and span."""

    out_dir: Path
    rows: dict[str, int]
    bad_rows: dict[str, int]
    users: int  # distinct users with at least one action
    first_day: date  # first and last China-time day with an action
    last_day: date


# --- the entry point ---------------------------------------------------------------------------


def _prepare(out_dir: Path) -> None:
    """Create the folders; remove monthly parts a previous run left (they may not recur)."""
    for sub in ("actions", "redemptions"):
        (out_dir / sub).mkdir(parents=True, exist_ok=True)
        for old in (out_dir / sub).glob("*.parquet"):
            if re.fullmatch(r"\d{4}-\d{2}\.parquet", old.name):
                old.unlink()


def generate(
    out_dir: Path,
    events: int = 1_000_000,
    seed: int = 42,
    *,
    progress: Callable[[int, int], None] | None = None,
    bad_rows: bool = True,
) -> DemoResult:
    """Write a seeded synthetic data set of `events` good action events to `out_dir`."""
    if events < 1 or seed < 0:
        raise ValueError("events must be ≥ 1 and seed ≥ 0")
    out_dir = Path(out_dir)
    _prepare(out_dir)
    cal = _calendar()
    users = _users(seed, events, cal.days.size)
    cat = _catalog(seed)
    users, counts = _newcomers_and_days(seed, users, cal, events)
    model = _Model(seed, users, cal, cat, counts, bad_rows)
    ledger = _stream(model, out_dir, progress)

    rng = _rng(seed, 6)
    plantings = _plantings(cat, ledger.adopted, rng)
    projects = _project_rows(cat, ledger.adopted, plantings, rng)
    tables = {
        "projects": (contract.PROJECTS, projects, PROJECT_FAULTS),
        "plantings": (contract.PLANTINGS, plantings, PLANTING_FAULTS),
        "surveys": (contract.SURVEYS, _surveys(plantings, cat, rng), SURVEY_FAULTS),
        "protected_areas": (contract.PROTECTED_AREAS, _area_rows(cat), AREA_FAULTS),
        "area_species": (contract.AREA_SPECIES, _area_species(cat, rng), AREA_SPECIES_FAULTS),
        "brands": (contract.BRANDS, cat.brand_rows, BRAND_FAULTS),
    }
    rows = {"actions": ledger.events_written, "redemptions": ledger.redemptions_written}
    bad = {"actions": ledger.bad_events, "redemptions": ledger.bad_redemptions}
    for name, (table, good, faults) in tables.items():
        written, bad[name] = _with_bad_rows(good, faults, bad_rows, rng)
        rows[name] = _write_csv(out_dir / f"{name}.csv", table, written)
    (out_dir / DEMO_MARKER).write_text(
        f"Synthetic demo data written by greenstats.demo (events={events}, seed={seed}, "
        f"bad_rows={bad_rows}). Not real program data.\n",
        encoding="utf-8",
    )
    active_days = np.flatnonzero(counts)
    return DemoResult(
        out_dir=out_dir,
        rows=rows,
        bad_rows=bad,
        users=int(ledger.seen.sum()),
        first_day=DEMO_START + timedelta(int(active_days[0])),
        last_day=DEMO_START + timedelta(int(active_days[-1])),
    )
