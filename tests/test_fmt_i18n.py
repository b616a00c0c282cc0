"""Numbers as readers write them, in both languages, and a complete translation table."""

from __future__ import annotations

import csv
import re
from pathlib import Path

import pandas as pd
import pytest

from greenstats.screens import methodology as methodology_screen
from greenstats.ui import fmt
from greenstats.ui.frame.downloads import csv_bytes
from greenstats.ui.i18n import TABLE, collated, keys, t

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize(
    ("value", "lang", "shown"),
    [
        (5500, "en", "5,500"),
        (326_400_000, "en", "326.4M"),
        (326_400_000, "zh", "3.26亿"),
        (12_345_678, "zh", "1,235万"),  # three figures at least, as 12.3M: never 1,234.6万
        (63_690_000, "zh", "6,369万"),  # never 6,369.0万
        (123_456, "zh", "12.3万"),
        (150_000_000, "zh", "1.5亿"),
        (9_876, "zh", "9,876"),
    ],
)
def test_compact_numbers_use_m_in_english_and_wan_yi_in_chinese(value, lang, shown) -> None:
    assert fmt.compact(value, lang) == shown


@pytest.mark.parametrize(
    ("count", "shown"), [(0, "0"), (1, "< 10"), (9, "< 10"), (10, "10"), (12_345, "12.3K")]
)
def test_people_counts_under_10_show_as_less_than_10(count: int, shown: str) -> None:
    assert fmt.people(count) == shown


def test_carbon_always_carries_its_range_in_one_unit() -> None:
    assert fmt.carbon(12_345, 9_800, 15_100) == "12.3 kt CO₂e (9.8–15.1)"
    assert fmt.carbon(12_345, 9_800, 15_100, "zh") == "1.23万吨CO₂e (0.98–1.51)"
    assert fmt.quantity(1, "unit.trees") == "1 tree"


def test_csv_exports_neutralise_formulas_and_open_in_excel() -> None:
    frame = pd.DataFrame({"name": ['=HYPERLINK("x")', "+1", "-2", "@SUM(A1)", "plain", "梭梭"]})
    data = csv_bytes(frame)
    assert data.startswith("\ufeff".encode())  # BOM: Excel and WPS read the Chinese right
    cells = [row[0] for row in csv.reader(data.decode("utf-8-sig").splitlines()[1:])]
    assert cells == ['\'=HYPERLINK("x")', "'+1", "'-2", "'@SUM(A1)", "plain", "梭梭"]


def test_every_ui_string_has_english_and_chinese() -> None:
    with TABLE.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.reader(fh))
    assert rows[0] == ["key", "en", "zh"]
    assert all(len(r) == 3 and r[1].strip() and r[2].strip() for r in rows[1:]), [
        r for r in rows[1:] if len(r) != 3 or not r[1].strip() or not r[2].strip()
    ]
    assert len({r[0] for r in rows[1:]}) == len(rows) - 1


def test_every_key_the_code_asks_for_is_in_the_table() -> None:
    have = set(keys())
    pattern = re.compile(
        r'\b(?:tr|t|ui\.tr|empty|page_header|kpi\([^,()]+,)\s*\(?\s*"([a-z]+\.[\w.\-]+)"'
    )
    used: set[str] = set()
    for path in [*ROOT.glob("pages/*.py"), ROOT / "dashboard.py", *ROOT.glob("greenstats/**/*.py")]:
        used |= set(pattern.findall(path.read_text(encoding="utf-8")))
    missing = sorted(k for k in used if k not in have and not k.endswith(".csv"))
    assert not missing
    assert t("page.overview", "zh") == "总览"


def test_freshness_shows_days_as_readers_write_them_and_says_when_none_came() -> None:
    frame = pd.DataFrame({
        "partner": ["Gobi Edge", "Highland Guardians"], "projects": [12, 5],
        "latest_planting": pd.to_datetime(["2026-11-24", None]),
        "latest_survey": pd.to_datetime(["2026-11-03", None]),
    })  # fmt: skip
    en = methodology_screen.freshness_table(frame, "en")
    assert en["Latest planting"].tolist() == ["24 Nov 2026", "none received"]
    assert en["Latest survey"].tolist() == ["3 Nov 2026", "none received"]
    zh = methodology_screen.freshness_table(frame, "zh")
    assert zh.iloc[:, 2].tolist() == ["2026年11月24日", "尚未收到"]


def test_choices_sort_by_name_in_the_readers_language() -> None:
    regions = {"CN-BJ": "北京", "CN-AH": "安徽", "CN-CQ": "重庆", "CN-MO": "澳门", "CN-XZ": "西藏"}
    # By pinyin: an-hui, ao-men, bei-jing, chong-qing, xi-zang (not by code, not by code point).
    assert collated(regions, "zh") == ["CN-AH", "CN-MO", "CN-BJ", "CN-CQ", "CN-XZ"]
    english = {"CN-BJ": "Beijing", "CN-AH": "Anhui", "CN-HK": "Hong Kong", "CN-GD": "guangdong"}
    assert collated(english, "en") == ["CN-AH", "CN-BJ", "CN-GD", "CN-HK"]
