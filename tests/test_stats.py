"""Each stat of the methodology, against values worked out by hand in the test."""

from __future__ import annotations

import math
from datetime import date

import pandas as pd
import pytest

from greenstats.metrics import stats

SPECIES = pd.DataFrame(
    {
        "species": ["saxaul", "willow", "eelgrass", "kelp"],
        "unit": ["tree", "tree", "m2", "m2"],
        "habitat": ["desert", "desert", "coastal", "coastal"],
        "seq_kg_per_unit_yr": [5.0, 2.0, 0.5, 0.2],
        "seq_kg_per_unit_yr_low": [2.0, 1.0, 0.1, 0.1],
        "seq_kg_per_unit_yr_high": [8.0, 3.0, 1.0, 0.4],
        "default_survival": [0.7, 0.6, 0.5, 0.4],
    }
)
ACTIONS = pd.DataFrame(
    {"action": ["walk", "metro"], "co2e_g": [100.0, 500.0], "co2e_g_low": [50.0, 400.0],
     "co2e_g_high": [150.0, 600.0], "category": ["mobility", "mobility"]}
)  # fmt: skip


def planting_rows(*rows: tuple) -> pd.DataFrame:
    cols = ["planting_id", "project_id", "species", "planted_on", "units_planted", "area_ha"]
    frame = pd.DataFrame(rows, columns=cols)
    frame["planted_on"] = pd.to_datetime(frame["planted_on"]).dt.date
    return frame


def survey_rows(*rows: tuple) -> pd.DataFrame:
    cols = ["survey_id", "project_id", "species", "surveyed_on", "units_sampled", "units_alive"]
    frame = pd.DataFrame(rows, columns=cols)
    frame["surveyed_on"] = pd.to_datetime(frame["surveyed_on"]).dt.date
    return frame


def test_carbon_avoided_band_by_action() -> None:
    by_action = pd.DataFrame({"action": ["walk", "metro"], "count_actions": [3, 2],
                              "energy_g": [600, 104]})  # fmt: skip
    out = stats.carbon_breakdown(by_action, ACTIONS).set_index("action")
    assert out.loc["walk", "co2e_avoided_kg"] == pytest.approx(3 * 100 / 1000)
    assert out.loc["metro", "co2e_avoided_kg_low"] == pytest.approx(2 * 400 / 1000)
    assert out.loc["metro", "co2e_avoided_kg_high"] == pytest.approx(2 * 600 / 1000)
    assert (out["co2e_avoided_kg_low"] <= out["co2e_avoided_kg"]).all()
    assert (out["co2e_avoided_kg"] <= out["co2e_avoided_kg_high"]).all()


def test_energy_and_carbon_shares_differ_and_each_sum_to_one() -> None:
    by_action = pd.DataFrame({"action": ["walk", "metro"], "count_actions": [3, 2],
                              "energy_g": [600, 104]})  # fmt: skip
    out = stats.energy_vs_carbon_share(by_action, ACTIONS).set_index("action")
    assert out.loc["walk", "energy_share"] == pytest.approx(600 / 704)
    assert out.loc["walk", "carbon_share"] == pytest.approx(300 / (300 + 1000))
    assert out["energy_share"].sum() == pytest.approx(1.0)
    assert out["carbon_share"].sum() == pytest.approx(1.0)


def test_survival_uses_the_latest_survey_with_same_day_surveys_summed() -> None:
    surveys = survey_rows(
        ("S1", "P1", "saxaul", "2024-04-10", 200, 180),
        ("S2", "P1", "saxaul", "2025-04-10", 100, 70),
        ("S3", "P1", "saxaul", "2025-04-10", 300, 240),
        ("S4", "P1", "saxaul", "2026-12-01", 100, 10),  # after as_of
    )
    rates = stats.survival_rates(surveys, SPECIES, date(2026, 6, 30))
    assert rates["survival_rate"].tolist() == [pytest.approx((70 + 240) / (100 + 300))]


def test_a_project_with_no_survey_takes_the_species_default_and_later_plantings_age_0() -> None:
    plantings = planting_rows(
        ("A", "P2", "willow", "2024-06-30", 1000, 1.0),
        ("B", "P2", "willow", "2027-01-01", 500, 0.5),  # after as_of
    )
    out = stats.plantings_carbon(plantings, survey_rows(), SPECIES, date(2026, 6, 30))
    a, b = out.iloc[0], out.iloc[1]
    assert a["survival_rate"] == 0.6
    assert a["survival_source"] == "default"
    assert a["age_years"] == pytest.approx(730 / 365.25)
    assert a["sequestration_tco2e"] == pytest.approx(1000 * 0.6 * 2.0 * (730 / 365.25) / 1000)
    assert b["age_years"] == 0
    assert b["sequestration_tco2e"] == 0


