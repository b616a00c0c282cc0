"""What the pages ask the warehouse, timed: every page's queries over many filter combinations,
from one client and from many clients at once.

A "query" is what a page waits for: one `ui.query(name, ...)` call, i.e. one function of
greenstats.pagedata or greenstats.queries run on the snapshot (one or more SQL statements and
the pure stats on their results), with Streamlit's cache out of the way. Each SQL statement runs
on its own cursor of one shared read-only connection, as the dashboard does (DuckDB 2.0: a
connection is not shared between threads, cursors are).
"""

from __future__ import annotations

import math
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date, timedelta
from typing import Any

from greenstats import pagedata, queries
from greenstats.filters import PERIODS, Filters, period_bounds
from greenstats.views import trend_grain
from greenstats.warehouse import Reader, Warehouse

#: Per page: the filters that apply (app.py) and the queries it runs, as (name, extra args,
#: whole history?). Every page also reads snapshot_info, brand_ids and the name tables (ui).
PAGES: dict[str, tuple[set[str], list[tuple[str, tuple, bool]]]] = {
    "overview": (
        {"period", "region"},
        [("page_summary", (), False), ("page_summary:previous", (), False),
         ("carbon_series", ("<grain>", ()), False), ("progress", (), False),
         ("projects", (), False)],
    ),
    "actions": (
        {"period", "region", "action", "brand"},
        [("page_summary", (), False), ("reference_frames", (), False),
         ("carbon_series", ("<any-grain>", ("category",)), False),
         ("carbon_series", (None, ("action",)), False),
         ("carbon_series", (None, ("region",)), False),
         ("carbon_series", (None, ("brand_id",)), False),
         ("users_series", ("<cohort-grain>",), False)],
    ),
    "funnel": (
        {"period", "region", "project", "species"},
        [("funnel", (), False), ("protection", (), False), ("backlog", (), False)],
    ),
    "trees": (
        {"period", "region", "project", "species"},
        [("planted_slice", ("trees",), False), ("planted_slice", ("trees",), True),
         ("cohorts_slice", ("trees",), True), ("sequestration_years", ("trees",), True),
         ("projects", (), False)],
    ),
    "species": (
        {"region"},
        [("areas", (), False), ("area_species", (), False), ("page_summary", (), False),
         ("threatened", (), False)],
    ),
    "coastal": (
        {"period", "region", "project", "species"},
        [("planted_slice", ("coastal",), False), ("survival_now", (), False),
         ("projects", (), False)],
    ),
    "projects": (set(), [("partners", (), False), ("project_report", (), False)]),
    "methodology": (
        set(),
        [("reference_frames", (), False), ("freshness", (), False),
         ("rejects_by_reason", (), False), ("loads", (), False)],
    ),
}  # fmt: skip
EVERY_PAGE = [("snapshot_info", ()), ("brand_ids", ()), ("name_table", ("actions",)),
              ("name_table", ("species",)), ("name_table", ("projects",))]  # fmt: skip


@dataclass(frozen=True)
class Call:
    """One query as a page makes it: the name it is reported under, the function, its args."""

    name: str
    func: Callable[..., Any]
    filters: Filters
    extra: tuple

    def run(self, reader: Reader) -> float:
        """Seconds this call took."""
        start = time.perf_counter()
        self.func(reader, self.filters, *self.extra)
        return time.perf_counter() - start


def _function(name: str) -> Callable[..., Any]:
    """The function ui.query runs for a name (greenstats/ui.py `_cached`)."""
    return getattr(pagedata, name, None) or getattr(queries, name)


def _codes(reader: Reader) -> dict[str, list[str]]:
    return {
        "region": [r for (r,) in reader.rows("SELECT DISTINCT region FROM mart_actions_daily")],
        "action": [a for (a,) in reader.rows("SELECT action FROM ref_actions")],
        "brand": queries.brand_ids(reader, Filters()),
        "project": [p for (p,) in reader.rows("SELECT project_id FROM stg_projects")],
        "species": [s for (s,) in reader.rows("SELECT species FROM ref_species")],
    }


