"""Every page in a real Chromium, as a reader opens it: no error box, nothing in the console, no
request beyond the dashboard's own host, every chart and map drawn with its data, the headline
figures equal to `greenstats summary` for the same filters; and no sideways scroll on a phone."""

from __future__ import annotations

import json
import re
from collections.abc import Callable

import pytest
from playwright.sync_api import Page

from greenstats.data.warehouse import Warehouse
from greenstats.metrics import sketch
from greenstats.metrics.filters import Filters, today_cst
from greenstats.screens import SCREENS
from greenstats.ui.blocks import drawn_charts
from greenstats.ui.i18n import t
from tests.conftest import run_cli
from tests.e2e.conftest import App
from tests.e2e.harness import (
    PHONE,
    Watch,
    check_charts,
    check_close,
    check_console,
    check_figure,
    check_no_exception,
    check_no_horizontal_scroll,
    check_own_host_only,
    help_text,
    metrics,
    open_page,
    shown,
    shown_tonnes,
)

pytestmark = pytest.mark.e2e

PAGES = {screen.name: screen for screen in SCREENS}
ALL_TIME = "?period=All+time"


def check_carbon_band(label: str, value: str, note: str, low_t: float, high_t: float) -> None:
    """'Range 5.24–86.8' under '28.4 t CO₂e': the low and high ends, in the value's unit."""
    per_unit = shown_tonnes(value).value / shown(value).value if shown(value).value else 1.0
    match = re.search(r"([\d,.]+)–([\d,.]+)", note)
    assert match, f"{label}: no range in {note!r}"
    for text, exact in zip(match.groups(), (low_t, high_t), strict=True):
        seen = shown(text)
        seen = type(seen)(seen.value * per_unit, seen.step * per_unit)
        assert seen.matches(exact), f"{label}: range {note!r}, the summary says {low_t}–{high_t}"


def overview_figures(page: Page, app: App) -> None:
    s = app.summary()
    cards = metrics(page)
    # Distinct users come from HyperLogLog sketches; the user ids are keyed hashes, so the
    # estimate moves with each clone's key. Four standard errors: a correct sketch fails this
    # about once in 16,000 runs, a wrong one by more than 3.3% always.
    assert "95% within ±1.6%" in cards["Active users"]["note"]
    rel = 4 * sketch.STANDARD_ERROR
    check_close("Active users", cards["Active users"]["value"], s["users_active"], rel=rel)
    check_figure("Low-carbon actions", cards["Low-carbon actions"]["value"], s["actions"])
    assert help_text(page, "Low-carbon actions") == f"Exact figure: {s['actions']:,} actions"
    check_figure("Energy issued", cards["Low-carbon actions"]["note"], s["energy_issued_g"])
    carbon = cards["Carbon avoided"]
    check_figure("Carbon avoided", carbon["value"], s["co2e_avoided_kg"] / 1000, tonnes=True)
    check_carbon_band(
        "Carbon avoided", carbon["value"], carbon["note"],
        s["co2e_avoided_kg_low"] / 1000, s["co2e_avoided_kg_high"] / 1000,
    )  # fmt: skip
    check_figure("Trees planted", cards["Trees planted"]["value"], s["trees_planted"])
    check_figure(
        "Trees surviving", cards["Trees surviving (est.)"]["value"], s["trees_surviving_est"]
    )
    # Below a hectare an area reads in m² (the 200,000-event demo plants about 0.3 ha).
    for label, key in (("Area planted", "area_planted_ha"), ("Coastal area restored",
                                                             "coastal_area_ha")):  # fmt: skip
        area, ha = cards[label]["value"], s[key]
        check_figure(label, area, ha * 10_000 if area.endswith("m²") else ha)
    check_figure("Species protected", cards["Species protected"]["value"], s["species_protected"])
    check_figure("Threatened", cards["Species protected"]["note"], s["species_threatened"])


def actions_figures(page: Page, app: App) -> None:
    s = app.summary()
    cards = metrics(page)
    check_figure("Low-carbon actions", cards["Low-carbon actions"]["value"], s["actions"])
    check_figure("Green energy issued", cards["Green energy issued"]["value"], s["energy_issued_g"])
    energy = help_text(page, "Green energy issued")
    assert energy == f"Exact figure: {s['energy_issued_g']:,} g energy", energy
    carbon = cards["Carbon avoided"]
    check_figure("Carbon avoided", carbon["value"], s["co2e_avoided_kg"] / 1000, tonnes=True)
    check_carbon_band(
        "Carbon avoided", carbon["value"], carbon["note"],
        s["co2e_avoided_kg_low"] / 1000, s["co2e_avoided_kg_high"] / 1000,
    )  # fmt: skip
    check_figure("Partner brands", cards["Partner brands"]["value"], s["brands"])


