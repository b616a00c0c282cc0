"""Injection through the pages in a real Chromium (issue 13): the hostile warehouse of
tests/hostile.py served by `streamlit run`, every page of SCREENS opened with hostile values in
every URL parameter. No dialog, no request beyond the app's host, no console error, no link or
image to the hostile host in the DOM, and the hostile text shows as text."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import urlencode

import pytest
from playwright.sync_api import BrowserContext, Page

from greenstats.screens import SCREENS, Screen
from greenstats.ui.frame.filters import LANGUAGE_LABELS
from greenstats.ui.i18n import t
from tests.e2e import harness
from tests.hostile import HOST, Built, appears, link, noticed, plain

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def hostile_server(chromium: object, hostile_warehouse: Built) -> Iterator[harness.Server]:
    """`streamlit run app.py` on the hostile warehouse."""
    env = {"GREENSTATS_DB": str(hostile_warehouse.db)}
    with harness.streamlit_server("app.py", env) as server:
        yield server


@pytest.fixture
def watched(context: BrowserContext, hostile_server: harness.Server) -> harness.Watch:
    return harness.Watch(hostile_server.url).attach(context)


def visit(page: Page, server: harness.Server, screen: Screen, params: dict[str, str]) -> list[str]:
    """Open the page with this link; the dialogs it opened."""
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    path = "" if screen.name == "overview" else screen.name
    harness.open_page(page, f"{server.url}/{path}?{urlencode(params)}")
    return dialogs


def check_nothing_hostile_ran(page: Page, watch: harness.Watch, dialogs: list[str]) -> None:
    assert not dialogs, dialogs
    harness.check_console(watch)
    harness.check_own_host_only(watch)
    for selector in (f'a[href*="{HOST}"]', f'img[src*="{HOST}"]', f'[src*="{HOST}"]',
                     f'[href*="{HOST}"]'):  # fmt: skip
        assert page.locator(selector).count() == 0, selector


@pytest.mark.parametrize("screen", SCREENS, ids=lambda s: s.name)
def test_hostile_link_shows_as_text(
    page: Page, watched: harness.Watch, hostile_server: harness.Server, screen: Screen
) -> None:
    """Every parameter hostile (a different value on each page, the 10 kB one included):
    the notice names each ignored value as the characters it holds."""
    params = link(SCREENS.index(screen))
    dialogs = visit(page, hostile_server, screen, params)
    harness.check_no_exception(page, hostile_server)
    check_nothing_hostile_ran(page, watched, dialogs)
    text = plain(page.get_by_test_id("stMain").inner_text())
    missing = [p for p, v in params.items() if p in noticed(screen.name) and f"“{v}”" not in text]
    assert not missing, f"{screen.name}: the notice does not show {missing} as text"


@pytest.mark.parametrize("screen", SCREENS, ids=lambda s: s.name)
def test_hostile_data_shows_as_text(
    page: Page,
    watched: harness.Watch,
    hostile_server: harness.Server,
    hostile_warehouse: Built,
    screen: Screen,
) -> None:
    """All of the data (the filters hostile, so ignored): names from the data in the page's
    text, tables and charts, none of them a link, an image or markup."""
    params = link(SCREENS.index(screen)) | {
        "lang": LANGUAGE_LABELS["en"],
        "period": t("period.all", "en"),
    }
    dialogs = visit(page, hostile_server, screen, params)
    harness.check_no_exception(page, hostile_server)
    check_nothing_hostile_ran(page, watched, dialogs)
    texts = [page.get_by_test_id("stMain").inner_text()]
    texts += page.locator(".js-plotly-plot svg text").all_text_contents()
    seen = appears(hostile_warehouse.values, texts)
    # The overview shows totals only: no name from the data (the AppTest sweep checks that
    # against what its screen holds).
    assert seen or screen.name == "overview", f"{screen.name} shows no hostile name as text"