def random_filters(rng: random.Random, codes: dict[str, list[str]], latest: date) -> Filters:
    """A filter bar as a reader might set it: a preset or custom period, and 0–3 values of
    each list filter (most often none)."""
    period = rng.choice(PERIODS)
    if period == "custom":
        hi = latest - timedelta(days=rng.randrange(0, 5 * 365))
        lo = hi - timedelta(days=rng.randrange(0, 3 * 365))
    else:
        lo, hi = period_bounds(period, latest)
    picks = {}
    for key, values in codes.items():
        k = rng.choices([0, 1, 2, 3], weights=[55, 30, 10, 5])[0]
        picks[key] = tuple(sorted(rng.sample(values, min(k, len(values)))))
    return Filters(
        date_from=lo, date_to=hi, regions=picks["region"], actions=picks["action"],
        brands=picks["brand"], projects=picks["project"], species=picks["species"],
        as_of=latest,
    )  # fmt: skip


def _only(f: Filters, applies: set[str]) -> Filters:
    """The filters app.py passes to a page: those that do not apply are cleared."""
    keep = {
        "date_from": f.date_from if "period" in applies else None,
        "date_to": f.date_to if "period" in applies else None,
        "regions": f.regions if "region" in applies else (),
        "actions": f.actions if "action" in applies else (),
        "brands": f.brands if "brand" in applies else (),
        "projects": f.projects if "project" in applies else (),
        "species": f.species if "species" in applies else (),
    }
    return replace(f, **keep)


def page_loads(reader: Reader, combos: int, seed: int = 7) -> list[list[Call]]:
    """`combos` random filter bars, each opened on every page: a list of page loads."""
    rng = random.Random(seed)
    codes = _codes(reader)
    info = reader.info()
    first = date.fromisoformat(info["first_event_day"])
    latest = date.fromisoformat(info["latest_event_day"])
    loads = []
    for _ in range(combos):
        bar = random_filters(rng, codes, latest)
        for applies, calls in PAGES.values():
            f = _only(bar, applies)
            load = [Call(n, _function(n), f, extra) for n, extra in EVERY_PAGE]
            for call, shape, whole in calls:
                filters = pagedata.all_time(f) if whole else f
                name = call.removesuffix(":previous")
                if call != name:  # the overview's change against the previous period
                    filters = f.previous_period()
                    if filters is None:
                        continue
                extra = tuple(_grain(a, f, first, latest, rng) for a in shape)
                label = name if not extra or name == "name_table" else f"{name}{_args(extra)}"
                load.append(Call(label, _function(name), filters, extra))
            loads.append(load)
    return loads


def _grain(arg: object, f: Filters, first: date, latest: date, rng: random.Random) -> object:
    """A page's time grain: the automatic one (overview), any the reader picks (the actions
    chart), or what the actions page gives its users chart (pages/actions.py)."""
    auto = trend_grain(f.date_from, f.date_to, first, latest)
    if arg == "<grain>":
        return auto
    if arg == "<any-grain>":
        return rng.choice(["day", "week", "month"])
    if arg == "<cohort-grain>":
        picked = rng.choice(["day", "week", "month"])
        return "month" if "month" in (picked, auto) else picked
    return arg


def _args(extra: tuple) -> str:
    shown = [a for a in extra if a not in ("day", "week", "month", None)]
    words = [" ".join(a) if isinstance(a, tuple) else str(a) for a in shown]
    return f" by {', '.join(w for w in words if w)}" if any(words) else ""


def run_single(reader: Reader, loads: list[list[Call]]) -> list[tuple[str, float]]:
    """Every page load in turn, one query at a time."""
    return [(call.name, call.run(reader)) for load in loads for call in load]


def run_concurrent(
    reader: Reader, loads: list[list[Call]], clients: int
) -> tuple[list[tuple[str, float]], float]:
    """`clients` threads, started together, each opening its share of the page loads one after
    another; every SQL statement on its own cursor. Returns the timings and the wall time."""
    shares = [loads[i::clients] for i in range(clients)]
    results: list[list[tuple[str, float]]] = [[] for _ in range(clients)]
    start = threading.Barrier(clients + 1)

    def client(i: int) -> None:
        start.wait()
        results[i] = run_single(reader, shares[i])

    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    for t in threads:
        t.start()
    start.wait()
    began = time.perf_counter()
    for t in threads:
        t.join()
    wall = time.perf_counter() - began
    return [r for rs in results for r in rs], wall


def open_reader(db: str) -> Reader:
    return Warehouse(db).open_snapshot()


def percentile(values: list[float], p: float) -> float:
    """The p-th percentile (nearest rank)."""
    ordered = sorted(values)
    rank = max(1, math.ceil(p / 100 * len(ordered)))
    return ordered[rank - 1]
