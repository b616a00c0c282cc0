"""Fixtures of the end-to-end tests: a demo warehouse, the dashboard serving it, Debian's Chromium.

pytest-playwright gives each test a fresh browser context (`context`, `page`); the browser is
launched once per session from /usr/bin/chromium. A plain `launch` gives Chromium a new
temporary user data dir, deleted when it closes: no profile carries over between runs.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

import pytest
from playwright.sync_api import BrowserContext

from tests.conftest import build_once, run_cli, summary_json
from tests.e2e import harness

# Enough events for every chart and map to have data (10 years, 179 plantings, 18 protected
# areas); the data set is built in about 15 s on 2 cores.
DEMO_EVENTS = 200_000


@pytest.fixture(scope="session")
def chromium() -> Path:
    """Debian's Chromium, or a skip (a failure when CI=true)."""
    return harness.require_chromium()


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict, chromium: Path) -> dict:
    return {
        **browser_type_launch_args,
        "executable_path": str(chromium),
        "args": harness.CHROMIUM_ARGS,
    }


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args: dict) -> dict:
    return {**browser_context_args, "viewport": harness.DESKTOP, "locale": "en-US"}


@dataclass
class App:
    """The dashboard under test: its URL, its warehouse and input folder, `summary` for them."""

    url: str
    server: harness.Server
    db: Path
    input: Path
    info: dict[str, str]
    _summaries: dict[tuple[str, ...], dict] = field(default_factory=dict)

    def summary(self, period: str = "All time", *regions: str) -> dict:
        """`greenstats summary --json` for a period (as the filter bar names it) and regions."""
        args = [*self.period_args(period)]
        for region in regions:
            args += ["--region", region]
        key = tuple(args)
        if key not in self._summaries:
            self._summaries[key] = summary_json(self.db, *args)
        return self._summaries[key]

    def period_args(self, period: str) -> list[str]:
        """The filter bar's presets, counted back from the latest day with data (greenstats/ui)."""
        latest = date.fromisoformat(self.info["latest_event_day"])
        bounds = {
            "All time": None,
            "This year": (date(latest.year, 1, 1), latest),
            "Last year": (date(latest.year - 1, 1, 1), date(latest.year - 1, 12, 31)),
            "Last 30 days": (latest - timedelta(days=29), latest),
        }[period]
        return ["--from", str(bounds[0]), "--to", str(bounds[1])] if bounds else []


def _info(db: Path) -> dict[str, str]:
    """`greenstats info` ('key: value' lines)."""
    out = run_cli("info", "--db", str(db), check=True).stdout
    return dict(line.split(": ", 1) for line in out.splitlines() if ": " in line)


@pytest.fixture(scope="session")
def demo_warehouse(chromium: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """`greenstats demo` then `greenstats ingest`, as a user would (only if a browser is here),
    once per run."""

    def build(root: Path) -> tuple[Path, Path]:
        folder, db = root / "input", root / "warehouse"
        run_cli("demo", str(folder), "--events", str(DEMO_EVENTS), "--seed", "42", check=True)
        run_cli("ingest", str(folder), "--db", str(db), check=True)
        return folder, db

    return build_once(tmp_path_factory, "e2e-demo", (DEMO_EVENTS, 42), build)


@pytest.fixture(scope="session")
def app(demo_warehouse: tuple[Path, Path]) -> Iterator[App]:
    """`streamlit run app.py` on the demo warehouse, for the whole session."""
    folder, db = demo_warehouse
    with harness.streamlit_server("app.py", {"GREENSTATS_DB": str(db)}) as server:
        yield App(server.url, server, db, folder, _info(db))


@pytest.fixture
def watch(context: BrowserContext, app: App) -> harness.Watch:
    """What this test's browser context logs and requests, from before its first page."""
    return harness.Watch(app.url).attach(context)
