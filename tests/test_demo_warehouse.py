"""The demo at a million events: generated, ingested and summarised as a user would."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path

import pandas as pd
import pytest

from greenstats.data.contract import REGION_CODES
from greenstats.data.demo import DemoResult
from greenstats.data.warehouse import Warehouse
from greenstats.metrics.filters import Filters
from greenstats.metrics.queries import headline, intake, people
from tests.conftest import DEMO_EVENTS as EVENTS
from tests.conftest import run_cli, summary_json, users_tolerance


def test_every_good_demo_event_is_loaded_and_every_bad_row_rejected(
    demo_1m: tuple[Path, DemoResult],
) -> None:
    db, result = demo_1m
    got = summary_json(db)
    assert got["actions"] == EVENTS
    rejects = json.loads(run_cli("rejects", "--db", str(db), "--json", check=True).stdout)
    assert rejects["total"] == sum(result.bad_rows.values())


def test_the_demo_looks_like_the_program(demo_1m: tuple[Path, DemoResult]) -> None:
    got = summary_json(demo_1m[0])
    assert got["protected_areas"] == 18
    assert 1_400 <= got["species_protected"] <= 1_600
    assert got["brands"] >= 100
    assert 0 < got["energy_redeemed_g"] <= got["energy_issued_g"]
    assert 0 < got["trees_surviving_est"] < got["trees_planted"]
    assert got["co2e_avoided_kg_low"] < got["co2e_avoided_kg"] < got["co2e_avoided_kg_high"]
    assert got["coastal_area_ha"] > 0


def test_the_same_seed_gives_the_same_figures(
    demo_1m: tuple[Path, DemoResult], tmp_path: Path
) -> None:
    again = tmp_path / "again"
    run_cli("demo", str(again), "--events", str(EVENTS), "--seed", "42", check=True)
    first = demo_1m[1].out_dir
    for path in sorted(p for p in first.rglob("*") if p.is_file()):
        assert (again / path.relative_to(first)).read_bytes() == path.read_bytes(), path.name


FILTERS = {
    "all time": Filters(),
    "2024": Filters(date_from=date(2024, 1, 1), date_to=date(2024, 12, 31)),
    "a 30-day window": Filters(date_from=date(2026, 10, 15), date_to=date(2026, 11, 13)),
    "Guangdong, mid-2025": Filters(
        date_from=date(2025, 3, 17), date_to=date(2025, 9, 2), regions=("CN-GD",)
    ),
    "three northern regions": Filters(regions=("CN-NM", "CN-GS", "CN-NX")),
    "one day": Filters(date_from=date(2025, 5, 1), date_to=date(2025, 5, 1)),
}


@pytest.mark.parametrize("f", FILTERS.values(), ids=FILTERS.keys())
def test_distinct_users_from_the_sketch_are_within_four_standard_errors_of_exact(
    demo_1m: tuple[Path, DemoResult], f: Filters
) -> None:
    with Warehouse(demo_1m[0]).open_snapshot() as r:
        exact = people.users_active_exact(r, f)
        estimate = people.users_active_sketch(r, f)
    assert exact > 0
    assert abs(estimate - exact) <= users_tolerance(exact), (estimate, exact)


def test_the_page_summary_differs_from_the_exact_one_only_in_users(
    demo_1m: tuple[Path, DemoResult],
) -> None:
    f = replace(FILTERS["2024"], as_of=date(2026, 11, 28))
    with Warehouse(demo_1m[0]).open_snapshot() as r:
        exact = headline.summary(r, f)
        page = headline.page_summary(r, f)
    assert {k: v for k, v in page.items() if k != "users_active"} == {
        k: v for k, v in exact.items() if k != "users_active"
    }


def test_freshness_gives_each_planting_partner_its_latest_planting_and_survey(
    demo_1m: tuple[Path, DemoResult],
) -> None:
    """Every partner that runs a planting project, and only those: a partner that only guards
    protected areas plants nothing and counts no survival (and data_late never checks it), so
    it is not listed as having sent "none" (issue 27: three of them read "none received")."""
    with Warehouse(demo_1m[0]).open_snapshot() as r:
        fresh = intake.freshness(r, Filters()).set_index("partner")
        projects = r.df("SELECT project_id, partner FROM stg_projects WHERE kind <> 'conservation'")
        guards = r.df("SELECT DISTINCT partner FROM stg_projects WHERE kind = 'conservation'")
        plantings = r.df("SELECT project_id, planted_on FROM stg_plantings")
        surveys = r.df("SELECT project_id, surveyed_on FROM stg_surveys")
    by_partner = projects.set_index("project_id")["partner"]
    latest_planting = plantings.groupby(plantings["project_id"].map(by_partner))["planted_on"].max()
    latest_survey = surveys.groupby(surveys["project_id"].map(by_partner))["surveyed_on"].max()
    assert sorted(fresh.index) == sorted(projects["partner"].unique())
    assert set(guards["partner"]) - set(fresh.index)  # the demo's three guards are left out
    assert fresh["projects"].to_dict() == projects["partner"].value_counts().to_dict()
    assert fresh[["latest_planting", "latest_survey"]].notna().all().all()
    for partner, row in fresh.iterrows():
        assert row["latest_planting"] == latest_planting.get(partner, pd.NaT) or (
            pd.isna(row["latest_planting"]) and partner not in latest_planting
        )
        assert row["latest_survey"] == latest_survey.get(partner, pd.NaT) or (
            pd.isna(row["latest_survey"]) and partner not in latest_survey
        )


def test_the_users_chart_shows_zero_for_days_no_one_in_the_region_acted(
    demo_1m: tuple[Path, DemoResult],
) -> None:
    first = demo_1m[1].first_day
    with Warehouse(demo_1m[0]).open_snapshot() as r:
        active = {
            region for (region,) in r.rows(
                "SELECT DISTINCT region FROM mart_users_daily_exact WHERE day BETWEEN ? AND ?",
                [first, first + timedelta(days=6)],
            )
        }  # fmt: skip
        quiet = next(c for c in REGION_CODES if c not in active)
        f = Filters(first, first + timedelta(days=6), regions=(quiet,), as_of=first)
        series = people.users_series(r, f, "day")
    assert len(series) == 7  # a row for each day of the week, none missing
    assert series["users_active"].tolist() == [0] * 7
    assert series["users_new"].tolist() == [0] * 7
