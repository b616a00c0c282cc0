"""The Actions screen on real warehouses: it loads for every region and period, its cards are
`summary`'s figures, every empty block says what is missing and where, no count of fewer than
k people can be read or worked out, and what a reader reads is in words."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pytest

from greenstats.data.contract import REGION_CODES
from greenstats.data.pipeline import ingest_folder
from greenstats.data.warehouse import Warehouse
from greenstats.metrics.filters import PERIODS, Filters, period_bounds
from greenstats.screens import actions
from greenstats.ui.blocks import Chart, is_empty
from tests import handbuilt
from tests.conftest import people_shown, summary_json

AS_OF = handbuilt.AS_OF
LATEST = date(2025, 4, 2)  # the hand-built data's latest action day
#: The hand-built actions' regions; every other region has none.
WITH_ACTIONS = {"CN-GD", "CN-BJ", "CN-SH", "CN-NM"}


def _load(db: Path, lang: str = "en", grain: str | None = None, **filters) -> actions.ActionsData:
    with Warehouse(db).open_snapshot() as r:
        return actions.load(r, Filters(as_of=AS_OF, **filters), lang, grain)


def _charts(data: actions.ActionsData) -> list[Chart]:
    return [data.carbon, data.energy, data.shares, data.regions, data.brands, data.users]


def _number(text: str) -> float:
    """The first number in a figure as shown, e.g. '2.41 kg CO₂e' → 2.41."""
    match = re.search(r"-?[\d,]+(\.\d+)?", text)
    assert match, text
    return float(match.group(0).replace(",", ""))


def _card(data: actions.ActionsData, key: str) -> str:
    return next(c.value for c in data.cards if c.key == key)


def _warehouse(tmp_path: Path, files: dict[str, str]) -> Path:
    """A tiny warehouse from the given CSV files, with the minimal reference."""
    folder = tmp_path / "input"
    folder.mkdir()
    for name, text in files.items():
        (folder / name).write_text(text, encoding="utf-8")
    db = tmp_path / "warehouse"
    ingest_folder(folder, db, handbuilt.REFERENCE_MIN)
    return db


def _check(data: actions.ActionsData, region: tuple[str, ...]) -> None:
    for chart in _charts(data):
        assert chart.title
        if is_empty(chart):
            assert chart.empty, chart.name
    if region and region[0] not in WITH_ACTIONS:
        assert data.carbon.figure is None
        assert _card(data, "actions") == "0 actions"


def test_every_region_alone_and_every_period_loads(handbuilt_db: Path) -> None:
    with Warehouse(handbuilt_db).open_snapshot() as r:
        for code in REGION_CODES:  # all time
            data = actions.load(r, Filters(regions=(code,), as_of=AS_OF), "en")
            _check(data, (code,))
        for period in PERIODS:  # every preset: all regions, a busy one, one with one action
            lo, hi = period_bounds(period, LATEST)
            for region in ((), ("CN-GD",), ("CN-NM",)):
                f = Filters(date_from=lo, date_to=hi, regions=region, as_of=AS_OF)
                _check(actions.load(r, f, "en"), region)


def test_the_cards_are_the_summary_figures(handbuilt_db: Path) -> None:
    for args, filters in (
        ((), {}),
        (("--region", "CN-GD"), {"regions": ("CN-GD",)}),
        (("--from", "2025-01-01", "--to", "2025-04-02"),
         {"date_from": date(2025, 1, 1), "date_to": LATEST}),
    ):  # fmt: skip
        s = summary_json(handbuilt_db, *args)
        data = _load(handbuilt_db, **filters)
        assert _number(_card(data, "actions")) == s["actions"]
        assert _number(_card(data, "energy_issued_g")) == s["energy_issued_g"]
        assert _number(_card(data, "brands")) == s["brands"]
        # The hand-built carbon is a few kg: the card shows it in kg with three figures.
        assert "kg CO₂e" in _card(data, "co2e_avoided_kg")
        carbon = _number(_card(data, "co2e_avoided_kg"))
        assert carbon == pytest.approx(s["co2e_avoided_kg"], rel=0.01)


def test_an_empty_region_says_so_by_name(handbuilt_db: Path) -> None:
    data = _load(handbuilt_db, regions=("CN-HI",))
    assert data.carbon.figure is None
    assert data.carbon.empty.startswith("No actions in Hainan in this period")
    assert data.brands.empty.startswith("No actions credited by a partner brand in Hainan")
    assert data.users.empty.startswith("No users acted in Hainan")
    zh = _load(handbuilt_db, "zh", regions=("CN-HI",))
    assert zh.carbon.empty.startswith("海南此期间没有低碳行为")


def test_a_period_with_no_data_and_a_filter_that_matches_nothing(handbuilt_db: Path) -> None:
    data = _load(handbuilt_db, date_from=date(2030, 1, 1), date_to=date(2030, 1, 31))
    assert all(is_empty(c) for c in _charts(data))
    assert data.users.empty.startswith("No users acted in this period")
    chosen = _load(handbuilt_db, actions=("e_invoice",), brands=("brand-metro",))
    assert chosen.carbon.figure is None
    assert "chosen kinds or brands" in chosen.carbon.empty
    assert "across all actions and brands" in chosen.users_note
    one = _load(handbuilt_db, actions=("e_invoice",), brands=("brand-tax",))
    assert _card(one, "actions") == "2 actions"
    assert one.shares.figure is not None


def test_one_action_is_one_action_not_one_actions(handbuilt_db: Path) -> None:
    data = _load(handbuilt_db, regions=("CN-NM",))  # one walk, 1 Jun 2024
    assert _card(data, "actions") == "1 action"
    assert "1 action<" in data.regions.figure.data[0].customdata[0][0] + "<"


def test_the_users_insight_is_not_given_for_fewer_than_10_people(handbuilt_db: Path) -> None:
    # The hand-built data have 7 users: no bar is drawn and no share of new users is said.
    data = _load(handbuilt_db)
    assert data.users.insight == ""
    assert data.users.figure is None
    assert "fewer than 10 people" in data.users.empty
    shown = data.users.frame.to_numpy().ravel().tolist()
    assert not any(v in ("1", "2", "3", "4", "5", "6", "7", "8", "9") for v in shown)


def _users(tmp_path: Path) -> Path:
    """12 users act in January; in February they come back with 3 new ones."""
    tmp_path.mkdir(exist_ok=True)
    rows = ["event_id,user_id,occurred_at,action,region,energy_g"]
    rows += [f"j{i},u{i},2025-01-10 10:00,walking,CN-BJ,100" for i in range(12)]
    rows += [f"f{i},u{i},2025-02-10 10:00,walking,CN-BJ,100" for i in range(15)]
    return _warehouse(tmp_path, {"actions.csv": "\n".join(rows) + "\n"})


def test_a_small_part_of_a_bar_cannot_be_worked_out(tmp_path: Path) -> None:
    data = _load(_users(tmp_path), grain="month")
    table = data.users.frame.set_index("Period")
    # January: 12 new users, drawn and said, rounded to 10 or 20; no returning user; the
    # active users are the sum of the two shown.
    new, returning, active = table.loc["Jan 2025"].tolist()
    assert new in people_shown(12) == {"10", "20"}
    assert (returning, active) == ("0", new)
    # February: 3 new among 15: the 12 returning are not shown (15 − 12 would give the 3).
    new, returning, active = table.loc["Feb 2025"].tolist()
    assert (new, returning) == ("< 10", "not shown")
    assert active in people_shown(15)
    drawn = {(trace.name, len(trace.x)) for trace in data.users.figure.data}
    assert drawn == {("New users", 1), ("Active users (split not shown)", 1)}
    merged = next(t for t in data.users.figure.data if t.name.startswith("Active"))
    assert "Returning users: not shown" in merged.customdata[0][0]
    assert "12" not in merged.customdata[0][0]
    # The sentence comes from the latest bar whose split is shown, never from February.
    assert data.users.insight == "New users were 100% of active users in Jan 2025."
    assert "only its active users" in data.users_note
    weekly = _load(_users(tmp_path / "again"), grain="week")
    assert weekly.users.insight == "New users were 100% of active users in the week of 6 Jan 2025."


def test_csv_headers_are_words_and_hold_no_hover_text(handbuilt_db: Path) -> None:
    for lang in ("en", "zh"):
        data = _load(handbuilt_db, lang)
        for chart in _charts(data):
            for header in chart.frame.columns:
                assert "_" not in header, (chart.name, header)
                assert "hover" not in header.lower(), (chart.name, header)
        shares = data.shares.frame
        # Shares in percent without binary noise (e.g. 21.57676348547718, not …718000001).
        assert all(len(repr(v)) <= 13 for v in shares.iloc[:, -1])


def test_the_axis_names_the_unit_of_the_sentence_above_it(handbuilt_db: Path) -> None:
    data = _load(handbuilt_db)
    carbon_axis = data.carbon.figure.layout.yaxis.title.text
    assert carbon_axis == "kg CO₂e"
    assert "kg CO₂e" in data.carbon.insight
    assert data.carbon.figure.layout.yaxis.exponentformat in (None, "none")
    energy_axis = data.energy.figure.layout.yaxis.title.text
    assert energy_axis == "g energy"
    assert "g energy" in data.energy.insight
    brands_axis = data.brands.figure.layout.xaxis.title.text
    assert brands_axis == "kg CO₂e"
    assert "kg CO₂e" in data.brands.insight


def test_chinese_dates_and_names_on_a_chinese_page(handbuilt_db: Path) -> None:
    data = _load(handbuilt_db, "zh", grain="month")
    for chart in (data.carbon, data.energy):
        axis = chart.figure.layout.xaxis
        formats = [axis.tickformat or ""] + [s.value for s in axis.tickformatstops or ()]
        assert any("年" in f for f in formats), chart.name
    assert data.carbon.frame.columns[0] == "时期"
    assert data.regions.frame.iloc[0, 0] == "广东"
    assert "Jan" not in " ".join(data.carbon.frame.iloc[:, 0])


def test_action_names_are_above_their_bars_not_beside_them(handbuilt_db: Path) -> None:
    fig = _load(handbuilt_db).shares.figure
    assert fig.layout.yaxis.showticklabels is False
    names = next(t for t in fig.data if t.type == "scatter")
    assert list(names.text) == ["metro_ride", "walking", "e_invoice"]


def test_sparse_warehouses_load(tmp_path: Path) -> None:
    one = tmp_path / "one"
    one.mkdir()
    db = _warehouse(one, {"actions.csv": "event_id,user_id,occurred_at,action,region,energy_g\n"
                          "x1,u1,2025-05-05 10:00,e_invoice,CN-HI,5\n"})  # fmt: skip
    data = _load(db)
    assert data.grain == "day"
    assert _card(data, "actions") == "1 action"
    assert data.brands.figure is None
    assert data.brands.empty.startswith("No actions credited by a partner brand")
    assert data.carbon.figure is not None
    assert "0.005 kg CO₂e" in data.carbon.insight
    for period in PERIODS:
        lo, hi = period_bounds(period, date(2025, 5, 5))
        _load(db, "zh", date_from=lo, date_to=hi, regions=("CN-HI",))
    for grain in actions.GRAINS:
        assert _load(db, "zh", grain).users.figure is None  # one user: hidden
    none = tmp_path / "none"
    none.mkdir()
    db = _warehouse(none, {"projects.csv": handbuilt.PROJECTS.splitlines()[0] + "\n"
                           + handbuilt.PROJECTS.splitlines()[1] + "\n"})  # fmt: skip
    data = _load(db)
    assert _card(data, "actions") == "0 actions"
    assert all(is_empty(c) for c in _charts(data))
    assert data.carbon.empty.startswith("No actions in this period")
