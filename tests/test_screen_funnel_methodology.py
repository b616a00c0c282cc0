"""The Funnel and Methodology screens on real warehouses: what a reader reads equals `summary`,
every region and period loads, sparse and empty warehouses say what is missing, headers are in
words, and text from the data never renders as markdown."""

from __future__ import annotations

import html
import re
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from greenstats.data.contract import REGION_CODES
from greenstats.data.pipeline import ingest_folder
from greenstats.data.warehouse import Reader, Warehouse
from greenstats.metrics.filters import PERIODS, Filters, period_bounds
from greenstats.screens import funnel, methodology
from greenstats.ui import charts, fmt, geo
from greenstats.ui.blocks import Chart, Table
from greenstats.ui.frame import tables
from greenstats.ui.i18n import t
from tests import handbuilt
from tests.conftest import summary_json

AS_OF = handbuilt.AS_OF
LATEST = date(2025, 4, 2)  # the hand-built warehouse's latest action day
EMPTY_RANGE = (date(2031, 1, 1), date(2031, 1, 31))


@contextmanager
def reader(db: Path) -> Iterator[Reader]:
    warehouse = Warehouse(db)
    r = warehouse.open_snapshot(warehouse.require_current())
    try:
        yield r
    finally:
        r.close()


def number(text: str) -> float:
    """The first number in a figure as shown: '893 g' → 893."""
    match = re.search(r"-?[\d,]+(\.\d+)?", text)
    assert match, text
    return float(match.group(0).replace(",", ""))


def tiny(tmp_path: Path, files: dict[str, str], reference: Path = handbuilt.REFERENCE_MIN) -> Path:
    """A warehouse loaded from a folder holding just these files."""
    folder = tmp_path / "input"
    folder.mkdir()
    for name, text in files.items():
        (folder / name).write_text(text, encoding="utf-8")
    db = tmp_path / "wh"
    ingest_folder(folder, db, reference)
    return db


PROJECT = (
    "project_id,name,partner,kind,region,lat,lon,started_on,target_units,target_area_ha,"
    "target_date\n"
    "P1,<i>Alxa</i> *saxaul* & co,Desert Green,afforestation,CN-NM,39.2,105.6,2020-03-01,,,\n"
)
ACTION = (
    "event_id,user_id,occurred_at,action,region,energy_g,brand_id\n"
    "a1,u1,2025-01-15 09:00,walking,CN-BJ,150,\n"
)
REDEMPTION = (
    "redemption_id,user_id,redeemed_at,project_id,species,units,energy_g\n"
    "r1,u1,2025-01-10 10:00,P1,saxaul,1,17900\n"
)
PLANTING = (
    "planting_id,project_id,species,planted_on,units_planted,area_ha,lat,lon\n"
    "PL1,P1,saxaul,2024-04-10,1,0.01,,\n"
)
SURVEY = (
    "survey_id,project_id,species,surveyed_on,units_sampled,units_alive\n"
    "S1,P1,saxaul,2025-04-10,1,1\n"
)
AREA = (
    "area_id,name,partner,region,area_ha,established_on,lat,lon,project_id\n"
    "A1,Guanba reserve,Panda Friends,CN-SC,1823,2019-05-01,,,\n"
)
AREA_SPECIES = (
    "area_id,scientific_name,iucn_category,common_name,taxon_group\n"
    "A1,Ailuropoda melanoleuca,VU,Giant panda,mammals\n"
)
SHAPES = {
    "empty": {},
    "only actions": {"actions.csv": ACTION},
    "one row per table": {
        "projects.csv": PROJECT, "actions.csv": ACTION, "redemptions.csv": REDEMPTION,
        "plantings.csv": PLANTING, "surveys.csv": SURVEY, "protected_areas.csv": AREA,
        "area_species.csv": AREA_SPECIES,
    },
    "no redemptions": {"projects.csv": PROJECT, "actions.csv": ACTION,
                       "plantings.csv": PLANTING, "surveys.csv": SURVEY},
    "no plantings": {"projects.csv": PROJECT, "actions.csv": ACTION,
                     "redemptions.csv": REDEMPTION},
    "no surveys": {"projects.csv": PROJECT, "redemptions.csv": REDEMPTION,
                   "plantings.csv": PLANTING},
}  # fmt: skip


