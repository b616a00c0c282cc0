"""The Species and Projects screens on real warehouses: the figures a reader reads equal
`greenstats summary`, every region, partner and project loads, and every part with nothing to
show says so in words (no protected area positions, no plantings, no surveys, no target)."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from greenstats.data.contract import REGION_CODES
from greenstats.data.pipeline import ingest_folder
from greenstats.data.warehouse import Reader, Warehouse
from greenstats.metrics.filters import Filters
from greenstats.screens import projects, species
from greenstats.screens.projects import pace
from greenstats.ui.blocks import Chart, Markdown, Table, is_empty
from tests import handbuilt
from tests.conftest import summary_json

AS_OF = handbuilt.AS_OF
LANGS = ("en", "zh")


@pytest.fixture(scope="module")
def reader(handbuilt_db: Path) -> Reader:
    return Warehouse(handbuilt_db).open_snapshot()


def tiny(tmp: Path, files: dict[str, str]) -> Reader:
    """A warehouse ingested from a folder of the given CSV files (contract-valid)."""
    folder = tmp / "input"
    folder.mkdir(parents=True)
    for name, text in files.items():
        (folder / name).write_text(text, encoding="utf-8")
    ingest_folder(folder, tmp / "wh", handbuilt.REFERENCE_MIN)
    return Warehouse(tmp / "wh").open_snapshot()


def number(text: str) -> float:
    """The first number in a figure as shown, e.g. '2,324 ha' → 2324."""
    match = re.search(r"-?[\d,]+(\.\d+)?", text)
    assert match, text
    return float(match.group(0).replace(",", ""))


def blocks(data: object) -> list[Chart | Table]:
    return [v for v in vars(data).values() if isinstance(v, Chart | Table)]


def readers_headers(frame: pd.DataFrame) -> None:
    """No snake_case or code-like header reaches a table or CSV."""
    for header in frame.columns:
        assert not re.search(r"[a-z]_[a-z]", str(header)), header


# --- Species --------------------------------------------------------------------------------


@pytest.mark.parametrize("lang", LANGS)
def test_species_loads_for_every_region_alone(reader: Reader, lang: str) -> None:
    for code in REGION_CODES:
        data = species.load(reader, Filters(regions=(code,), as_of=AS_OF), lang)
        for block in blocks(data):
            readers_headers(block.frame)
            if is_empty(block):
                assert block.empty.strip(), (code, block.name)
        if code not in ("CN-SC", "CN-GS"):  # the hand-built areas are in Sichuan and Gansu
            assert data.nothing
            assert ("Beijing" if lang == "en" else "北京") in species.load(
                reader, Filters(regions=("CN-BJ",), as_of=AS_OF), lang
            ).nothing  # fmt: skip


@pytest.mark.parametrize("region", [None, "CN-SC", "CN-GS"])
def test_species_cards_equal_the_summary(reader: Reader, handbuilt_db: Path, region) -> None:
    args = ("--region", region) if region else ()
    s = summary_json(handbuilt_db, *args)
    data = species.load(reader, Filters(regions=(region,) if region else (), as_of=AS_OF), "en")
    cards = {c.key: c.value for c in data.cards}
    for key in ("protected_areas", "protected_area_ha", "species_protected",
                "species_threatened"):  # fmt: skip
        assert number(cards[key]) == pytest.approx(round(s[key])), key


def test_species_threatened_table_is_readable_on_a_phone(reader: Reader) -> None:
    table = species.load(reader, Filters(as_of=AS_OF), "en").threatened
    assert table.phone == ("Species", "IUCN category")
    assert list(table.frame["Species"])[:2] == [
        "Golden snub-nosed monkey", "Przewalski's gazelle"
    ]  # fmt: skip
    assert table.intro == "4 threatened species are recorded in these protected areas."
    shown = list(table.frame.columns)
    assert shown == ["Species", "IUCN category", "Group", "Recorded in", "Last observed"]
    assert set(table.kinds) >= set(shown)  # each column sized to its content
    # The CSV keeps what the table has no room for.
    assert {"Scientific name", "Protected areas"} <= set(table.csv.columns) - set(shown)


def test_a_threatened_species_is_named_in_the_readers_language_never_blank() -> None:
    rows = pd.DataFrame({
        "scientific_name": ["Panthera uncia", "Ailuropoda melanoleuca", "Nipponia nippon"],
        "common_name": ["Snow leopard", "Giant panda", None],
        "common_name_zh": ["雪豹", None, " "],
    })  # fmt: skip
    assert list(species.common_name(rows, "zh")) == ["雪豹", "Giant panda", "Nipponia nippon"]
    assert list(species.common_name(rows, "en")) == [
        "Snow leopard", "Giant panda", "Nipponia nippon"
    ]  # fmt: skip
    without = rows.drop(columns="common_name_zh")
    assert species.common_name(without, "zh").iloc[0] == "Snow leopard"


AREAS_NO_POSITION = """\
area_id,name,partner,region,area_ha,established_on
B1,Big reserve,Hill Keepers,CN-YN,900,2020-01-01
B2,Small wetland,Hill Keepers,CN-YN,12.5,2021-01-01
"""


@pytest.mark.parametrize("lang", LANGS)
def test_areas_without_a_position_give_no_map_and_say_so(tmp_path: Path, lang: str) -> None:
    r = tiny(tmp_path, {
        "protected_areas.csv": AREAS_NO_POSITION,
        "area_species.csv": "area_id,scientific_name,iucn_category\n"
                            "B1,Panthera pardus,VU\nB1,Pica pica,LC\n",
    })  # fmt: skip
    for f in (Filters(as_of=AS_OF), Filters(regions=("CN-YN",), as_of=AS_OF)):
        data = species.load(r, f, lang)
        assert data.areas_map.figure is None
        said = data.areas_map.empty
        assert ("No map" if lang == "en" else "无法绘制地图") in said
        assert "Big reserve" in said  # the insight from the data that exists
        assert [c.value for c in data.cards][:1] == ["2"]
        assert len(data.threatened.frame) == 1


@pytest.mark.parametrize(
    "files",
    [
        pytest.param({"protected_areas.csv": AREAS_NO_POSITION}, id="no-area-species"),
        pytest.param({"protected_areas.csv": "area_id,name,partner,region,area_ha,"
                      "established_on,lat,lon\nC1,Lone hill,Solo,CN-XZ,5,2020-01-01,29.6,91.1\n",
                      "area_species.csv": "area_id,scientific_name,iucn_category\n"
                      "C1,Pica pica,LC\n"}, id="one-area-nothing-threatened"),
        pytest.param({"projects.csv": handbuilt.PROJECTS.splitlines()[0] + "\n"
                      + handbuilt.PROJECTS.splitlines()[1] + "\n"}, id="no-protected-areas"),
    ],
)  # fmt: skip
def test_species_on_sparse_data_says_what_is_missing(tmp_path: Path, files) -> None:
    r = tiny(tmp_path, files)
    for lang in LANGS:
        for code in (None, *REGION_CODES):
            f = Filters(regions=(code,) if code else (), as_of=AS_OF)
            data = species.load(r, f, lang)
            if data.nothing:
                continue
            for block in blocks(data):
                if is_empty(block):
                    assert block.empty.strip(), block.name
    data = species.load(r, Filters(as_of=AS_OF), "en")
    if "area_species.csv" not in files and "protected_areas.csv" in files:
        assert data.by_category.empty.startswith("No species recorded")
        assert data.threatened.empty.startswith("No threatened species")
    if "protected_areas.csv" not in files:
        assert data.nothing == "No protected areas in the data yet."


# --- Projects -------------------------------------------------------------------------------


@pytest.mark.parametrize("lang", LANGS)
def test_projects_load_for_every_partner_and_every_project(reader: Reader, lang: str) -> None:
    f = Filters(as_of=AS_OF)
    partners = projects.partners(reader, f, lang)
    assert set(partners) == {"Blue Coast", "Desert Green", "Highland Watch", "Oasis Trust",
                             "Panda Friends"}  # fmt: skip
    seen = set()
    for partner in [None, *partners]:
        labels = projects.project_labels(reader, f, lang, partner)
        listing = projects.load(reader, f, lang, partner, None).listing
        assert listing is not None
        readers_headers(listing.table.frame)
        assert len(listing.table.frame) == len(listing.rows) == len(labels)
        if not labels:
            assert listing.empty
        for project in labels:
            seen.add(project)
            view = projects.load(reader, f, lang, partner, project).project
            assert view is not None
            pace = view.cards[1]
            assert len(pace.value) <= 16, pace.value
            for block in (view.plantings, view.surveys, view.batches):
                readers_headers(block.frame)
                if is_empty(block):
                    assert block.empty.strip(), block.name
            readers_headers(view.figures)
    assert seen == {"P1", "P2", "P3", "P4"}


def test_one_project_reads_as_its_ngo_reports_it(reader: Reader) -> None:
    view = projects.load(reader, Filters(as_of=AS_OF), "en", "Desert Green", "P1").project
    delivered, pace, _, carbon = view.cards
    # P1: 1,500 trees planted (PL1 + PL2) against a target of 5,000 (as tests/test_app.py).
    assert (delivered.value, delivered.note) == ("30%", "of 5,000 trees")
    assert pace.value == "Behind plan"
    assert pace.note.startswith("by ")
    assert pace.note.endswith("trees · Due 31 Dec 2030")
    assert carbon.note.startswith("Range ")
    assert view.name == "Alxa saxaul belt"
    # Plantings by month on a date axis, not one category per ISO day.
    fig = view.plantings.figure
    assert fig.layout.xaxis.type == "date"
    assert {pd.Timestamp(x).strftime("%Y-%m") for tr in fig.data for x in tr.x} == {
        "2023-04", "2024-10"
    }  # fmt: skip
    assert list(view.plantings.frame.columns)[:3] == ["Month", "Species", "Planted (trees)"]
    # PL1 gives its own position, PL2 none (it is at the project's site): two places.
    assert view.batches.figure is not None
    assert view.batches.insight.startswith("2 batches at 2 places;")
    assert "project's site: 1 batch without a position" in view.batches.insight
    zh = projects.load(reader, Filters(as_of=AS_OF), "zh", None, "P1").project
    assert zh.plantings.figure.layout.xaxis.tickformatstops  # 2026年1月, not Jan 2026


def test_the_project_figures_download_is_in_words_with_units(reader: Reader) -> None:
    view = projects.load(reader, Filters(as_of=AS_OF), "en", None, "P1").project
    frame = view.figures
    assert list(frame.columns) == ["Figure", "Value", "Unit"]
    figures = dict(zip(frame["Figure"], zip(frame["Value"], frame["Unit"], strict=True),
                       strict=True))  # fmt: skip
    assert figures["Target"] == (5000, "trees")
    assert figures["Delivered"] == (1500, "trees")
    assert figures["Share of target delivered"] == (30, "%")
    carbon_units = {u for name, (_, u) in figures.items() if name.startswith("Carbon")}
    assert carbon_units == {"t CO₂e"}  # never t and kg in one column
    for value, _ in figures.values():
        if isinstance(value, float):
            assert len(repr(value).split(".")[1]) <= 6, value  # no float noise


def test_the_project_list_fits_a_desktop_and_a_phone(reader: Reader) -> None:
    listing = projects.load(reader, Filters(as_of=AS_OF), "en", None, None).listing
    assert listing.intro == "4 projects; 1 behind plan."
    table = listing.table
    shown = list(table.frame.columns)
    assert shown == ["Project", "Partner", "Delivered (%)", "Pace", "Carbon (t CO₂e)"]
    assert set(table.kinds) >= set(shown)
    # The CSV has every column, carbon in one unit with its range.
    assert [c for c in table.csv.columns if c.startswith("Carbon")] == [
        "Carbon (t CO₂e)", "Carbon, low (t CO₂e)", "Carbon, high (t CO₂e)"
    ]  # fmt: skip
    one = projects.load(reader, Filters(as_of=AS_OF), "en", "Desert Green", None).listing.table
    assert list(one.frame.columns) == [
        "Project", "Region", "Target", "Delivered (%)", "Pace", "Survival", "Carbon (t CO₂e)"
    ]  # fmt: skip
    # A phone lists each project with its delivery and pace in words.
    texts = [row.text for row in listing.rows]
    # Bold on purpose, so drawn as markdown (any other text is escaped and would show **).
    assert all(isinstance(text, Markdown) for text in texts)
    assert "**Alxa saxaul belt** — 30% of 5,000 trees · Behind by 1,455 trees" in texts
    assert "**Minqin sand willow** — No target" in texts


def test_a_project_with_nothing_yet_says_so_in_every_part(reader: Reader) -> None:
    # P4: a conservation project with no plantings, no surveys and no target.
    view = projects.load(reader, Filters(as_of=AS_OF), "en", None, "P4").project
    delivered, pace, surviving, carbon = view.cards
    assert (delivered.note, pace.value) == ("no target set", "No target")
    assert (surviving.note, carbon.note) == ("Nothing planted yet", "Nothing planted yet")
    assert view.plantings.empty == "Guanba guardians has no plantings yet."
    assert view.surveys.empty.startswith("No survival survey for Guanba guardians yet")
    assert is_empty(view.batches)
    assert view.batches.empty == view.plantings.empty
    # P2: no batch gives a position of its own; they are shown at the project's site.
    p2 = projects.load(reader, Filters(as_of=AS_OF), "en", None, "P2").project
    assert p2.batches.insight.startswith("2 batches at 1 place;")
    assert "project's site: 2 batches" in p2.batches.insight
    # A partner who only guards protected areas.
    listing = projects.load(reader, Filters(as_of=AS_OF), "en", "Highland Watch", None).listing
    assert listing.table.frame.empty
    assert listing.sites is None
    assert listing.table.empty.startswith("Highland Watch runs no restoration project")


def test_behind_plan_by_one_is_singular_and_zero_carbon_is_words() -> None:
    assert pace.behind_text("behind plan", 1.0, "units", "afforestation", "en") == "1 tree"
    assert pace.behind_text("on plan", 0.0, "units", "afforestation", "en") == ""
    assert pace.pace_word("behind plan", "zh") == "落后于计划"


def test_a_project_without_plantings_or_target_in_a_tiny_warehouse(tmp_path: Path) -> None:
    header = handbuilt.PROJECTS.splitlines()[0]
    r = tiny(tmp_path, {"projects.csv": f"{header}\nQ1,New grove,Seedlings,afforestation,"
                                        "CN-HI,19.2,109.7,2026-05-01,,,\n"})  # fmt: skip
    f = Filters(as_of=date(2026, 6, 30))
    for lang in LANGS:
        view = projects.load(r, f, lang, "Seedlings", "Q1").project
        assert all(is_empty(b) for b in (view.plantings, view.surveys, view.batches))
        assert all(len(c.value) <= 16 for c in view.cards)
        listing = projects.load(r, f, lang, None, None).listing
        assert len(listing.table.frame) == 1
        assert listing.sites.figure is not None
