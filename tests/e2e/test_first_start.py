"""The first start in a real Chromium: a reader who opens the page while the server builds the
demo data set sees the build's progress in plain words and no page list; stopping the server
stops the build, with nothing published and nothing left behind."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Page

from greenstats.data.bootstrap import DEFAULT_DEMO_EVENTS
from greenstats.data.warehouse import Warehouse
from tests.e2e import harness

pytestmark = pytest.mark.e2e

NAVIGATION = '[data-testid="stTopNav"], [data-testid="stSidebarNav"]'


def test_a_page_opened_during_the_build_shows_its_progress_and_no_page_list(
    page: Page, chromium: Path, tmp_path: Path
) -> None:
    # The README's demo (10M events) takes minutes to build: the page surely opens during it,
    # and the test stops the server once it has looked.
    db, tmp = tmp_path / "warehouse", tmp_path / "tmp"
    tmp.mkdir()
    env = {"GREENSTATS_DB": str(db), "TMPDIR": str(tmp)}
    env["GREENSTATS_DEMO_EVENTS"] = str(DEFAULT_DEMO_EVENTS)
    with harness.streamlit_server("app.py", env) as server:
        watch = harness.Watch(server.url).attach(page.context)
        page.goto(server.url)
        bar = page.get_by_test_id("stProgress")
        bar.wait_for(timeout=harness.SCRIPT_TIMEOUT_MS)
        assert page.get_by_test_id("stAlert").inner_text() == (
            "No data yet: greenstats is building its demo data set of 10,000,000 actions, once. "
            "The pages open as soon as it is ready."
        )
        assert re.fullmatch(
            r"Generating the demo's activity, 2016–2026: [\d.]+[KM]? of 10M actions"
            r"|Loading into the warehouse: \d+ of \d+ files|Computing the figures.*",
            bar.inner_text().strip(),
        ), bar.inner_text()
        assert page.locator(NAVIGATION).count() == 0
        assert page.get_by_test_id("stMetric").count() == 0
        harness.check_console(watch)
        harness.check_own_host_only(watch)
    lines = [ln for ln in server.log.read_text().splitlines() if ln.startswith("greenstats")]
    assert lines[0].startswith(f"greenstats: no warehouse at {db} yet, so the demo data set")
    assert not [ln for ln in lines if "ready" in ln]
    assert "Traceback" not in server.log.read_text()
    assert Warehouse(db).current() is None
    assert not list(tmp.glob("greenstats-demo-input-*"))
