"""The harness is tested too: each check must fail on a page broken the way it looks for (a
deliberately broken test-only app, tests/e2e/broken_app), and pass on a page that is not; a
figure written wrong must not match; a missing browser skips, or fails on CI."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import BrowserContext, Page

from tests.e2e import harness
from tests.e2e.harness import (
    PHONE,
    Watch,
    check_charts,
    check_console,
    check_figure,
    check_no_exception,
    check_no_horizontal_scroll,
    check_own_host_only,
    metric,
    open_page,
    shown,
    shown_tonnes,
)

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def broken(chromium: Path) -> Iterator[harness.Server]:
    with harness.streamlit_server("tests/e2e/broken_app/app.py", {}) as server:
        yield server


def run_checks(page: Page, watch: Watch, server: harness.Server, path: str) -> dict[str, str]:
    """Open a page and run every check the product's pages get: which failed, and why."""
    open_page(page, f"{server.url}/{path}")
    checks: dict[str, Callable[[], object]] = {
        "exception": lambda: check_no_exception(page, server),
        "charts": lambda: check_charts(page),
        "console": lambda: check_console(watch),
        "own host": lambda: check_own_host_only(watch),
        "phone": lambda: (page.set_viewport_size(PHONE), harness.wait_for_app(page),
                          check_no_horizontal_scroll(page)),
    }  # fmt: skip
    failed = {}
    for name, check in checks.items():
        try:
            check()
        except AssertionError as exc:
            failed[name] = str(exc)
    return failed


@pytest.fixture
def broken_watch(context: BrowserContext, broken: harness.Server) -> Watch:
    return Watch(broken.url).attach(context)


def test_a_good_page_passes_every_check(
    page: Page, broken_watch: Watch, broken: harness.Server
) -> None:
    assert run_checks(page, broken_watch, broken, "") == {}
    page.set_viewport_size(harness.DESKTOP)
    harness.wait_for_app(page)
    assert metric(page, "Trees planted") == "1,234 trees"
    drawn = check_charts(page)
    assert drawn[1]["map"]["markers"] == 3, drawn
    assert drawn[1]["map"]["shapes"] > 0, drawn


# page: (the check that must fail, what its message must say)
BROKEN = {
    "raises": ("exception", "RuntimeError: deliberately broken page"),
    "console-error": ("console", "deliberate console error"),
    "js-error": ("console", "deliberate uncaught error"),
    "external": ("own host", "http://example.invalid/x.png"),
    "empty-chart": ("charts", "has no trace"),
    "empty-trace": ("charts", "traces without data: ['nothing']"),
    "blank-map": ("charts", "traces without data"),
    "offscreen-map": ("charts", "the map drew 0 of 3 markers"),
    "wide": ("phone", "scrolls sideways"),
}


@pytest.mark.parametrize("path", list(BROKEN))
def test_a_broken_page_fails_its_check(
    page: Page, broken_watch: Watch, broken: harness.Server, path: str
) -> None:
    check, says = BROKEN[path]
    failed = run_checks(page, broken_watch, broken, path)
    assert check in failed, f"/{path}: the {check!r} check passed; failed: {failed}"
    assert says in failed[check], failed[check]


def test_a_figure_written_wrong_does_not_match() -> None:
    assert shown("200K actions").matches(200_000)
    assert shown("200K actions").matches(200_499)
    assert not shown("200K actions").matches(200_501)
    assert shown("13.4M g").matches(13_360_620)
    assert not shown("13.4M g").matches(13_460_620)
    assert shown("1,234.6万").matches(12_345_678)
    assert shown("3.26亿棵").matches(326_000_000)
    assert shown_tonnes("28.4 t CO₂e").matches(28.447)
    assert shown_tonnes("1.83 kg CO₂e").matches(0.00183)
    assert shown_tonnes("2.85万吨CO₂e").matches(28_500)
    assert not shown_tonnes("28.4 kt CO₂e").matches(28.4)
    with pytest.raises(AssertionError, match="Trees planted shows '203 trees'"):
        check_figure("Trees planted", "203 trees", 204)


def test_without_a_browser_the_tests_skip_with_the_reason(tmp_path: Path) -> None:
    with pytest.raises(pytest.skip.Exception, match=r"Chromium at .* not installed"):
        harness.require_chromium(tmp_path / "chromium", ci=False)


def test_without_a_browser_on_ci_the_tests_fail(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="CI=true: a missing browser is a failure"):
        harness.require_chromium(tmp_path / "chromium")
