"""Every insight sentence is true of its own chart's data (issue 27).

Hypothesis draws filters (regions, a period preset or a custom range); for each page's `load`,
each chart's sentence is checked against the CSV the chart offers (what a reader can download
and check it against): the item it names is the largest (the widest range, the highest week,
the largest group), the share it gives is that item's share of the total, and the direction of
a change is the sign of the change.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, timedelta

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from greenstats.data.warehouse import Reader
from greenstats.metrics.filters import Filters, period_bounds, today_cst
from greenstats.metrics.queries import base, program
from greenstats.screens import SCREENS
from greenstats.ui.blocks import Chart, walk
from tests.test_one_figure import sent


@pytest.fixture(scope="module")
def reader(demo_small_reader: Reader) -> Reader:
    return demo_small_reader


def percents(text: str) -> list[float]:
    return [float(p.replace(",", "")) for p in re.findall(r"([\d,.]+)%", text)]


def check_share(insight: str, shares: pd.Series) -> None:
    """The sentence names the largest item (any of a tie) and gives its share of the total (one
    item alone has no largest: the sentence then says something else)."""
    if len(shares) < 2:
        return
    total = float(shares.sum())
    largest = shares[shares == shares.max()]
    named = [name for name in largest.index if str(name) in insight]
    assert named, (insight, shares.sort_values().tail(3).to_dict())
    share = 100 * float(largest.iloc[0]) / total
    # The CSV's values are rounded to what a reader sees, so the share may differ by rounding.
    assert any(abs(p - share) <= 0.5 + 1e-6 for p in percents(insight)), (insight, share)


def by(frame: pd.DataFrame, name: str, value: str) -> pd.Series:
    return frame.groupby(name)[value].sum()


def trend(insight: str, frame: pd.DataFrame) -> None:
    """The highest bucket, and the direction of the second half against the first."""
    carbon = frame["Carbon avoided (t CO₂e)"]
    peaks = frame.loc[carbon == carbon.max(), "Period"]
    assert any(f"Highest in {p}:" in insight for p in peaks), (insight, list(peaks))
    half = len(frame) // 2
    first, second = carbon.iloc[:half].sum(), carbon.iloc[half:].sum()
    if "more than the first" in insight:
        assert second >= first, (insight, first, second)
    elif "less than the first" in insight:
        assert second < first, (insight, first, second)
    else:
        assert half < 2 or first <= 0, insight


def widest(insight: str, frame: pd.DataFrame) -> None:
    """The habitat whose range is widest relative to its estimate."""
    mid = frame["Carbon stored to date (t CO₂e)"]
    spread = (
        frame["Carbon stored to date, high (t CO₂e)"] - frame["Carbon stored to date, low (t CO₂e)"]
    ) / mid.where(mid > 0)
    spread = spread.fillna(0)
    names = frame.loc[spread >= spread.max() - 1e-9, "Species"]
    assert any(insight.startswith(f"Relative to its estimate, {n} has") for n in names), insight


def largest_area(insight: str, frame: pd.DataFrame) -> None:
    area = frame["Area (ha)"]
    names = frame.loc[area == area.max(), "Protected area"]
    assert any(insight.startswith(f"{n} is the largest") for n in names), insight


def threatened(insight: str, frame: pd.DataFrame) -> None:
    counts = frame.set_index("IUCN category")["Species"]
    share = 100 * counts[[c for c in counts.index if c.endswith(("(CR)", "(EN)", "(VU)"))]].sum()
    assert any(abs(p - share / counts.sum()) <= 0.5 for p in percents(insight)), insight


def stored(insight: str, frame: pd.DataFrame) -> None:
    """'All the trees planted since 2018 have stored … so far, … of it in 2026': the last year."""
    year = int(frame["Year"].max())
    assert insight.endswith(f"of it in {year}."), insight


CHECKS: dict[str, Callable[[str, pd.DataFrame], None]] = {
    "carbon-trend": trend,
    "actions-carbon": lambda i, f: check_share(i, by(f, "Category", "Carbon avoided (t CO₂e)")),
    "actions-energy": lambda i, f: check_share(i, by(f, "Category", "Green energy (g)")),
    "actions-regions": lambda i, f: check_share(i, by(f, "Region", "Carbon avoided (t CO₂e)")),
    "trees-species": lambda i, f: check_share(i, by(f, "Species", "Trees planted")),
    "trees-regions": lambda i, f: check_share(i, by(f, "Region", "Trees planted")),
    "coastal-species": lambda i, f: check_share(i, by(f, "Species", "Planted (m²)")),
    "coastal-regions": lambda i, f: check_share(i, by(f, "Region", "Planted (m²)")),
    "coastal-carbon": widest,
    "protected-areas": largest_area,
    "species-taxa": lambda i, f: check_share(i, by(f, "Group", "Species")),
    "species-iucn": threatened,
    "trees-sequestration": stored,
}


@st.composite
def filters(draw: st.DrawFn, regions: list[str], first: date, latest: date) -> Filters:
    chosen = tuple(sorted(draw(st.sets(st.sampled_from(regions), max_size=2))))
    period = draw(st.sampled_from(["all", "30d", "this-year", "last-year", "custom"]))
    if period == "custom":
        start = draw(st.dates(first, latest))
        lo, hi = start, min(latest, start + timedelta(days=draw(st.integers(0, 500))))
    else:
        lo, hi = period_bounds(period, latest)
    return Filters(lo, hi, regions=chosen, as_of=today_cst())


def test_every_insight_is_true_of_its_chart(reader: Reader) -> None:
    first, latest = base.event_days(reader)
    regions = sorted(program.planted(reader, Filters(as_of=today_cst()))["region"].unique())
    checked: set[str] = set()

    @settings(max_examples=8, deadline=None, derandomize=True,
              suppress_health_check=[HealthCheck.too_slow])  # fmt: skip
    @given(filters(regions, first, latest))
    def run(f: Filters) -> None:
        for screen in SCREENS:
            for block in walk(screen.view(reader, sent(f, screen.applies), "en")):
                drawn = isinstance(block, Chart) and block.insight and not block.frame.empty
                if drawn and block.name in CHECKS:
                    CHECKS[block.name](block.insight, block.frame)
                    checked.add(block.name)

    run()
    assert checked == set(CHECKS), set(CHECKS) - checked
