"""Every screen, on every shape of contract-valid data, under every region alone, every period
preset, a custom range with no data, and a project and a species with nothing in the period,
in both languages: no exception, and every empty part says in words what is missing.

The sweep calls each screen's `load` directly (what the page draws is exactly what `load`
returns), so it runs thousands of combinations in about a minute. A chart's figure is built
only when it is drawn (`Chart.draw`): the sweep of every combination checks the data the
figures are drawn from, and the figures themselves are built and serialised as Streamlit
sends them for every page, shape and language with a sample of each page's views
(`test_each_page_draws_its_figures`), for each chart under the first combination of the sweep
that has it to draw, and for every DRAW_EVERY-th drawn combination
(`test_drawn_filter_combinations`). `test_pages_sample` runs the real pages (AppTest) on every
shape to show the pages draw what `load` returns.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable, Iterator
from datetime import date, timedelta
from pathlib import Path

import pandas as pd
import plotly.io as pio
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from greenstats.data.contract import REGION_CODES
from greenstats.data.warehouse import Reader, Warehouse
from greenstats.metrics.filters import PERIODS, Filters, period_bounds, today_cst
from greenstats.metrics.queries import base, naming
from greenstats.screens import SCREENS, Screen
from greenstats.ui import charts
from greenstats.ui.blocks import drawn_charts, is_empty, walk
from greenstats.ui.i18n import LANGUAGES
from tests import shapes

EMPTY_RANGE = (date(2011, 1, 1), date(2011, 1, 31))  # before any data of any shape


@pytest.fixture(scope="session", params=shapes.SHAPE_NAMES)
def reader(request: pytest.FixtureRequest, shape_db: Callable[[str], Path]) -> Iterator[Reader]:
    db = shape_db(request.param)
    warehouse = Warehouse(db)
    with warehouse.open_snapshot(warehouse.require_current()) as r:
        yield r


def _latest(r: Reader) -> date:
    return base.event_days(r)[1] or today_cst()


def as_the_app_sends(f: Filters, applies: frozenset[str]) -> Filters:
    """The filters a page receives: the bar clears those that do not apply to it (ui)."""
    keep = {"region": "regions", "action": "actions", "brand": "brands",
            "project": "projects", "species": "species"}  # fmt: skip
    cleared = {field: () for key, field in keep.items() if key not in applies}
    if "period" not in applies:
        cleared |= {"date_from": None, "date_to": None}
    return dataclasses.replace(f, **cleared)


def filter_sets(r: Reader, lang: str, applies: frozenset[str]) -> list[tuple[str, Filters]]:
    """The sweep of one shape: each region alone (this year, as the app opens; in English, as
    the words differ by language only, not the data), each preset, a custom range with no data,
    and a project and a species with nothing in the period — each as the page receives it, so
    a page that takes no period is not run once per preset for nothing."""
    seen: set[Filters] = set()
    return [
        (label, sent)
        for label, f in _filter_sets(r, lang)
        if (sent := as_the_app_sends(f, applies)) not in seen and not seen.add(sent)
    ]


def _filter_sets(r: Reader, lang: str) -> list[tuple[str, Filters]]:
    latest, as_of = _latest(r), today_cst()
    lo, hi = period_bounds("this-year", latest)
    out = []
    if lang == "en":
        out += [(f"region {c}", Filters(lo, hi, regions=(c,), as_of=as_of)) for c in REGION_CODES]
    for p in PERIODS:
        if p != "custom":
            out.append((f"period {p}", Filters(*period_bounds(p, latest), as_of=as_of)))
    out.append(("custom, no data", Filters(*EMPTY_RANGE, as_of=as_of)))
    project = next(iter(naming.display_names(r, "projects", "en")), "P-NONE")
    species = next(iter(naming.display_names(r, "species", "en")), "S-NONE")
    out.append((
        "project and species, no data",
        Filters(*EMPTY_RANGE, projects=(project,), species=(species,), as_of=as_of),
    ))  # fmt: skip
    return out


def check(screen: Screen, data: object, f: Filters) -> None:
    """What every screen's data must hold, whatever the data and filters."""
    for block in walk(data):
        where = f"{screen.name}/{block.name}"
        if is_empty(block):
            assert block.empty.strip(), f"{where}: empty without a sentence saying why"
            assert "{" not in block.empty, f"{where}: unfilled placeholder in {block.empty!r}"
            if f.regions and len(f.regions) == 1 and "region" in screen.applies:
                # The sentence names the region the reader chose, never its code.
                assert REGION_CODES[0][:3] not in block.empty, f"{where}: {block.empty!r}"
        frame = block.frame
        assert isinstance(frame, pd.DataFrame), where
        for header in frame.columns:
            assert "_" not in str(header), f"{where}: header {header!r} is not in words"


def draw(screen: Screen, data: object, where: str, skip: set[str] | None = None) -> None:
    """Every chart the page would draw (but those named in `skip`, to which each one drawn is
    added), built and serialised as `st.plotly_chart` sends it (sanitised, then Plotly's JSON):
    each draws at least one trace."""
    for chart in drawn_charts(data):
        if skip is not None:
            if chart.name in skip:
                continue
            skip.add(chart.name)
        try:
            sent = json.loads(pio.to_json(charts.sanitize(chart.figure), validate=False))
        except Exception as exc:  # name the chart and combination that broke, then fail
            raise AssertionError(f"{screen.name}/{chart.name} {where}: {exc!r}") from exc
        assert sent["data"], f"{screen.name}/{chart.name} {where}: a chart with nothing drawn"


