"""Injection through the pages, swept (issue 13): every free text of the data and every URL
parameter the app reads, tried with markdown, HTML, SQL, a spreadsheet formula and long
strings, on every page of SCREENS in both languages. Nothing renders as a link, an image or
markup, and every CSV cell a page offers is neutralised.

The hostile values and the warehouse that holds them are in tests/hostile.py; the same
warehouse is served to Chromium by tests/e2e/test_injection.py.
"""

from __future__ import annotations

import csv
import dataclasses
import functools
import html
import inspect
import io
import re
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import plotly.graph_objects as go
import pytest
from streamlit.testing.v1 import AppTest

from greenstats.data.warehouse import Warehouse
from greenstats.metrics.filters import Filters, today_cst
from greenstats.metrics.queries import headline
from greenstats.screens import SCREENS, Screen
from greenstats.ui.frame.downloads import csv_bytes
from greenstats.ui.frame.filters import FILTER_KEYS, LANGUAGE_LABELS
from greenstats.ui.i18n import t
from tests import hostile
from tests.conftest import ROOT
from tests.hostile import (
    AUTOLINK,
    HOST,
    HOSTILE,
    LONG_TEXT,
    OWN_PARAMETERS,
    ROUNDS,
    URL_PARAMETERS,
    URL_VALUES,
    Built,
    appears,
    figure_markup,
    figure_strings,
    link,
    noticed,
    plain,
    renders_link_or_image,
    swept_columns,
)

LANGS = ("en", "zh")
#: The period of every sweep: all of the data.
ALL_TIME = Filters(as_of=today_cst())

# --- what AppTest shows -------------------------------------------------------------------------

#: The fields of an element that Streamlit reads as markdown: a body, a label, a help tooltip,
#: a progress bar's text, a card's comparison, an alert's title; expanders' and tabs' labels.
MARKDOWN_FIELDS = ("body", "label", "help", "text", "delta_description", "title")


def _nodes(node: object) -> Iterator[object]:
    yield node
    for child in getattr(node, "children", {}).values():
        yield from _nodes(child)


def markdown_shown(at: AppTest) -> list[str]:
    """Every text of the page that Streamlit reads as markdown (main area and sidebar)."""
    out = []
    for node in _nodes(at._tree):
        proto = getattr(node, "proto", None)
        if proto is None or not hasattr(proto, "DESCRIPTOR"):
            continue
        for block in ("expandable", "tab"):
            if block in proto.DESCRIPTOR.fields_by_name and proto.HasField(block):
                out.append(getattr(proto, block).label)
        for name in MARKDOWN_FIELDS:
            if name in proto.DESCRIPTOR.fields_by_name:
                value = getattr(proto, name)
                if isinstance(value, str) and value:
                    out.append(value)
    return out


def html_allowed(at: AppTest) -> list[str]:
    """The markdown the app lets through as HTML (its own stylesheet, never data)."""
    return [
        n.proto.body
        for n in _nodes(at._tree)
        if getattr(n, "type", "") == "markdown" and getattr(n.proto, "allow_html", False)
    ]


def figures(at: AppTest) -> list[str]:
    """The JSON of every Plotly figure the page sent."""
    return [c.proto.spec for c in at.get("plotly_chart")]


def unescaped(markdown: str) -> str:
    """Markdown as a reader reads it: backslash escapes and zero-width spaces removed."""
    return plain(re.sub(r"\\(.)", r"\1", markdown))


def cells(at: AppTest) -> list[str]:
    """Every cell of every table the page shows (drawn as plain text)."""
    out = []
    for frame in at.dataframe:
        out += [str(v) for v in frame.value.to_numpy().ravel()]
    return out


def options(at: AppTest) -> list[str]:
    """Every option of every select box (drawn as plain text): names from the data."""
    out = []
    for node in _nodes(at._tree):
        proto = getattr(node, "proto", None)
        if (
            proto is not None
            and hasattr(proto, "DESCRIPTOR")
            and "options" in proto.DESCRIPTOR.fields_by_name
        ):
            out += [o for o in proto.options if isinstance(o, str)]
    return out


def data_strings(data: object) -> Iterator[str]:
    """Every text a screen's data holds: fields, list items, table cells, figure texts."""
    if isinstance(data, str):
        yield data
    elif isinstance(data, pd.DataFrame):
        yield from (str(v) for v in data.to_numpy().ravel())
    elif isinstance(data, go.Figure):
        yield from (html.unescape(s) for s in figure_strings(data.to_json()))
    elif dataclasses.is_dataclass(data):
        for item in dataclasses.fields(data):
            yield from data_strings(getattr(data, item.name))
    elif isinstance(data, list | tuple):
        for item in data:
            yield from data_strings(item)


@functools.cache
def _pages() -> dict:
    """The pages st.navigation registers (AppTest learns them from a first run of dashboard.py)."""
    probe = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=120)
    probe.run()
    return probe._registered_pages


