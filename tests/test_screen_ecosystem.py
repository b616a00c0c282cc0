"""The Trees and Coastal screens on real warehouses: every region and period loads, the cards
equal `greenstats summary`, empty blocks say what is missing and where, and the words a reader
reads (areas, units on axes, CSV headers, Chinese labels) are as the page shows them."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import fields, replace
from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from greenstats.data.contract import REGION_CODES
from greenstats.data.pipeline import ingest_folder
from greenstats.data.warehouse import Reader, Warehouse
from greenstats.metrics.filters import PERIODS, Filters, period_bounds
from greenstats.screens import ecosystem
from greenstats.ui import fmt
from greenstats.ui.blocks import Chart, Table, is_empty
from tests import handbuilt
from tests.conftest import summary_json

ECOSYSTEMS = ecosystem.ECOSYSTEMS


@pytest.fixture(scope="module")
def reader(handbuilt_db: Path) -> Iterator[Reader]:
    warehouse = Warehouse(handbuilt_db)
    with warehouse.open_snapshot(warehouse.require_current()) as r:
        yield r


def number(text: str) -> float:
    """The first number in a figure as shown, e.g. '3,900 trees' → 3900."""
    match = re.search(r"-?[\d,]+(\.\d+)?", text)
    assert match, text
    return float(match.group(0).replace(",", ""))


def card(data: ecosystem.EcosystemData, label: str) -> str:
    values = [c.value for c in data.cards if c.label == label]
    assert len(values) == 1, [c.label for c in data.cards]
    return values[0]


def blocks(data: ecosystem.EcosystemData) -> list[Chart | Table]:
    """The blocks the page of this ecosystem shows."""
    found = [getattr(data, f.name) for f in fields(data)]
    return [b for b in found if isinstance(b, Chart | Table)]


def check(data: ecosystem.EcosystemData) -> None:
    """What every load must give, whatever the data: four cards with values, and for every
    block either something to draw or a sentence saying what is missing; CSV headers in
    words."""
    assert len(data.cards) == 4
    assert all(c.value and c.label for c in data.cards)
    for block in blocks(data):
        assert block.title
        if is_empty(block):
            assert block.empty, block.name
            assert "{" not in block.empty, block.name
        for header in block.frame.columns:
            assert "_" not in str(header), (block.name, header)


def latest_day(r: Reader) -> date:
    return date.fromisoformat(r.info()["latest_event_day"])


@pytest.mark.parametrize("which", ECOSYSTEMS)
def test_every_region_alone_loads_and_an_empty_one_is_named(reader: Reader, which: str) -> None:
    for code in REGION_CODES:
        data = ecosystem.load(reader, Filters(regions=(code,)), "en", which)
        check(data)
    beijing = ecosystem.load(reader, Filters(regions=("CN-BJ",)), "en", which)
    assert beijing.by_species.figure is None
    assert "in Beijing" in beijing.by_species.empty
    assert "in Beijing" in beijing.sites.empty
    assert beijing.cards[0].note == "No plantings yet"
    this_year = Filters(date(2026, 1, 1), date(2026, 6, 30), regions=("CN-BJ",))
    assert ecosystem.load(reader, this_year, "en", which).cards[0].note == (
        "No plantings in this period"
    )
    zh = ecosystem.load(reader, Filters(regions=("CN-BJ",)), "zh", which)
    assert zh.by_species.empty.startswith("北京")
    if which == "coastal":  # Beijing has no sea coast: the page says so
        assert "no sea coast" in beijing.by_species.empty
        shandong = ecosystem.load(reader, replace(this_year, regions=("CN-SD",)), "en", which)
        assert shandong.by_species.empty.startswith("No coastal habitat restored in Shandong")
        assert "in this period" in shandong.by_species.empty


@pytest.mark.parametrize("which", ECOSYSTEMS)
@pytest.mark.parametrize("period", PERIODS)
def test_every_period_loads(reader: Reader, which: str, period: str) -> None:
    lo, hi = period_bounds(period, latest_day(reader))
    if period == "custom":  # a custom range with no data at all
        lo, hi = date(2030, 1, 1), date(2030, 1, 31)
    for regions, lang in (((), "en"), ((), "zh"), (("CN-NM",), "en"), (("CN-SD", "CN-GS"), "en")):
        check(ecosystem.load(reader, Filters(lo, hi, regions=regions), lang, which))


@pytest.mark.parametrize("which", ECOSYSTEMS)
def test_a_project_or_species_with_nothing_in_the_period_says_so(
    reader: Reader, which: str
) -> None:
    quiet = Filters(date(2020, 1, 1), date(2020, 12, 31))  # no planting in 2020
    for f in (replace(quiet, projects=("P1",)), replace(quiet, species=("eelgrass",)),
              replace(quiet, projects=("P4",))):  # fmt: skip
        data = ecosystem.load(reader, f, "en", which)
        check(data)
        assert data.by_species.figure is None
        assert "in this period" in data.by_species.empty
    # A single day with one planting: everything draws.
    one_day = Filters(date(2023, 4, 10), date(2023, 4, 10))
    trees = ecosystem.load(reader, one_day, "en", "trees")
    check(trees)
    assert card(trees, "Trees planted") == "1,000 trees"
    assert trees.sites.figure is not None


def test_trees_planted_card_equals_the_summary(reader: Reader, handbuilt_db: Path) -> None:
    s = summary_json(handbuilt_db)
    data = ecosystem.load(reader, Filters(), "en", "trees")
    assert number(card(data, "Trees planted")) == s["trees_planted"] == 3900
    s_nm = summary_json(handbuilt_db, "--region", "CN-NM")
    data = ecosystem.load(reader, Filters(regions=("CN-NM",)), "en", "trees")
    assert number(card(data, "Trees planted")) == s_nm["trees_planted"] == 1500


def test_coastal_area_card_equals_the_summary_in_square_metres(
    reader: Reader, handbuilt_db: Path
) -> None:
    s = summary_json(handbuilt_db)
    data = ecosystem.load(reader, Filters(), "en", "coastal")
    shown = card(data, "Coastal area restored")
    assert shown == "3,000 m²"  # 0.3 ha: below a hectare, areas read in m²
    assert number(shown) / 10_000 == pytest.approx(s["coastal_area_ha"]) == pytest.approx(0.3)
    assert "0.3000 ha" in data.cards[0].help


def test_trees_carbon_is_trees_only_and_is_what_the_overview_can_call(
    reader: Reader, handbuilt_db: Path
) -> None:
    s = summary_json(handbuilt_db)
    stored = ecosystem.carbon_stored(reader, Filters(), "trees")
    coastal = ecosystem.carbon_stored(reader, Filters(), "coastal")
    # Trees and coastal together are the summary's sequestration: the trees card is not it.
    assert stored[0] + coastal[0] == pytest.approx(s["sequestration_tco2e"])
    assert stored[0] < s["sequestration_tco2e"]
    data = ecosystem.load(reader, Filters(), "en", "trees")
    value, band = fmt.carbon_parts(*stored, "en")
    assert card(data, "Carbon stored by trees to date") == value
    assert data.cards[3].note == f"Range {band}"


def test_tonne_axes_use_the_unit_of_their_sentence(reader: Reader) -> None:
    data = ecosystem.load(reader, Filters(), "en", "trees")
    assert data.years is not None
    assert data.years.figure is not None
    unit = data.years.figure.layout.yaxis.title.text
    assert unit in data.years.insight
    assert data.years.insight.count(unit) == 2  # the total and the last year, in one unit
    coastal = ecosystem.load(reader, Filters(), "en", "coastal")
    assert coastal.carbon is not None
    assert coastal.carbon.figure is not None
    unit = coastal.carbon.figure.layout.xaxis.title.text
    assert unit in coastal.carbon.insight


def test_chinese_labels_years_and_seasons(reader: Reader) -> None:
    data = ecosystem.load(reader, Filters(), "zh", "trees")
    assert data.seasons is not None
    assert data.seasons.figure is not None
    years = {y for trace in data.seasons.figure.data for y in trace.x}
    assert years
    assert all(y.endswith("年") for y in years)
    assert {trace.name for trace in data.seasons.figure.data} <= {"春季", "秋季"}
    assert data.cohorts is not None
    assert data.cohorts.figure is not None
    assert all(x.endswith("年") for trace in data.cohorts.figure.data for x in trace.x)
    assert data.years is not None
    assert data.years.figure is not None
    assert data.years.figure.layout.xaxis.tickformatstops  # dates in Chinese
    assert "季节" in data.seasons.frame.columns


def test_survival_table_has_kinds_and_phone_columns(reader: Reader) -> None:
    data = ecosystem.load(reader, Filters(), "en", "coastal")
    table = data.survival
    assert table is not None
    assert list(table.frame.columns) == ["Project", "Species", "Survival (%)", "From"]
    assert table.kinds["Survival (%)"] == "progress"
    assert set(table.phone) <= set(table.frame.columns)
    # P3's eelgrass: latest survey 40 alive of 100.
    assert table.frame["Survival (%)"].tolist() == [40.0]


def test_csv_values_carry_no_float_noise(reader: Reader) -> None:
    data = ecosystem.load(reader, Filters(), "en", "trees")
    for block in blocks(data):
        for column in block.frame.select_dtypes("number").columns:
            for value in block.frame[column].dropna():
                assert len(repr(float(value))) <= 12, (block.name, column, value)


def test_a_warehouse_whose_plantings_have_no_coordinates_loads(tmp_path: Path) -> None:
    folder = tmp_path / "input"
    folder.mkdir()
    (folder / "projects.csv").write_text(
        "project_id,name,partner,kind,region,lat,lon,started_on\n"
        "Q1,Tengger belt,Sand Friends,afforestation,CN-NM,38.5,104.9,2024-01-01\n"
        "Q2,Bohai meadow,Sea Friends,coastal,CN-SD,37.4,121.9,2024-01-01\n",
        encoding="utf-8",
    )
    (folder / "plantings.csv").write_text(
        "planting_id,project_id,species,planted_on,units_planted,area_ha\n"
        "T1,Q1,saxaul,2024-04-01,120,0.02\n"
        "T2,Q2,eelgrass,2024-05-01,289,0.0289\n",
        encoding="utf-8",
    )
    db = tmp_path / "warehouse"
    ingest_folder(folder, db, handbuilt.REFERENCE_MIN)
    warehouse = Warehouse(db)
    with warehouse.open_snapshot(warehouse.require_current()) as r:
        for which in ECOSYSTEMS:
            for lang in ("en", "zh"):
                data = ecosystem.load(r, Filters(), lang, which)
                check(data)
                assert data.sites.figure is not None
        trees = ecosystem.load(r, Filters(), "en", "trees")
        point = trees.sites.figure.data[0]
        assert (point.lat[0], point.lon[0]) == (38.5, 104.9)
        assert trees.cohorts is not None
        assert is_empty(trees.cohorts)
        assert "survival survey" in trees.cohorts.empty
        coastal = ecosystem.load(r, Filters(), "en", "coastal")
        assert card(coastal, "Coastal area restored") == "289 m²"


def test_an_unknown_ecosystem_is_refused(reader: Reader) -> None:
    with pytest.raises(ValueError, match="forest"):
        ecosystem.load(reader, Filters(), "en", "forest")


@pytest.mark.parametrize(
    ("ha", "shown"),
    [(0.0, "0 m²"), (0.00005, "0.5 m²"), (0.0289, "289 m²"), (0.3, "3,000 m²"),
     (1.48, "1.48 ha"), (12.34, "12.3 ha"), (12_345.6, "12,346 ha")],
)  # fmt: skip
def test_areas_read_naturally(ha: float, shown: str) -> None:
    assert fmt.area(ha) == shown


def test_a_warehouse_with_only_actions_loads_and_says_nothing_was_planted(tmp_path: Path) -> None:
    folder = tmp_path / "input"
    folder.mkdir()
    (folder / "actions.csv").write_text(
        "event_id,user_id,occurred_at,action,region,energy_g\n"
        "e1,u1,2025-03-01 10:00,walking,CN-GD,100\n",
        encoding="utf-8",
    )
    db = tmp_path / "warehouse"
    ingest_folder(folder, db, handbuilt.REFERENCE_MIN)
    warehouse = Warehouse(db)
    with warehouse.open_snapshot(warehouse.require_current()) as r:
        for which in ECOSYSTEMS:
            for lang in ("en", "zh"):
                data = ecosystem.load(r, Filters(), lang, which)
                check(data)
                assert all(is_empty(b) for b in blocks(data))
        trees = ecosystem.load(r, Filters(), "en", "trees")
        assert card(trees, "Trees planted") == "None"  # as the Overview's card says it
        assert trees.cards[1].note == "No plantings yet"
        assert trees.seasons is not None
        assert trees.seasons.empty.startswith("No trees have been planted yet")
        assert ecosystem.carbon_stored(r, Filters(), "trees") == (0.0, 0.0, 0.0)


def test_csv_numbers_are_plain_digits(reader: Reader) -> None:
    from greenstats.ui.frame.downloads import csv_bytes

    data = ecosystem.load(reader, Filters(), "en", "trees")
    text = csv_bytes(data.by_species.frame).decode("utf-8-sig")
    assert text.splitlines()[0].startswith("Species,Habitat,Trees planted,")
    # Whole numbers without ".0" (the minimal reference has no names: codes stand in).
    assert "\nsand_willow,Desert,2400,1440,1.45," in text
    tiny = csv_bytes(pd.DataFrame({"t": [9e-05, 0.0007000000000000001]})).decode("utf-8-sig")
    # Every row to the column's precision (issue 27: never 40 beside 39.99).
    assert tiny.split() == ["t", "0.00009", "0.00070"]


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_an_overview_card_with_nothing_recorded_says_whether_its_kind_of_project_is_there(
    reader: Reader, lang: str
) -> None:
    """Issue 27: "Coastal area restored: None · No data in this period" under All time for an
    inland region, which has no coastal project: the period was not the reason. The card now
    names the missing project; where a project of its kind is there, the period is the
    reason (Shandong's eelgrass, in a month before it started)."""
    from greenstats.screens import overview
    from greenstats.ui import geo
    from greenstats.ui.i18n import t

    def notes(region: str, lo: date | None = None, hi: date | None = None) -> dict[str, str]:
        f = Filters(date_from=lo, date_to=hi, regions=(region,), as_of=latest_day(reader))
        data = overview.load(reader, f, lang)
        return {c.key or c.label: c.note for c in data.cards}

    inner_mongolia = notes("CN-NM")  # P1, afforestation, only
    place = t("empty.in_regions", lang, regions=geo.region_name("CN-NM", lang))
    assert inner_mongolia["coastal_area_ha"] == t("kpi.no_coastal_project", lang, where=place)
    assert inner_mongolia["trees_planted"] != t("kpi.no_tree_project", lang, where=place)
    guangdong = notes("CN-GD")  # actions, and no project at all
    place = t("empty.in_regions", lang, regions=geo.region_name("CN-GD", lang))
    assert guangdong["trees_planted"] == t("kpi.no_tree_project", lang, where=place)
    assert guangdong["area_planted_ha"] == t("kpi.no_planting_project", lang, where=place)
    # No protected area there (the hand-built ones are in Sichuan and Gansu): not "0 species".
    assert guangdong["Species protected" if lang == "en" else "受保护物种"] == t(
        "kpi.no_protected_area", lang, where=place
    )
    shandong = notes("CN-SD", date(2021, 1, 1), date(2021, 1, 31))  # P3 started 2022-06
    assert shandong["coastal_area_ha"] == t("kpi.none_note", lang)
