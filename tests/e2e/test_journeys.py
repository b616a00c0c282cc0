"""What readers do, in a real Chromium: filter the Overview and share the link; open a partner's
project and download its figures; read the dashboard in Chinese."""

from __future__ import annotations

import codecs
import csv
import io
from collections import Counter
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import BrowserContext, Locator, Page

from tests.e2e.conftest import App
from tests.e2e.harness import (
    Watch,
    check_charts,
    check_console,
    check_figure,
    check_no_exception,
    check_own_host_only,
    metrics,
    open_page,
    rerun_after,
    shown,
    shown_tonnes,
)


def check_chinese_trees(value: str, trees: float) -> None:
    """Trees as a Chinese reader counts them: '5,500棵' below 10,000, '21.6万棵' above (never
    '216.1K')."""
    assert value.endswith("棵"), value
    assert ("万" in value or "亿" in value) == (trees >= 10_000), value
    check_figure("种植树木", value, trees)


pytestmark = pytest.mark.e2e

HEADLINES = ("Low-carbon actions", "Trees planted", "Species protected")
SUMMARY_KEYS = {
    "Low-carbon actions": "actions",
    "Trees planted": "trees_planted",
    "Species protected": "species_protected",
}


def pick(scope: Locator | Page, label: str, option: str) -> None:
    """Type into a select box or multiselect, found by its label, and click the option (the
    list is virtualised: options far down it are not in the page until the reader types)."""
    box = scope.get_by_role("combobox", name=label, exact=True)
    box.click()
    box.fill(option)
    page = scope.page if isinstance(scope, Locator) else scope
    page.get_by_role("option", name=option, exact=True).click()


def check_headlines(page: Page, summary: dict) -> dict[str, str]:
    cards = metrics(page)
    for label in HEADLINES:
        check_figure(label, cards[label]["value"], summary[SUMMARY_KEYS[label]])
    return {label: cards[label]["value"] for label in cards}


def filters_caption(page: Page) -> str:
    """The line under the title that says which filters are in force."""
    main = page.get_by_test_id("stMain")
    return main.get_by_test_id("stCaptionContainer").first.inner_text()


def test_filters_change_the_figures_and_the_link_shares_them(
    page: Page, context: BrowserContext, watch: Watch, app: App
) -> None:
    open_page(page, app.url)
    sidebar = page.get_by_test_id("stSidebar")
    # The default view: this year, every region.
    assert sidebar.get_by_role("combobox", name="Period", exact=True).input_value() == "This year"
    this_year = check_headlines(page, app.summary("This year"))
    assert "all regions" in filters_caption(page)

    rerun_after(page, lambda: pick(sidebar, "Regions", "Inner Mongolia"))
    page.keyboard.press("Escape")
    one_region = check_headlines(page, app.summary("This year", "CN-NM"))
    assert one_region["Low-carbon actions"] != this_year["Low-carbon actions"]

    rerun_after(page, lambda: pick(sidebar, "Period", "All time"))
    shared = check_headlines(page, app.summary("All time", "CN-NM"))
    assert shared["Low-carbon actions"] != one_region["Low-carbon actions"]
    assert filters_caption(page).startswith("All time · Inner Mongolia")
    link = parse_qs(urlsplit(page.url).query)
    assert link == {"period": ["All time"], "region": ["Inner Mongolia"]}, page.url

    # The link, opened by someone else, shows the same view.
    other = context.new_page()
    open_page(other, page.url)
    check_no_exception(other, app.server)
    assert metrics(other) == metrics(page)
    assert filters_caption(other) == filters_caption(page)
    other_bar = other.get_by_test_id("stSidebar")
    assert other_bar.get_by_role("combobox", name="Period", exact=True).input_value() == "All time"
    assert "Inner Mongolia" in other_bar.get_by_test_id("stMultiSelect").first.inner_text()
    check_charts(other, expected=1)
    check_console(watch)
    check_own_host_only(watch)