def open_page(db: Path, screen: Screen, params: dict[str, str]) -> AppTest:
    """A reader opening a link to the page in a new session, as a browser does: dashboard.py runs
    with the link's parameters, the filter bar and the link check for this page, then the
    page. (A page AppTest switches to runs alone, Streamlit's legacy mode; in a new session
    ui.page_filters finds no filters and reruns the request through dashboard.py.)"""
    at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=120)
    at.query_params.update(params)
    if screen.name != "overview":
        at._registered_pages = _pages()  # what switch_page needs from a first run
        at.switch_page(f"pages/{screen.name}.py")
    at.run()
    assert len(at.sidebar.children), f"{screen.name} ran without dashboard.py"
    return at


def link_notice(at: AppTest) -> str:
    """The notice naming the link's values that were ignored, as a reader reads it ('' when
    there is none)."""
    starts = [t("link.ignored", lang, values="\0").split("\0")[0] for lang in LANGS]
    shown = [unescaped(str(i.value)) for i in at.info]
    return "\n".join(s for s in shown if any(s.startswith(start) for start in starts))


def writes_source_links(screen: Screen) -> bool:
    """Whether a screen shows sources with their web addresses as links (the methodology)."""
    return "links=True" in Path(inspect.getsourcefile(screen.load) or "").read_text()


def check_nothing_renders(at: AppTest, screen: Screen, where: str) -> list[str]:
    """No exception; no text Streamlit reads as markdown draws a link or an image (but a
    source's own address, on a page that lists sources, and never to the hostile host); no
    HTML let through holds the hostile host; no figure holds a tag. Returns the markdown."""
    assert not at.exception, (where, at.exception[0].message)
    shown = markdown_shown(at)
    if writes_source_links(screen):
        links = [u for s in shown for u in AUTOLINK.findall(s)]
        assert links, f"{where}: no source link: is writes_source_links still true?"
        assert not [u for u in links if HOST in u], where
        shown = [AUTOLINK.sub("", s) for s in shown]
    drawn = [s[:200] for s in shown if renders_link_or_image(s)]
    assert not drawn, (where, drawn)
    assert not [h for h in html_allowed(at) if HOST in h], where
    for spec in figures(at):
        assert not figure_markup(spec), (where, figure_markup(spec)[:3])
    return shown


# --- 1. every free text of the data -------------------------------------------------------------


def test_every_free_text_column_of_the_contract_is_swept(hostile_warehouse: Built) -> None:
    """The sweep covers the contract's free text: names, partners, Chinese names, brands,
    scientific and common names; keys, codes and references stay valid."""
    swept = swept_columns()
    assert swept["projects"] == ["name", "name_zh", "partner", "partner_zh"]
    assert {"scientific_name", "common_name", "common_name_zh"} <= set(swept["area_species"])
    assert swept["brands"] == ["name", "name_zh"]
    assert "brand_id" in swept["actions"]
    assert not any("user_id" in cols or "event_id" in cols for cols in swept.values())
    assert LONG_TEXT in hostile_warehouse.values
    assert set(HOSTILE) <= set(hostile_warehouse.values)


def test_ingest_keeps_every_good_row_of_hostile_text(
    hostile_warehouse: Built, handbuilt_ingest: tuple[Path, object]
) -> None:
    """Hostile text is text: every row the hand-built folder loads also loads when its names
    are hostile, file by file and table by table (the brands file is the hostile folder's own)."""
    plain_db, plain_result = handbuilt_ingest
    accepted = {r.name: r.accepted for r in hostile_warehouse.result.reports}
    assert accepted.pop("brands.csv") == len(hostile.BRANDS)
    assert accepted == {r.name: r.accepted for r in plain_result.reports}
    plain, hostile_counts = _counts(plain_db), _counts(hostile_warehouse.db)
    assert hostile_counts.pop("lake:brands") == len(hostile.BRANDS)
    assert hostile_counts == plain, "a row with hostile text was lost or changed a figure"
    assert plain["lake:actions"] == 10, plain
    assert plain["lake:projects"] == 4, plain


