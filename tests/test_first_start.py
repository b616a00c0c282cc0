"""The README's first start: with no warehouse, the server builds the demo data set as it starts
(before anyone opens a page) and says so in the terminal; a page opened meanwhile shows that
build's progress in plain words until the data is ready (and no page list:
tests/e2e/test_first_start.py, in Chromium).

The demo here is the smallest (TINY events); what costs is its 246 monthly files, about 10 s."""

from __future__ import annotations

import re
import threading
import time
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from greenstats.data import bootstrap
from greenstats.data.bootstrap import Progress
from greenstats.data.warehouse import Warehouse
from greenstats.ui.words import build_progress
from tests.conftest import ROOT
from tests.e2e import harness

TINY = 20_000


def _lines(server: harness.Server) -> list[str]:
    return [
        ln
        for ln in server.log.read_text(errors="replace").splitlines()
        if ln.startswith("greenstats")
    ]


def test_the_server_builds_the_demo_as_it_starts_and_says_so(tmp_path: Path) -> None:
    db = tmp_path / "warehouse"  # does not exist yet, as in a fresh clone
    env = {"GREENSTATS_DB": str(db), "GREENSTATS_DEMO_EVENTS": str(TINY)}
    with harness.streamlit_server("app.py", env) as server:
        deadline = time.monotonic() + 300  # a bound on a hang, not a measure
        while not any("ready" in ln for ln in _lines(server)) and time.monotonic() < deadline:
            time.sleep(0.5)
        lines = _lines(server)
    # Nobody opened a page: the server built it, and published it.
    snap = Warehouse(db).current()
    assert snap is not None, server.tail()
    assert lines[0] == (
        f"greenstats: no warehouse at {db} yet, so the demo data set ({TINY:,} action events) is "
        f"being built there; open {server.url} to follow it."
    )
    assert lines[-1].startswith("greenstats: the demo warehouse is ready, built in ")
    assert lines[-1].endswith(f" s; open {server.url}.")
    # Progress every tenth of the way at most, in words: no file or model name.
    steps = lines[1:-1]
    assert 1 <= len(steps) <= 9, lines
    assert [int(re.match(r"greenstats: (\d+)% done, ", ln).group(1)) for ln in steps] == sorted(
        {int(re.match(r"greenstats: (\d+)% done, ", ln).group(1)) for ln in steps}
    )
    assert not [ln for ln in lines if re.search(r"\.parquet|\.csv|mart_|stg_", ln)]


def test_the_build_s_progress_reads_in_plain_words() -> None:
    cases = [
        (Progress("generate", 0.1, 3_200_000, 10_000_000),
         "Generating the demo's activity, 2016–2026: 3.2M of 10M actions",
         "正在生成演示活动（2016–2026 年）：320万 / 1,000万 条行为"),
        (Progress("load", 0.3, 12, 249),
         "Loading into the warehouse: 12 of 249 files", "正在载入数据仓库：12 / 249 个文件"),
        (Progress("compute", 0.7), "Computing the figures…", "正在计算各项数字…"),
        (Progress("compute", 0.8, month="2024-10"),
         "Computing the figures: up to Oct 2024", "正在计算各项数字：已算到 2024年10月"),
        (Progress("ready", 1.0), "Ready: opening the pages…", "已完成，正在打开页面…"),
    ]  # fmt: skip
    for progress, en, zh in cases:
        assert (build_progress(progress, "en"), build_progress(progress, "zh")) == (en, zh)


def _bar_text(at: AppTest) -> str:
    bars = at.get("progress")
    assert len(bars) == 1, at.main
    return bars[0].proto.text


def test_a_page_opened_during_the_build_shows_its_progress_and_no_page_list(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = tmp_path / "warehouse"
    monkeypatch.setenv("GREENSTATS_DB", str(db))
    monkeypatch.setenv("GREENSTATS_DEMO_EVENTS", str(TINY))
    at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=60).run()
    build = bootstrap.start_demo_build(db)  # the page started it (no server here): the same
    assert build is not None
    try:
        assert not at.exception, [e.message for e in at.exception]
        assert [i.value for i in at.info] == [
            f"No data yet: greenstats is building its demo data set of {TINY:,} actions, once. "
            "The pages open as soon as it is ready."
        ]
        stage = (
            r"Generating the demo's activity, 2016–2026: [\d.,KM]+ of 20K actions"
            r"|Loading into the warehouse: \d+ of \d+ files|Computing the figures.*"
        )
        assert re.fullmatch(stage, _bar_text(at)), _bar_text(at)
        # No page of the app, and no filter. (That no page *list* shows is a browser's to see:
        # AppTest lists the pages/ folder on its own, tests/e2e/test_first_start.py.)
        assert (at.title.len, at.metric.len, at.sidebar.multiselect.len) == (0, 0, 0)

        # In Chinese, and a second page: both follow the one build.
        zh = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=60)
        zh.query_params["lang"] = "中文"
        zh.run()
        assert zh.info[0].value.startswith("尚无数据：greenstats 正在生成演示数据集（20,000 条")
        assert re.fullmatch(r"正在(生成演示活动|载入数据仓库|计算各项数字).*", _bar_text(zh))
        assert bootstrap.start_demo_build(db) is build
        builds = [t for t in threading.enumerate() if t.name == "greenstats-demo-build"]
        assert len(builds) == 1
    finally:
        build.stop()
    # Stopped (as when the server stops): nothing published, and the page says so.
    assert build.finished
    assert Warehouse(db).current() is None
    at.run()
    assert [e.value.replace("\\", "") for e in at.error] == [  # as markdown, escaped
        "The demo data set could not be built: The server stopped before the demo data set was "
        "built. Restart the server to try again."
    ]