def biggest_project(folder: Path) -> dict[str, str]:
    """From the input files: the afforestation project with a target that planted the most."""
    with (folder / "projects.csv").open(encoding="utf-8") as f:
        projects = {r["project_id"]: r for r in csv.DictReader(f)}
    planted: Counter[str] = Counter()  # units planted
    with (folder / "plantings.csv").open(encoding="utf-8") as f:
        for row in csv.DictReader(f):
            project = projects.get(row["project_id"])
            if project and project["kind"] == "afforestation" and project["target_units"]:
                planted[row["project_id"]] += float(row["units_planted"] or 0)
    project_id = planted.most_common(1)[0][0]
    return projects[project_id]


def test_a_partner_downloads_a_projects_figures(
    page: Page, watch: Watch, app: App, tmp_path: Path
) -> None:
    project = biggest_project(app.input)
    open_page(page, app.url)
    # Through the top navigation, as a reader goes there.
    page.get_by_test_id("stTopNavSection").filter(has_text="Partners").click()
    rerun_after(page, lambda: page.get_by_role("menuitem", name="Projects").click())
    assert page.locator("h1").first.inner_text() == "Projects"
    main = page.get_by_test_id("stMain")
    rerun_after(page, lambda: pick(main, "Partner", project["partner"]))
    label = f"{project['name']} · {project['project_id']}"
    rerun_after(page, lambda: pick(main, "Project", label))
    check_no_exception(page, app.server)
    assert main.locator("h3").first.inner_text() == project["name"]
    link = parse_qs(urlsplit(page.url).query)
    assert link["partner"] == [project["partner"]], page.url
    assert link["p"] == [label], page.url
    check_charts(page)
    cards = metrics(page)

    button = main.get_by_role("button", name="Download the project's figures (CSV)")
    with page.expect_download() as download:
        button.click()
    assert download.value.suggested_filename == f"greenstats-project-{project['project_id']}.csv"
    saved = tmp_path / download.value.suggested_filename
    download.value.save_as(saved)
    data = saved.read_bytes()
    assert data.startswith(codecs.BOM_UTF8), "the CSV has no BOM: Excel would misread Chinese"
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    # A reader's file: figures in words, each with its unit; carbon always in tonnes.
    assert rows[0] == ["Figure", "Value", "Unit"]
    figures = {r[0]: (r[1], r[2]) for r in rows[1:]}
    assert figures["Project"][0] == project["name"]
    assert float(figures["Target"][0]) == float(project["target_units"])
    assert figures["Target"][1] == "trees"

    # The file's numbers are the ones on the page.
    delivered, target = float(figures["Delivered"][0]), float(figures["Target"][0])
    check_figure("Delivered", cards["Delivered"]["value"], delivered / target * 100)
    assert f"of {target:,.0f} trees" in cards["Delivered"]["note"], cards["Delivered"]
    surviving = cards["Trees surviving (est.)"]
    check_figure("Trees surviving", surviving["value"], float(figures["Surviving (est.)"][0]))
    share = float(figures["Surviving (est.)"][0]) / float(figures["Planted"][0])
    check_figure("Share surviving", surviving["note"], share * 100)
    carbon = cards["Carbon stored to date"]
    check_figure("Carbon", carbon["value"], float(figures["Carbon stored to date"][0]), tonnes=True)
    assert figures["Carbon stored to date"][1] == "t CO₂e"
    per_unit = shown_tonnes(carbon["value"]).value / shown(carbon["value"]).value
    low, high = carbon["note"].removeprefix("Range ").split("–")
    for text, key in ((low, "Carbon stored to date (low)"),
                      (high, "Carbon stored to date (high)")):  # fmt: skip
        seen = shown(text)
        assert abs(seen.value * per_unit - float(figures[key][0])) <= seen.step * per_unit / 2
    check_console(watch)
    check_own_host_only(watch)