def test_funnel_stages_in_order() -> None:
    redemptions = pd.DataFrame({"energy_g": [17900, 35800], "units": [1.0, 2.0]})
    planted = pd.DataFrame({"units_planted": [2.0], "units_surviving_est": [1.5]})
    out = stats.funnel(100_000, redemptions, planted)
    assert out["stage"].tolist() == ["energy_issued", "energy_redeemed", "units_adopted",
                                     "units_planted", "units_surviving"]  # fmt: skip
    assert out["value"].tolist() == [100_000, 53_700, 3, 2, 1.5]


def test_backlog_is_adopted_minus_planted_and_ages_from_the_oldest_unplanted_adoption() -> None:
    adoptions = pd.DataFrame(
        {"project_id": ["P1"] * 3 + ["P2"], "species": ["saxaul"] * 3 + ["willow"],
         "day": pd.to_datetime(["2025-01-10", "2025-02-10", "2025-03-10", "2025-01-05"]).date,
         "units": [10.0, 5.0, 5.0, 4.0]}
    )  # fmt: skip
    plantings = planting_rows(
        ("A", "P1", "saxaul", "2025-04-01", 12, 0.1), ("B", "P2", "willow", "2025-04-01", 4, 0.1)
    )
    out = stats.backlog(adoptions, plantings, date(2025, 6, 1)).set_index("project_id")
    # P1: 20 adopted, 12 planted (FIFO: Jan's 10 and 2 of Feb's 5) → 8 waiting since 10 Feb.
    assert out.loc["P1", "backlog_units"] == 8
    assert out.loc["P1", "oldest_unplanted_day"] == date(2025, 2, 10)
    assert out.loc["P1", "backlog_age_days"] == (date(2025, 6, 1) - date(2025, 2, 10)).days
    assert out.loc["P2", "backlog_units"] == 0
    assert out.loc["P2", "backlog_age_days"] == 0


def test_cohort_survival_at_1_3_and_5_years() -> None:
    plantings = planting_rows(
        ("B1", "P1", "saxaul", "2020-04-01", 100, 0.1),
        ("B2", "P1", "saxaul", "2021-04-01", 300, 0.3),
        ("B3", "P2", "willow", "2020-05-01", 200, 0.2),
    )
    surveys = survey_rows(
        ("S1", "P1", "saxaul", "2021-04-05", 100, 50),  # B1 at 1 year; B2 at 0 years
        ("S2", "P1", "saxaul", "2023-04-10", 100, 60),  # B1 at 3 years; B2 at 2 years
        ("S3", "P2", "willow", "2021-05-01", 100, 90),  # B3 at 1 year
        ("S4", "P2", "willow", "2025-06-01", 60, 40),  # B3 at 5 years, two teams that day
        ("S5", "P2", "willow", "2025-06-01", 40, 30),
    )
    out = stats.cohort_survival(plantings, surveys, date(2026, 1, 1))
    got = {(r.cohort_year, r.horizon_years): r.survival_rate for r in out.itertuples()}
    assert got == {
        (2020, 1): pytest.approx((100 * 0.5 + 200 * 0.9) / (100 + 200)),
        (2020, 3): pytest.approx(0.6),
        (2020, 5): pytest.approx((40 + 30) / (60 + 40)),
    }


def test_sequestration_by_species_and_by_year_sum_to_the_total_to_date() -> None:
    plantings = planting_rows(
        ("A", "P1", "saxaul", "2024-07-01", 100, 0.1),
        ("B", "P2", "eelgrass", "2025-01-01", 1000, 0.1),
    )
    as_of = date(2025, 7, 1)
    planted = stats.plantings_carbon(plantings, survey_rows(), SPECIES, as_of)
    # By hand: A 100 × 0.7 × 5 kg × 365/365.25 yr; B 1000 × 0.5 × 0.5 kg × 181/365.25 yr.
    a = 100 * 0.7 * 5 * (365 / 365.25) / 1000
    b = 1000 * 0.5 * 0.5 * (181 / 365.25) / 1000
    by_species = stats.sequestration_breakdown(planted, ["species"]).set_index("species")
    assert by_species.loc["saxaul", "sequestration_tco2e"] == pytest.approx(a)
    assert by_species.loc["eelgrass", "sequestration_tco2e"] == pytest.approx(b)
    assert by_species.loc["saxaul", "rate_tco2e_per_yr"] == pytest.approx(100 * 0.7 * 5 / 1000)
    by_year = stats.sequestration_by_year(planted, as_of).set_index("year")
    assert by_year.loc[2024, "sequestration_tco2e"] == pytest.approx(
        100 * 0.7 * 5 * (184 / 365.25) / 1000
    )
    assert by_year["sequestration_tco2e"].sum() == pytest.approx(a + b)
    assert by_year["sequestration_tco2e_high"].sum() == pytest.approx(
        (100 * 0.7 * 8 * 365 + 1000 * 0.5 * 1.0 * 181) / 365.25 / 1000
    )