def every_filter() -> Iterator[Filters]:
    """Every region alone under every period preset, and a custom range with no data."""
    for region in REGION_CODES:
        for period in PERIODS:
            lo, hi = EMPTY_RANGE if period == "custom" else period_bounds(period, LATEST)
            yield Filters(date_from=lo, date_to=hi, regions=(region,), as_of=AS_OF)


def blocks(data: object) -> list[Chart | Table]:
    return [v for v in vars(data).values() if isinstance(v, Chart | Table)]


def reader_headers(data: object) -> list[str]:
    """Every column header a reader sees, in a table or a CSV."""
    headers: list[str] = []
    for block in blocks(data):
        headers += [str(c) for c in block.frame.columns]
        if isinstance(block, Table) and block.csv is not None:
            headers += [str(c) for c in block.csv.columns]
    for value in vars(data).values():
        if isinstance(value, pd.DataFrame):
            headers += [str(c) for c in value.columns]
    return headers


# --- every region, every period --------------------------------------------------------------


def test_both_screens_load_for_every_region_alone_and_every_period(handbuilt_db: Path) -> None:
    with reader(handbuilt_db) as r:
        for i, f in enumerate(every_filter()):
            lang = ("en", "zh")[i // len(PERIODS) % 2]  # every other region in Chinese
            data = funnel.load(r, f, lang)
            assert len(data.cards) == 5
            for block in blocks(data):
                assert block.empty  # each block can say what is missing
            if f.regions[0] == REGION_CODES[0]:  # the page does not depend on the region
                assert methodology.load(r, f, lang).version


def test_a_region_with_nothing_says_so_and_names_the_region(handbuilt_db: Path) -> None:
    with reader(handbuilt_db) as r:
        f = Filters(regions=("CN-XZ",), as_of=AS_OF)
        en, zh = funnel.load(r, f, "en"), funnel.load(r, f, "zh")
    name = geo.region_name("CN-XZ", "en")
    assert name in en.empty
    assert geo.region_name("CN-XZ", "zh") in zh.empty
    assert en.backlog.figure is None
    assert name in en.backlog.empty
    assert en.table.frame.empty
    assert name in en.table.empty
    # No conservation shares: the note says so instead of '0 m² … were adopted'.
    assert en.note == t("funnel.note_none", "en")
    assert all(c.note == t("funnel.none_in_period", "en") for c in en.cards)


def test_a_project_and_a_species_with_nothing_say_which(handbuilt_db: Path) -> None:
    with reader(handbuilt_db) as r:
        f = Filters(date_from=date(2026, 1, 1), date_to=date(2026, 3, 31), projects=("P2",),
                    species=("protected_land",), as_of=AS_OF)  # fmt: skip
        data = funnel.load(r, f, "en")
    assert "Minqin sand willow" in data.empty
    assert "Minqin sand willow" in data.backlog.empty


# --- what a reader reads equals `summary` --------------------------------------------------------


@pytest.mark.parametrize("region", [None, "CN-GD"])
def test_funnel_energy_issued_equals_the_summary(handbuilt_db: Path, region: str | None) -> None:
    args = ("--region", region) if region else ()
    s = summary_json(handbuilt_db, *args)
    with reader(handbuilt_db) as r:
        data = funnel.load(r, Filters(regions=(region,) if region else (), as_of=AS_OF), "en")
    cards = {c.label: c for c in data.cards}
    assert number(cards["Green energy issued"].value) == s["energy_issued_g"]
    assert f"{s['energy_redeemed_g']:,} g" in cards["Green energy redeemed"].help
    assert f"{s['energy_issued_g']:,} g" in cards["Green energy issued"].help


def test_funnel_table_fits_a_phone_and_counts_in_whole_units(handbuilt_db: Path) -> None:
    with reader(handbuilt_db) as r:
        data = funnel.load(r, Filters(as_of=AS_OF), "en")
    # The hand-built partners plant ahead of adoptions: nothing waits, and it says so.
    assert data.backlog.figure is None
    assert data.backlog.empty == t("empty.no_backlog", "en", where="")
    assert data.table.phone == ("Project", "Waiting", "Oldest wait")
    assert data.table.kinds["Waiting"] == "int"
    assert set(data.table.frame["Project"]) == {"Alxa saxaul belt", "Dongchu eelgrass",
                                                "Minqin sand willow"}  # fmt: skip


def test_short_labels_keep_the_end_that_tells_projects_apart() -> None:
    a = funnel.shorten("Alxa Left Banner saxaul windbreak II")
    b = funnel.shorten("Alxa Left Banner saxaul windbreak")
    assert a != b
    assert a.endswith("II")
    assert "…" in a
    assert funnel.shorten("Gulang saxaul forest") == "Gulang saxaul forest"
    assert funnel.shorten("阿拉善左旗梭梭防风林带二期工程项目").endswith("…")


# --- sparse and empty warehouses ------------------------------------------------------------------


@pytest.mark.parametrize("shape", list(SHAPES))
def test_sparse_warehouses_load_and_say_what_is_missing(tmp_path: Path, shape: str) -> None:
    db = tiny(tmp_path, SHAPES[shape])
    with reader(db) as r:
        for period in PERIODS:
            lo, hi = EMPTY_RANGE if period == "custom" else period_bounds(period, LATEST)
            for lang in ("en", "zh"):
                f = Filters(date_from=lo, date_to=hi, as_of=AS_OF)
                data = funnel.load(r, f, lang)
                page = methodology.load(r, f, lang)
                for block in [*blocks(data), *blocks(page)]:
                    assert block.empty
                    if isinstance(block, Table):
                        assert set(block.phone) <= set(block.frame.columns)
                        assert set(block.kinds) <= set(block.frame.columns)


def test_methodology_on_a_warehouse_with_no_events_says_so(tmp_path: Path) -> None:
    db = tiny(tmp_path, {})
    with reader(db) as r:
        en = methodology.load(r, Filters(as_of=AS_OF), "en")
        zh = methodology.load(r, Filters(as_of=AS_OF), "zh")
        data = funnel.load(r, Filters(as_of=AS_OF), "en")
    assert en.events == t("method.no_events", "en")
    assert zh.events == t("method.no_events", "zh")
    assert en.freshness.frame.empty
    assert en.freshness.empty == t("method.no_partners", "en")
    assert en.rejects.empty == t("method.nothing_loaded", "en")
    assert en.loads.empty == t("method.no_loads", "en")
    assert data.empty
    assert data.backlog.figure is None


def test_one_of_each_reads_in_the_singular_and_the_chart_gives_bars_room(tmp_path: Path) -> None:
    two = REDEMPTION + "r2,u2,2025-01-11 10:00,P1,saxaul,1,17900\n"
    db = tiny(tmp_path, {**SHAPES["one row per table"], "redemptions.csv": two})
    with reader(db) as r:
        data = funnel.load(r, Filters(as_of=AS_OF), "en")
    cards = {c.label: c.value for c in data.cards}
    assert cards["Units planted"] == "1 unit"
    assert cards["Units adopted for planting"] == "2 units"
    assert "1 unit" in data.backlog.insight
    assert "1 project" in data.backlog.insight
    # One unit waits: a short project name over its species; the whole name in the hover;
    # the name is text, not HTML, once drawn (the frame's `plotly` sanitises every figure it draws).
    bar = charts.sanitize(data.backlog.figure).data[0]
    project, species = bar.y[0].split("<br>")
    assert len(html.unescape(project)) <= funnel.LABEL_WIDTH
    assert "&lt;i&gt;" in project
    assert "<i>" not in bar.y[0]
    assert "&lt;i&gt;Alxa&lt;/i&gt; *saxaul* &amp; co" in bar.customdata[0][0]
    assert species == "saxaul"  # the minimal reference has no names: the code
    row = data.table.frame.iloc[0]
    assert row["Waiting"] == 1
    assert row["Oldest wait"] == "17 months"  # adopted 11 Jan 2025, as of 30 Jun 2026


# --- words, numbers and headers ------------------------------------------------------------------


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_no_header_a_reader_sees_has_an_underscore(handbuilt_db: Path, lang: str) -> None:
    with reader(handbuilt_db) as r:
        f = Filters(as_of=AS_OF)
        headers = reader_headers(funnel.load(r, f, lang))
        page = methodology.load(r, f, lang)
    headers += reader_headers(page)
    assert headers
    assert not [h for h in headers if "_" in h]
    # The definitions name each figure in words; the key is only in the CSV.
    names = [line.split("**")[1] for line in page.headline_definitions + page.stat_definitions]
    assert not [n for n in names if "_" in n]
    assert "Carbon avoided (kg CO₂e)" in names or lang == "zh"
    assert "docs/CONTRACT.md" in page.definitions_intro
    assert "§" not in page.definitions_intro  # sections are cited by name


def test_loads_show_whole_numbers_with_thousands_separators(handbuilt_db: Path) -> None:
    with reader(handbuilt_db) as r:
        loads = methodology.load(r, Filters(as_of=AS_OF), "en").loads
    for header in ("Load", "Accepted", "Already loaded", "Rejected"):
        assert loads.kinds[header] == "int"
        assert pd.api.types.is_integer_dtype(loads.frame[header])
    assert "%," in tables._column_config("int", "Accepted")["type_config"]["format"]


def test_built_at_and_event_days_are_in_words(handbuilt_db: Path) -> None:
    assert methodology.built_words("2026-11-29T19:03:33+00:00", "en") == (
        "30 Nov 2026 at 03:03 China Standard Time"
    )
    assert (
        methodology.built_words("2026-11-29T19:03:33+00:00", "zh")
        == "2026年11月30日 03:03（北京时间）"
    )
    with reader(handbuilt_db) as r:
        page = methodology.load(r, Filters(as_of=AS_OF), "en")
    assert not re.search(r"\d{4}-\d\d-\d\dT", page.version)
    assert page.events == "Action events from 1 Jun 2024 to 2 Apr 2025."


def test_equivalent_factors_show_without_float_noise(handbuilt_db: Path) -> None:
    with reader(handbuilt_db) as r:
        page = methodology.load(r, Filters(as_of=AS_OF), "en")
    shown = page.equivalents.frame.iloc[:, 1].tolist()
    assert all(re.fullmatch(r"[\d,]+(\.\d{1,4})?", v) for v in shown), shown


# --- text from the data never renders as markdown -----------------------------------------------


def test_a_source_with_markdown_is_shown_as_written(tmp_path: Path) -> None:
    reference = tmp_path / "reference"
    shutil.copytree(handbuilt.REFERENCE_MIN, reference)
    actions = pd.read_csv(reference / "actions.csv")
    actions["name_en"] = ["**Walk**", "Metro", "E-invoice"]
    actions["source"] = ["![x](http://198.51.100.7/x.png)", "# Heading <b>x</b> $y$",
                         "See https://example.org/a_b_c."]  # fmt: skip
    actions.to_csv(reference / "actions.csv", index=False)
    db = tiny(tmp_path, {"actions.csv": ACTION}, reference)
    with reader(db) as r:
        lines = methodology.load(r, Filters(as_of=AS_OF), "en").action_sources
    assert lines[0] == "**\\*\\*Walk\\*\\*** — !\\[x\\](<http://198.51.100.7/x.png>)"
    assert lines[1].endswith("— \\# Heading \\<b\\>x\\</b\\> \\$y\\$")
    assert lines[2].endswith("— See <https://example.org/a_b_c>.")
    markdown_it = pytest.importorskip("markdown_it")
    html = markdown_it.MarkdownIt("commonmark").render("\n\n".join(lines))
    for tag in ("<img", "<h1", "<b>"):
        assert tag not in html
    assert '<a href="http://198.51.100.7/x.png">http://198.51.100.7/x.png</a>' in html
    assert '<a href="https://example.org/a_b_c">https://example.org/a_b_c</a>' in html


def test_escape_md_keeps_plain_text_plain() -> None:
    assert fmt.escape_md("test.1") == "test.1"
    assert fmt.escape_md("12.5 kg") == "12.5 kg"
    assert fmt.escape_md("1. first") == "1\\. first"
    assert fmt.escape_md(None) == ""
    assert fmt.escape_md("a_b *c*") == "a\\_b \\*c\\*"


def test_funnel_filters_for_a_region_are_the_summary_s(handbuilt_db: Path) -> None:
    # The funnel's period and region cut energy as `summary` does.
    s = summary_json(handbuilt_db, "--from", "2025-01-01", "--to", "2025-01-31")
    f = Filters(date_from=date(2025, 1, 1), date_to=date(2025, 1, 31), as_of=AS_OF)
    with reader(handbuilt_db) as r:
        data = funnel.load(r, f, "en")
        again = funnel.load(r, replace(f, regions=("CN-BJ",)), "en")
    assert number(data.cards[0].value) == s["energy_issued_g"]
    assert (
        number(again.cards[0].value)
        == summary_json(
            handbuilt_db, "--from", "2025-01-01", "--to", "2025-01-31", "--region", "CN-BJ"
        )["energy_issued_g"]
    )
