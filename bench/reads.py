"""What the pages ask the warehouse, timed: every page of `greenstats.screens.SCREENS` opened
over many filter bars, from one client and from many clients at once.

A page load is what a reader waits for when the page's data is not cached: one
`screen.view(reader, filters, lang, *view)` call, i.e. the page's SQL on the snapshot's marts,
the stats on their results and the charts, tables and sentences built from them. Each filter
bar opens every page's default view and, where the page offers others (the actions chart's
grain, a partner's or a project's own page), one of those picked at random.

Inside each load, every SQL statement is timed too (`TimedReader`), under the name of the
function of a `greenstats.metrics.queries` module that ran it. Each statement runs on its own
cursor of one shared read-only connection, as the dashboard does (DuckDB 2.0: a connection is not
shared between threads, cursors are).
"""

from __future__ import annotations

import inspect
import math
import random
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date, timedelta
from typing import Any

from greenstats.data.warehouse import Reader, Warehouse
from greenstats.metrics import queries
from greenstats.metrics.filters import PERIODS, Filters, period_bounds
from greenstats.metrics.queries import naming
from greenstats.screens import SCREENS, Screen
from greenstats.ui.i18n import LANGUAGES


def _asker() -> str:
    """The function of a `greenstats.metrics.queries` module that ran the statement timed (the
    outermost one, when one calls another), else the function that called the reader."""
    frame = sys._getframe(1)
    while frame is not None and frame.f_globals.get("__name__") == __name__:
        frame = frame.f_back
    caller = frame.f_code.co_name if frame is not None else "?"
    asker = None
    while frame is not None:
        if frame.f_globals.get("__name__", "").startswith(f"{queries.__name__}."):
            asker = frame.f_code.co_name
        elif asker is not None:
            break
        frame = frame.f_back
    return asker or caller


class TimedReader:
    """A Reader whose SQL statements are timed, per thread: (the query that ran it, seconds).
    Everything else is the wrapped reader's, but that it keeps nothing between loads."""

    def __init__(self, reader: Reader) -> None:
        self.reader = reader
        self._local = threading.local()

    def __getattr__(self, name: str) -> Any:
        return getattr(self.reader, name)

    def take(self) -> list[tuple[str, float]]:
        """The statements this thread ran since it last asked."""
        timed: list[tuple[str, float]] = getattr(self._local, "timed", [])
        self._local.timed = []
        return timed

    def _timed(self, run: Callable[..., Any], sql: str, params: Any) -> Any:
        start = time.perf_counter()
        try:
            return run(sql, params)
        finally:
            seconds = time.perf_counter() - start
            if not hasattr(self._local, "timed"):
                self._local.timed = []
            self._local.timed.append((_asker(), seconds))

    def df(self, sql: str, params: Any = ()) -> Any:
        return self._timed(self.reader.df, sql, params)

    def arrow_df(self, sql: str, params: Any = ()) -> Any:
        return self._timed(self.reader.arrow_df, sql, params)

    def rows(self, sql: str, params: Any = ()) -> Any:
        return self._timed(self.reader.rows, sql, params)

    def scalar(self, sql: str, params: Any = ()) -> Any:
        return self._timed(self.reader.scalar, sql, params)

    # Every page load is timed cold, as the first reader of its filters finds it: nothing a
    # load computes (Reader.keep) is kept for the next, or for another client's.
    def recall(self, key: Any, default: Any = None) -> Any:
        return default

    def keep(self, key: Any, value: Any) -> None:
        pass


@dataclass(frozen=True)
class Timed:
    """One page load: its label, how long it took, and the SQL statements it ran."""

    page: str
    seconds: float
    statements: list[tuple[str, float]]


@dataclass(frozen=True)
class Load:
    """One page load as the app makes it: a screen's view for a filter bar and a language."""

    page: str  # the screen's name, and the view's arguments when it is not the default one
    screen: Screen
    filters: Filters
    lang: str
    view: tuple = ()

    def run(self, reader: TimedReader) -> Timed:
        reader.take()
        start = time.perf_counter()
        self.screen.view(reader, self.filters, self.lang, *self.view)  # a Reader but in name
        return Timed(self.page, time.perf_counter() - start, reader.take())


def _codes(reader: Reader) -> dict[str, list[str]]:
    return {
        "region": [r for (r,) in reader.rows("SELECT DISTINCT region FROM mart_actions_daily")],
        "action": [a for (a,) in reader.rows("SELECT action FROM ref_actions")],
        "brand": naming.brand_ids(reader),
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


def _only(f: Filters, applies: frozenset[str]) -> Filters:
    """The filters dashboard.py passes to a page: those that do not apply are cleared."""
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


def view_label(screen: Screen, view: tuple) -> str:
    """A page's name, with the arguments its view sets: 'actions · grain', 'projects · partner'."""
    names = list(inspect.signature(screen.load).parameters)[3:]
    chosen = [n for n, a in zip(names, view, strict=False) if a is not None]
    return f"{screen.name} · {', '.join(chosen)}" if chosen else screen.name


def page_loads(reader: Reader, combos: int, seed: int = 7) -> list[list[Load]]:
    """`combos` random filter bars, each in a random language, each opened on every page (its
    default view, and one other view the page offers): per filter bar, its page loads."""
    rng = random.Random(seed)
    codes = _codes(reader)
    latest = date.fromisoformat(reader.info()["latest_event_day"])
    bars = []
    for _ in range(combos):
        bar, lang = random_filters(rng, codes, latest), rng.choice(LANGUAGES)
        loads = []
        for screen in SCREENS:
            f = _only(bar, screen.applies)
            loads.append(Load(screen.name, screen, f, lang))
            others = [v for v in screen.variants(reader, f) if v not in ((), screen.args)]
            if others:
                view = others[rng.randrange(len(others))]
                loads.append(Load(view_label(screen, view), screen, f, lang, view))
        bars.append(loads)
    return bars


def run_single(reader: TimedReader, bars: list[list[Load]]) -> list[Timed]:
    """Every page load in turn."""
    return [load.run(reader) for loads in bars for load in loads]


def run_concurrent(
    reader: TimedReader, bars: list[list[Load]], clients: int
) -> tuple[list[Timed], float]:
    """`clients` threads, started together, each opening its share of the filter bars' pages
    one after another; every SQL statement on its own cursor. Returns the timings and the wall
    time."""
    shares = [bars[i::clients] for i in range(clients)]
    results: list[list[Timed]] = [[] for _ in range(clients)]
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