def spread(views: list[tuple], n: int = 3) -> list[tuple]:
    """Up to n of a page's views, first, last and between (the Projects page has one a project)."""
    if len(views) <= n:
        return views
    return [views[round(i * (len(views) - 1) / (n - 1))] for i in range(n)]


@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize("screen", SCREENS, ids=lambda s: s.name)
def test_each_page_draws_its_figures(reader: Reader, screen: Screen, lang: str) -> None:
    """Each page for all time, in its default view and up to three others it offers (a grain,
    a partner's list, a project's page), in both languages: every figure builds and
    serialises."""
    f = as_the_app_sends(Filters(as_of=today_cst()), screen.applies)
    for args in dict.fromkeys([(), *spread(screen.variants(reader, f))]):
        draw(screen, screen.view(reader, f, lang, *args), f"{args} [{lang}]")


@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize("screen", SCREENS, ids=lambda s: s.name)
def test_every_screen_holds_for_every_filter(reader: Reader, screen: Screen, lang: str) -> None:
    """Every combination checked on its data; each chart of the page drawn too, under the
    first combination that has it to draw (a chart that only some filters fill, e.g. the
    survival cohorts of one region, is drawn on every shape that can fill it)."""
    drawn: set[str] = set()
    for label, f in filter_sets(reader, lang, screen.applies):
        # Every view the page itself offers (grains, partners, projects) under the presets
        # and empty ranges; the page's default view for each region.
        # (The views' words differ by language only, so they are swept in English.)
        default_only = bool(f.regions) or lang != "en"
        for args in [()] if default_only else screen.variants(reader, f):
            try:
                data = screen.view(reader, f, lang, *args)
            except Exception as exc:  # name the combination that broke, then fail
                raise AssertionError(
                    f"{screen.name}{args} [{lang}] raised under {label}: {exc!r}"
                ) from exc
            check(screen, data, f)
            draw(screen, data, f"{args} [{lang}] under {label}", drawn)


def _draw_filters(r: Reader) -> st.SearchStrategy[Filters]:
    latest = _latest(r)
    names = {k: list(naming.display_names(r, k, "en")) for k in ("actions", "species", "projects")}
    days = st.dates(min_value=date(2015, 1, 1), max_value=latest + timedelta(days=40))

    def pick(options: list[str]) -> st.SearchStrategy[tuple[str, ...]]:
        return st.lists(st.sampled_from(options), max_size=3, unique=True).map(tuple) if (
            options
        ) else st.just(())  # fmt: skip

    return st.builds(
        lambda a, b, regions, actions, species, projects, preset: Filters(
            *(sorted((a, b)) if preset == "custom" else period_bounds(preset, latest)),
            regions=regions, actions=actions, species=species, projects=projects,
            as_of=today_cst(),
        ),
        days, days, pick(list(REGION_CODES)), pick(names["actions"]), pick(names["species"]),
        pick(names["projects"]), st.sampled_from(PERIODS),
    )  # fmt: skip


#: Of the drawn combinations, every DRAW_EVERY-th has its figures built and serialised too.
DRAW_EVERY = 3


@pytest.mark.parametrize("screen", SCREENS, ids=lambda s: s.name)
def test_drawn_filter_combinations(reader: Reader, screen: Screen) -> None:
    @settings(max_examples=12, deadline=None, derandomize=True,
              suppress_health_check=[HealthCheck.function_scoped_fixture])  # fmt: skip
    @given(f=_draw_filters(reader), lang=st.sampled_from(LANGUAGES))
    def run(f: Filters, lang: str) -> None:
        f = as_the_app_sends(f, screen.applies)
        data = screen.view(reader, f, lang)
        check(screen, data, f)
        drawn.append(f)
        if len(drawn) % DRAW_EVERY == 1:  # the figures of a sample: the 1st, 4th, 7th, …
            draw(screen, data, f"[{lang}] {f}")

    drawn: list[Filters] = []
    run()


#: The pages run for real on every shape: default filters, then a region with nothing in it
#: (Macao), then Chinese. AppTest draws what `load` returned, so this shows the pages arrange
#: any screen data without an error.
PAGE_RUNS = ({}, {"region": "Macao"}, {"lang": "中文"})


@pytest.mark.parametrize("shape", shapes.SHAPE_NAMES)
def test_pages_sample(
    shape: str, shape_db: Callable[[str], Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    from streamlit.testing.v1 import AppTest

    from tests.conftest import ROOT

    monkeypatch.setenv("GREENSTATS_DB", str(shape_db(shape)))
    for params in PAGE_RUNS:
        for screen in SCREENS:
            at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=120)
            for key, value in params.items():
                at.query_params[key] = value
            at.run()
            if screen.name != "overview":
                at.switch_page(f"pages/{screen.name}.py").run()
            assert not at.exception, (shape, screen.name, params, at.exception[0].message)
            assert at.title, (shape, screen.name, params)
