"""What a screen hands its page: cards, charts and tables, each complete with its words.

A screen's `load` builds these without Streamlit, so every figure, sentence and empty state a
page can show is computed (and tested) in the package; `greenstats.ui` only draws them.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import cached_property

import pandas as pd
import plotly.graph_objects as go

from greenstats.metrics.filters import Filters
from greenstats.ui import geo
from greenstats.ui.i18n import t


class Markdown(str):
    """Text a screen wrote as markdown on purpose, every part from the data or a link already
    escaped (`fmt.escape_md`). Any other text a page shows is escaped when it is drawn, so a
    name or a link parameter never renders as a link, an image or markup."""


#: What a figure counts over: the filters in force, or the same filters over all time.
SCOPES = ("period", "all_time")


@dataclass(frozen=True)
class Figure:
    """A figure a block names, so that every block naming it can be held to one value
    (tests/test_one_figure.py): `name` is the strings key of its name (`metric.<key>` for a
    figure of the metrics table, whose value is then the table's), `value` the number behind
    the words in that figure's unit, `scope` one of SCOPES."""

    name: str
    value: float
    scope: str = "period"


def metric(key: str, s: Mapping[str, float], scope: str = "period") -> Figure:
    """The figure of the metrics table's `key` in a summary `s` (queries.headline.page_summary)."""
    return Figure(f"metric.{key}", float(s[key]), scope)


@dataclass(frozen=True)
class Card:
    """One headline figure: label, value with its unit, a note under it, help, change."""

    label: str
    value: str
    note: str = ""
    help: str | None = None
    delta: str | None = None  # e.g. '+12%', already formatted
    against: str = ""  # what the delta compares with, in words
    inverse: bool = False  # a rise is bad (backlog, …)
    key: str = ""  # the metric key, when the card shows one of `summary`'s (and its change)
    #: The figures it shows: its value's first (its label is that figure's name), then its note's.
    figures: tuple[Figure, ...] = ()


@dataclass(frozen=True)
class Chart:
    """A chart with its title, one insight sentence, the CSV of what it shows, and what to say
    when there is nothing to draw (`draw` is None).

    `draw` builds the Plotly figure from frames the screen already computed; it runs only when
    the figure is read (a page or report drawing it), as building a figure costs more than
    the queries behind it. It is a `functools.partial` of a module-level function, so the
    chart pickles into the page's cache."""

    name: str  # the CSV's file name and the widget keys
    title: str
    insight: str
    draw: Callable[[], go.Figure] | None
    frame: pd.DataFrame  # the CSV: readers' column headers, values as shown
    empty: str
    figures: tuple[Figure, ...] = ()  # the figures its sentence names

    @cached_property
    def figure(self) -> go.Figure | None:
        """The figure, built once on first use; None when there is nothing to draw."""
        return None if self.draw is None else self.draw()


#: How a table column is drawn: text, a whole number, one decimal, a share shown in percent
#: (values 0–100), a progress bar (0–100) or long text that wraps.
COLUMN_KINDS = ("text", "int", "dec1", "dec2", "percent", "progress", "wide", "date")


@dataclass(frozen=True)
class Table:
    """A table with its title, a sentence above it, how each column is drawn, and the columns
    a phone shows (all of them when empty)."""

    name: str
    title: str
    intro: str
    frame: pd.DataFrame  # readers' column headers
    empty: str
    kinds: Mapping[str, str] = field(default_factory=dict)  # header → COLUMN_KINDS
    phone: tuple[str, ...] = ()
    height: int | None = None
    #: The CSV when it holds more than the table shows (columns the table has no room for,
    #: long sources listed in full under the table, numbers the table shows rounded); None:
    #: the CSV is `frame`.
    csv: pd.DataFrame | None = None


def walk(data: object) -> Iterator[Chart | Table]:
    """Every chart and table a screen's data holds (nested dataclasses and lists included)."""
    yield from _blocks(data, (Chart, Table))


def cards(data: object) -> Iterator[Card]:
    """Every card a screen's data holds."""
    yield from _blocks(data, (Card,))


def figures(data: object) -> Iterator[tuple[Card | Chart, Figure]]:
    """Every figure a screen's cards and chart sentences name, with the block naming it."""
    for block in _blocks(data, (Card, Chart)):
        for figure in block.figures:
            yield block, figure


def _blocks(data: object, kinds: tuple[type, ...]) -> Iterator:
    if isinstance(data, kinds):
        yield data
    elif isinstance(data, Chart | Table | Card):
        return
    elif dataclasses.is_dataclass(data):
        for item in dataclasses.fields(data):
            yield from _blocks(getattr(data, item.name), kinds)
    elif isinstance(data, list | tuple):
        for item in data:
            yield from _blocks(item, kinds)


def drawn_charts(data: object) -> list[Chart]:
    """The charts a page draws for this data (a chart with nothing to draw shows a sentence)."""
    return [b for b in walk(data) if isinstance(b, Chart) and not is_empty(b)]


def is_empty(block: Chart | Table) -> bool:
    """Whether a block has nothing to show (then its `empty` sentence is shown instead)."""
    if isinstance(block, Chart):
        return block.draw is None or block.frame.empty
    return block.frame.empty


def where_words(f: Filters, lang: str) -> str:
    """'in Beijing' / 'in Beijing, Gansu' / '' for all regions: for empty-state sentences."""
    if not f.regions:
        return ""
    names = "、".join if lang == "zh" else ", ".join
    return t("empty.in_regions", lang, regions=names(geo.region_name(r, lang) for r in f.regions))


def empty_text(key: str, f: Filters, lang: str) -> str:
    """An empty state that names what is missing and where: 'No plantings in Beijing in this
    period — widen the period or clear the region.'"""
    return t(key, lang, where=where_words(f, lang))


@dataclass(frozen=True)
class AttentionItem:
    """One alert as a reader sees it: 'critical' or 'warning', and its sentence (names from the
    data in it are escaped when it is drawn)."""

    severity: str
    text: str


@dataclass(frozen=True)
class Attention:
    """The "Needs attention" block: a heading, the alerts in words, what to say without any."""

    title: str
    items: list[AttentionItem]
    empty: str
    summary: str = ""  # '120 alerts, 41 critical; the most urgent first.'
    #: How many are shown as boxes; the rest are listed under "Show all".
    shown: int = 5