def _counts(db: Path) -> dict[str, float]:
    """The rows the snapshot's lake holds per table, and every figure of `summary`."""
    with Warehouse(db).open_snapshot() as r:
        rows = r.rows("SELECT table_name, sum(rows) FROM lake_files GROUP BY ALL")
        out = {f"lake:{table}": int(n) for table, n in rows}
        out |= {f"summary:{k}": v for k, v in headline.summary(r, Filters()).items()}
    return out


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("screen", SCREENS, ids=lambda s: s.name)
def test_hostile_data_shows_as_text_on_every_page(
    hostile_warehouse: Built, screen: Screen, lang: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GREENSTATS_DB", str(hostile_warehouse.db))
    # The link carries labels in its own language: ?lang=中文&period=全部时间.
    link_ = {"lang": LANGUAGE_LABELS[lang], "period": t("period.all", lang)}
    at = open_page(hostile_warehouse.db, screen, link_)
    assert at.title[0].value == t(
        "overview.heading" if screen.name == "overview" else screen.title_key, lang
    ), "the page is not in the language of the link"
    assert not link_notice(at), link_notice(at)
    shown = check_nothing_renders(at, screen, f"{screen.name} {lang}")
    texts = [unescaped(s) for s in shown] + cells(at)
    texts += [html.unescape(s) for spec in figures(at) for s in figure_strings(spec)]
    assert appears(hostile_warehouse.values, options(at)), "the filter bar lists no hostile name"
    # Whatever hostile names the page's own data holds, some reach the page, as text.
    with Warehouse(hostile_warehouse.db).open_snapshot() as r:
        held = appears(hostile_warehouse.values, data_strings(screen.view(r, ALL_TIME, lang)))
    seen = appears(hostile_warehouse.values, texts)
    assert seen or not held, f"{screen.name} ({lang}) shows none of {len(held)} hostile names"


# --- 2. every URL parameter ---------------------------------------------------------------------


def test_the_url_sweep_knows_every_parameter() -> None:
    assert {"lang", "period", "from", "to", *FILTER_KEYS, "grain", "partner", "p"} <= set(
        URL_PARAMETERS
    ), URL_PARAMETERS
    assert {"lang", "period", "from", "to", *FILTER_KEYS} <= noticed("overview")
    assert OWN_PARAMETERS["actions"] == {"grain"}
    assert OWN_PARAMETERS["projects"] == {"partner", "p"}
    met = {(p, v) for k in ROUNDS for p, v in link(k).items()}
    assert len(met) == len(URL_PARAMETERS) * len(URL_VALUES)


@pytest.mark.parametrize("round_", ROUNDS)
@pytest.mark.parametrize("screen", SCREENS, ids=lambda s: s.name)
def test_hostile_link_values_show_as_text_on_every_page(
    hostile_warehouse: Built, screen: Screen, round_: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GREENSTATS_DB", str(hostile_warehouse.db))
    params = link(round_)
    at = open_page(hostile_warehouse.db, screen, params)
    check_nothing_renders(at, screen, f"{screen.name} {params}")
    notice = link_notice(at)
    missing = [p for p, v in params.items() if p in noticed(screen.name) and f"“{v}”" not in notice]
    assert not missing, f"{screen.name}: the notice does not name {missing}"


# --- 3. every CSV a page offers -----------------------------------------------------------------

#: What a spreadsheet reads as the start of a formula (fmt.csv_safe's rule: a text cell that
#: begins with one of these is written with a leading apostrophe, which shows it as text).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"-?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?|-?inf")


def frames(data: object) -> Iterator[pd.DataFrame]:
    """Every table a screen's data holds: each chart's and table's CSV and the page's own
    downloads (a project's figures, the metric definitions)."""
    if isinstance(data, pd.DataFrame):
        yield data
    elif dataclasses.is_dataclass(data):
        for item in dataclasses.fields(data):
            yield from frames(getattr(data, item.name))
    elif isinstance(data, list | tuple):
        for item in data:
            yield from frames(item)


def csv_cells(frame: pd.DataFrame) -> list[str]:
    """The cells (header included) of the CSV the download button writes for a frame."""
    text = csv_bytes(frame).decode("utf-8-sig")
    return [cell for row in csv.reader(io.StringIO(text)) for cell in row]


def written(db: Path, screen: Screen, langs: tuple[str, ...] = LANGS) -> list[str]:
    """Every CSV cell a page can offer: every view (every partner's list, every project, every
    grain), in each language, written as the download button writes it."""
    out: list[str] = []
    with Warehouse(db).open_snapshot() as r:
        views = screen.variants(r, ALL_TIME)
        for lang in langs:
            for args in views:
                for frame in frames(screen.view(r, ALL_TIME, lang, *args)):
                    out += csv_cells(frame)
    return out


@pytest.mark.parametrize("screen", SCREENS, ids=lambda s: s.name)
def test_every_csv_cell_is_neutralised(hostile_warehouse: Built, screen: Screen) -> None:
    """No CSV cell a page offers starts a formula, unless it is a number."""
    cells_ = written(hostile_warehouse.db, screen)
    formulas = [c[:80] for c in cells_ if c.startswith(FORMULA_START) and not _NUMBER.fullmatch(c)]
    assert not formulas, f"{screen.name}: cells a spreadsheet would run: {formulas[:5]}"


def test_the_csv_sweep_is_not_vacuous(hostile_warehouse: Built) -> None:
    """The pages' CSVs hold the hostile names, a formula-like one among them, neutralised: the
    sweep above meets what it guards against."""
    cells_ = [c for screen in SCREENS for c in written(hostile_warehouse.db, screen, ("en",))]
    found = appears(hostile_warehouse.values, [c.removeprefix("'") for c in cells_])
    formulas = [v for v in found if v.startswith(FORMULA_START)]
    assert formulas, "no CSV holds a formula-like name"
    assert all("'" + v in cells_ for v in formulas), formulas
    assert len(found) >= 10, sorted(found)
