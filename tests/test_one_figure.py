"""One figure, one name, one value (issue 27).

Every card and chart sentence that names a figure declares it (`blocks.Figure`: the strings key
of its name, its value, and whether it counts over the period or all time). For each set of
filters, every page's `load` (as the app sends it the filters) and the brief's blocks (the
Overview's) are walked, and:

- every block naming one figure over the same filters gives it one value;
- a figure of the metrics table (`metric.<key>`) has the table's value (`headline.page_summary`);
- a card shows its first figure under that figure's name, and a card labelled with the name of
  any figure declares it: no card shows a figure under another figure's name;
- two cards with one label show one value.
"""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from collections.abc import Iterator
from datetime import date, timedelta

import pytest

from greenstats.data.warehouse import Reader
from greenstats.metrics import catalog
from greenstats.metrics.filters import Filters, period_bounds, today_cst
from greenstats.metrics.queries import base, headline, program
from greenstats.screens import SCREENS
from greenstats.ui import geo
from greenstats.ui.blocks import Figure, cards, figures
from greenstats.ui.i18n import t


@pytest.fixture(scope="module")
def reader(demo_small_reader: Reader) -> Reader:
    return demo_small_reader


def sent(f: Filters, applies: frozenset[str]) -> Filters:
    """The filters a page receives (the filter bar clears those that do not apply to it)."""
    kept = {"regions": "region", "actions": "action", "brands": "brand",
            "projects": "project", "species": "species"}  # fmt: skip
    out = dataclasses.replace(f, **{k: () for k, v in kept.items() if v not in applies})
    if "period" not in applies:
        out = dataclasses.replace(out, date_from=None, date_to=None)
    return out


def filter_sets(r: Reader) -> list[Filters]:
    """All time; a year to the latest day (the previous year compared); this year (the same
    dates last year compared); the region with the most plantings, and an inland region."""
    as_of = today_cst()
    year = Filters(*period_bounds("this-year", latest_day(r)), as_of=as_of)
    months = twelve_months(r)
    planted = program.planted(r, Filters(as_of=as_of))
    busiest = planted.groupby("region")["units_planted"].sum().idxmax()
    coastal = geo.regions().set_index("region")["coastal"]
    inland = next(code for code in coastal.index if not coastal[code])
    return [
        Filters(as_of=as_of),
        months,
        year,
        dataclasses.replace(months, regions=(busiest,)),
        dataclasses.replace(year, regions=(inland,)),
    ]


def latest_day(r: Reader) -> date:
    return base.event_days(r)[1] or today_cst()


def twelve_months(r: Reader) -> Filters:
    latest = latest_day(r)
    return Filters(latest - timedelta(days=364), latest, as_of=today_cst())


def shown(r: Reader, f: Filters, lang: str) -> Iterator[tuple[str, Filters, object]]:
    """Each page's data for these filters, with the filters it received."""
    for screen in SCREENS:
        page_filters = sent(f, screen.applies)
        yield screen.name, page_filters, screen.view(r, page_filters, lang)


def scope_of(figure: Figure, page_filters: Filters) -> Filters:
    return page_filters.all_time() if figure.scope == "all_time" else page_filters


def test_every_block_naming_a_figure_gives_it_one_value(reader: Reader) -> None:
    for f in filter_sets(reader):
        values: dict[tuple[str, Filters], list[tuple[str, float]]] = defaultdict(list)
        for page, page_filters, data in shown(reader, f, "en"):
            for _block, figure in figures(data):
                values[figure.name, scope_of(figure, page_filters)].append((page, figure.value))
        summaries: dict[Filters, dict] = {}
        for (name, scope), seen in values.items():
            page, first = seen[0]
            for _page, value in seen:
                assert value == pytest.approx(first, rel=1e-9, abs=1e-9), (name, f, seen)
            if name.startswith("metric."):
                s = summaries.setdefault(scope, headline.page_summary(reader, scope))
                key = name.removeprefix("metric.")
                assert first == pytest.approx(float(s[key]), rel=1e-9, abs=1e-9), (name, f, page)


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_a_card_shows_a_figure_under_its_own_name_only(reader: Reader, lang: str) -> None:
    names = {t(m.name, lang): m.name for m in catalog.METRICS}
    for f in filter_sets(reader)[:3]:
        pages = list(shown(reader, f, lang))
        for _page, _filters, data in pages:
            for _block, figure in figures(data):
                names[t(figure.name, lang)] = figure.name
        by_label: dict[tuple[str, Filters], set[str]] = defaultdict(set)
        for page, page_filters, data in pages:
            for card in cards(data):
                if card.figures:
                    assert card.label == t(card.figures[0].name, lang), (page, card.label)
                if card.label in names:
                    assert card.figures, (page, card.label, card.value)
                    assert card.figures[0].name == names[card.label], (page, card.label)
                by_label[card.label, page_filters].add(card.value)
        for (label, _filters), values in by_label.items():
            assert len(values) == 1, (label, f, values)


def test_the_trees_sentence_says_it_counts_all_time_and_the_card_the_period(
    reader: Reader,
) -> None:
    """The review's case: with a period chosen, the Trees card (the period's plantings) and the
    sentence under the chart of every year (all plantings) are different figures, and say so."""
    f = twelve_months(reader)
    trees = next(s for s in SCREENS if s.name == "trees").view(reader, f, "en")
    card = next(c for c in trees.cards if c.figures[0].name == "trees.carbon_stored")
    assert card.label == "Carbon stored by trees to date"
    (stored,) = [fig for fig in trees.years.figures if fig.name == "trees.carbon_stored"]
    assert stored.scope == "all_time"
    assert stored.value > card.figures[0].value
    first = int(program.planted(reader, f.all_time()).query("is_tree")["planted_on"].min().year)
    assert trees.years.insight.startswith(f"All the trees planted since {first} have stored")
    assert date(first, 1, 1) < f.date_from