def test_the_dashboard_reads_in_chinese(page: Page, watch: Watch, app: App) -> None:
    open_page(page, f"{app.url}/?period=All+time")
    s = app.summary()
    sidebar = page.get_by_test_id("stSidebar")
    rerun_after(page, lambda: sidebar.get_by_role("radio", name="中文").click())
    check_no_exception(page, app.server)
    assert page.locator("h1").first.inner_text() == "影响力一览"
    assert parse_qs(urlsplit(page.url).query).get("lang") == ["中文"], page.url
    cards = metrics(page)
    # Chinese numbers: separators, 万 for ten thousands, units without a space.
    check_chinese_trees(cards["种植树木"]["value"], s["trees_planted"])
    actions = cards["低碳行为"]["value"]
    assert actions.endswith("万次"), actions
    check_figure("低碳行为", actions, s["actions"])
    assert cards["受保护物种"]["value"] == f"{s['species_protected']:,.0f}种"
    # The filters in force, in Chinese: still all time.
    assert filters_caption(page).startswith("全部时间 · 全部地区")
    assert sidebar.get_by_test_id("stWidgetLabel").filter(has_text="时间范围").count() == 1
    check_charts(page, expected=1)

    # The language carries over to the next page.
    go_to_trees_in_chinese(page)
    check_no_exception(page, app.server)
    assert page.locator("h1").first.inner_text() == "植树"
    trees = metrics(page)
    assert list(trees)[:2] == ["种植树木", "存活树木（估算）"], list(trees)
    assert trees["种植树木"]["value"].endswith("棵"), trees["种植树木"]
    check_charts(page)
    check_console(watch)
    check_own_host_only(watch)


@pytest.mark.parametrize("then", ["reload", "next page"])
def test_switching_language_keeps_the_period(page: Page, app: App, then: str) -> None:
    open_page(page, f"{app.url}/?period=All+time")
    s = app.summary("All time")
    sidebar = page.get_by_test_id("stSidebar")
    rerun_after(page, lambda: sidebar.get_by_role("radio", name="中文").click())
    if then == "reload":  # the link the reader would copy and share
        open_page(page, page.url)
    else:
        go_to_trees_in_chinese(page)
    check_no_exception(page, app.server)
    assert filters_caption(page).startswith("全部时间"), filters_caption(page)
    check_chinese_trees(metrics(page)["种植树木"]["value"], s["trees_planted"])
    assert parse_qs(urlsplit(page.url).query).get("period") == ["全部时间"], page.url
    # The filters were kept, and nothing says otherwise (issue 27): no notice of link values
    # ignored, and no warning in the server's log of a widget's value set beside its default.
    assert not page.get_by_test_id("stAlert").filter(has_text="已忽略").count()
    assert "set via the Session State API" not in app.server.tail(200_000)


def test_another_page_after_switching_language_with_a_region(page: Page, app: App) -> None:
    open_page(page, f"{app.url}/?region=Inner+Mongolia")
    sidebar = page.get_by_test_id("stSidebar")
    rerun_after(page, lambda: sidebar.get_by_role("radio", name="中文").click())
    assert parse_qs(urlsplit(page.url).query).get("region") == ["内蒙古"], page.url
    go_to_trees_in_chinese(page)
    check_no_exception(page, app.server)
    assert page.locator("h1").first.inner_text() == "植树"
    assert "内蒙古" in filters_caption(page), filters_caption(page)
    assert parse_qs(urlsplit(page.url).query).get("region") == ["内蒙古"], page.url


def go_to_trees_in_chinese(page: Page) -> None:
    page.get_by_test_id("stTopNavSection").filter(has_text="生态系统").click()
    rerun_after(page, lambda: page.get_by_role("menuitem", name="植树").click())


def test_the_overview_downloads_its_brief_as_a_pdf(page: Page, app: App, tmp_path: Path) -> None:
    """The PDF is made on the click (a deferred download) and says the page's figures."""
    import pypdfium2 as pdfium

    open_page(page, f"{app.url}/?period=All+time")
    cards = metrics(page)
    button = page.get_by_test_id("stMain").get_by_role("button", name="Download this brief (PDF)")
    with page.expect_download(timeout=120_000) as download:
        button.click()
    assert download.value.suggested_filename == "greenstats-brief-en.pdf"
    saved = tmp_path / download.value.suggested_filename
    download.value.save_as(saved)
    text = "".join(p.get_textpage().get_text_range() for p in pdfium.PdfDocument(saved))
    assert "Impact brief" in text
    for label in ("Trees planted", "Carbon avoided", "Low-carbon actions"):
        assert cards[label]["value"] in text, (label, cards[label])
    check_no_exception(page, app.server)