def test_coverage_weights_area_by_survival_and_blue_carbon_by_habitat() -> None:
    plantings = planting_rows(
        ("A", "P1", "saxaul", "2024-04-01", 675, 1.0),
        ("B", "P3", "eelgrass", "2024-05-01", 3000, 0.3),
        ("C", "P4", "kelp", "2024-05-01", 2000, 0.2),
    )
    planted = stats.plantings_carbon(plantings, survey_rows(), SPECIES, date(2025, 5, 1))
    by_habitat = stats.coverage(planted, ["habitat"]).set_index("habitat")
    assert by_habitat.loc["desert", "area_surviving_ha"] == pytest.approx(1.0 * 0.7)
    assert by_habitat.loc["coastal", "area_ha"] == pytest.approx(0.5)
    assert by_habitat.loc["coastal", "area_surviving_ha"] == pytest.approx(0.3 * 0.5 + 0.2 * 0.4)
    blue = stats.sequestration_breakdown(planted[planted["is_coastal"]], ["species"])
    blue = blue.set_index("species")
    assert blue.loc["kelp", "sequestration_tco2e_low"] == pytest.approx(
        2000 * 0.4 * 0.1 * (365 / 365.25) / 1000
    )


def test_protected_species_by_category_and_threatened_share() -> None:
    area_species = pd.DataFrame(
        {"scientific_name": ["A a", "B b", "C c", "A a", "D d"],
         "iucn_category": ["VU", "EN", "LC", "VU", "DD"],
         "taxon_group": ["mammals", "mammals", "birds", "mammals", "plants"]}
    )  # fmt: skip
    by_category = stats.protected_species(area_species, "iucn_category").set_index("iucn_category")[
        "species"
    ]
    assert by_category.to_dict() == {"DD": 1, "EN": 1, "LC": 1, "VU": 1}
    by_group = stats.protected_species(area_species, "taxon_group").set_index("taxon_group")
    assert by_group["species"].to_dict() == {"birds": 1, "mammals": 2, "plants": 1}
    assert stats.threatened_share(area_species) == pytest.approx(2 / 4)


def _project(**kw: object) -> pd.DataFrame:
    base = {
        "project_id": "P1", "kind": "afforestation", "started_on": date(2024, 1, 1),
        "target_units": 1000.0, "target_area_ha": None, "target_date": date(2026, 12, 31),
    }  # fmt: skip
    base.update(kw)
    return pd.DataFrame([base])


@pytest.mark.parametrize(
    ("delivered", "status", "behind_by"),
    [(400, "behind plan", 100.0), (460, "on plan", 0.0), (1000, "target met", 0.0)],
)
def test_project_pace_counts_the_planting_seasons_already_over(
    delivered: int, status: str, behind_by: float
) -> None:
    # Six seasons from Jan 2024 to Dec 2026; by 1 Jul 2025 three are over (spring 2024,
    # autumn 2024, spring 2025): 3/6 of 1,000 = 500 expected; 5 % of target = 50 of slack.
    planted = pd.DataFrame({"project_id": ["P1"], "units_planted": [float(delivered)],
                            "area_ha": [1.0]})  # fmt: skip
    adopted = pd.DataFrame({"project_id": [], "units": []})
    out = stats.project_progress(_project(), planted, adopted, date(2025, 7, 1)).iloc[0]
    assert out["status"] == status
    assert out["behind_by"] == pytest.approx(behind_by)
    if status != "target met":
        assert out["expected_by_now"] == pytest.approx(500)
    assert out["progress"] == pytest.approx(delivered / 1000)


def test_mid_season_a_project_is_not_yet_expected_to_have_planted_that_season() -> None:
    planted = pd.DataFrame({"project_id": ["P1"], "units_planted": [500.0], "area_ha": [1.0]})
    adopted = pd.DataFrame({"project_id": [], "units": []})
    # 15 Nov 2025: autumn 2025 is still under way, so still 3 of 6 seasons expected.
    out = stats.project_progress(_project(), planted, adopted, date(2025, 11, 15)).iloc[0]
    assert out["expected_by_now"] == pytest.approx(500)
    assert out["status"] == "on plan"


def test_a_project_with_an_area_target_is_measured_in_hectares() -> None:
    planted = pd.DataFrame({"project_id": ["P1"], "units_planted": [9000.0], "area_ha": [0.9]})
    adopted = pd.DataFrame({"project_id": [], "units": []})
    project = _project(target_units=None, target_area_ha=2.0)
    out = stats.project_progress(project, planted, adopted, date(2027, 1, 1)).iloc[0]
    assert (out["measure"], out["status"]) == ("area_ha", "behind plan")
    assert out["behind_by"] == pytest.approx(2.0 - 0.9)


def test_deltas_against_the_previous_period() -> None:
    out = stats.deltas({"actions": 120, "trees_planted": 5}, {"actions": 100, "trees_planted": 0})
    assert out["actions"] == (20, pytest.approx(0.2))
    assert out["trees_planted"] == (5, None)


def test_everyday_equivalents_divide_by_the_factor() -> None:
    table = pd.DataFrame({"key": ["car_year"], "kg_co2e_per_unit": [2554.0]})
    out = stats.equivalents(12.77, table)
    assert out["count"].iloc[0] == pytest.approx(12.77 * 1000 / 2554)
    assert math.isclose(out["count"].iloc[0], 5.0, rel_tol=1e-9)