def funnel_figures(page: Page, app: App) -> None:
    s = app.summary()
    cards = metrics(page)
    check_figure("Energy issued", cards["Green energy issued"]["value"], s["energy_issued_g"])
    check_figure("Energy redeemed", cards["Green energy redeemed"]["value"], s["energy_redeemed_g"])
    # Units planted: trees and m² of coastal habitat (1 ha = 10,000 m²).
    planted = s["trees_planted"] + s["coastal_area_ha"] * 10_000
    check_figure("Units planted", cards["Units planted"]["value"], planted)


def trees_figures(page: Page, app: App) -> None:
    s = app.summary()
    cards = metrics(page)
    check_figure("Trees planted", cards["Trees planted"]["value"], s["trees_planted"])
    assert cards["Trees planted"]["note"] == f"Exact figure: {s['trees_planted']:,.0f} trees"
    check_figure(
        "Trees surviving", cards["Trees surviving (est.)"]["value"], s["trees_surviving_est"]
    )


def species_figures(page: Page, app: App) -> None:
    s = app.summary()
    cards = metrics(page)
    check_figure("Protected areas", cards["Protected areas"]["value"], s["protected_areas"])
    check_figure("Area protected", cards["Area protected"]["value"], s["protected_area_ha"])
    check_figure("Species protected", cards["Species protected"]["value"], s["species_protected"])
    check_figure("Threatened", cards["Threatened species"]["value"], s["species_threatened"])


def coastal_figures(page: Page, app: App) -> None:
    s = app.summary()
    card = metrics(page)["Coastal area restored"]
    # Below a hectare an area reads in m², above in ha; the exact figure is in the help text.
    ha = s["coastal_area_ha"]
    value = card["value"]
    check_figure("Coastal area restored", value, ha * 10_000 if value.endswith("m²") else ha)
    exact = help_text(page, "Coastal area restored")
    assert exact.endswith(f"Exact figure: {ha:,.4f} ha"), exact


def projects_figures(page: Page, app: App) -> None:
    s = app.summary()
    main = page.get_by_test_id("stMain")
    sentence = main.get_by_text(re.compile(r"^[\d,]+ projects; [\d,]+ behind plan\.$"))
    check_figure("Projects", sentence.inner_text(), s["projects"])


def methodology_figures(page: Page, app: App) -> None:
    main = page.get_by_test_id("stMain")
    version = f"Methodology {app.info['methodology_version']} · snapshot {app.info['snapshot']}"
    assert version in main.inner_text(), main.inner_text()[:500]
    page.get_by_role("tab", name="Data").click()
    rejects = json.loads(run_cli("rejects", "--db", str(app.db), "--json", check=True).stdout)
    intro = main.get_by_text(re.compile(r"rows broke a rule of the data contract"))
    check_figure("Rows rejected", intro.inner_text(), rejects["total"])


FIGURES: dict[str, Callable[[Page, App], None]] = {
    "overview": overview_figures,
    "actions": actions_figures,
    "funnel": funnel_figures,
    "trees": trees_figures,
    "species": species_figures,
    "coastal": coastal_figures,
    "projects": projects_figures,
    "methodology": methodology_figures,
}


def expected(app: App, name: str) -> tuple[str, str, int]:
    """(URL path, title, charts drawn) of a page on all-time data: the charts are those its
    screen's `load` returns with something to draw, so a chart the browser fails to show, or
    shows without data, is caught."""
    screen = PAGES[name]
    title = t("overview.heading" if name == "overview" else screen.title_key, "en")
    warehouse = Warehouse(app.db)
    with warehouse.open_snapshot() as r:
        charts = len(drawn_charts(screen.view(r, Filters(as_of=today_cst()), "en")))
    return ("" if name == "overview" else name), title, charts


@pytest.mark.parametrize("name", list(PAGES))
def test_page_shows_its_charts_and_figures(page: Page, watch: Watch, app: App, name: str) -> None:
    path, title, charts = expected(app, name)
    open_page(page, f"{app.url}/{path}{ALL_TIME}")
    check_no_exception(page, app.server)
    assert page.locator("h1").first.inner_text() == title
    # No sign-in is configured here (the local demo): every page says so.
    assert "Access is not restricted" in page.get_by_test_id("stMain").inner_text()
    check_charts(page, expected=charts)
    FIGURES[name](page, app)
    check_console(watch)
    check_own_host_only(watch)


@pytest.mark.parametrize("name", list(PAGES))
def test_page_fits_a_phone(page: Page, watch: Watch, app: App, name: str) -> None:
    page.set_viewport_size(PHONE)
    path, title, _ = expected(app, name)
    open_page(page, f"{app.url}/{path}{ALL_TIME}")
    check_no_exception(page, app.server)
    assert page.locator("h1").first.inner_text() == title
    check_no_horizontal_scroll(page)
    check_console(watch)
    check_own_host_only(watch)
