"""What a critical alert means (issue 27): harm to trees or to data, or a target about to be
missed; never a small backlog, a plan with years to catch up, a quiet month or a survey of a
few trees. Each rule on the smallest hand-made frames that hold it, through the pure checks of
greenstats/metrics/alerts.py and the committed thresholds of alerts.toml (every case is built
from the thresholds, so that it tests the rule, not one number of it)."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pandas as pd
import pytest

from greenstats.metrics import alerts, stats

TH = alerts.load_config()
AS_OF = date(2026, 6, 30)


def _inputs(
    *,
    projects: list[dict] | None = None,
    plantings: list[dict] | None = None,
    adoptions: list[dict] | None = None,
    surveys: list[dict] | None = None,
    defaults: dict[str, float] | None = None,
) -> alerts.AlertInputs:
    """AlertInputs of a few rows, with every frame the checks read (empty where not given)."""
    project_columns = ["project_id", "partner", "kind", "started_on", "target_units",
                       "target_area_ha", "target_date"]  # fmt: skip
    projects_df = pd.DataFrame(projects or [], columns=project_columns)
    plantings_df = pd.DataFrame(
        plantings or [], columns=["project_id", "species", "planted_on", "units_planted", "area_ha"]
    )
    adoptions_df = pd.DataFrame(adoptions or [], columns=["day", "project_id", "species", "units"])
    redeemed = adoptions_df.groupby(["day", "project_id"], as_index=False)["units"].sum()
    return alerts.AlertInputs(
        projects=projects_df,
        progress=stats.project_progress(projects_df, plantings_df, adoptions_df, AS_OF),
        plantings=plantings_df,
        redeemed=redeemed,
        adoptions=adoptions_df,
        surveys=pd.DataFrame(
            surveys or [],
            columns=["project_id", "species", "surveyed_on", "units_sampled", "units_alive"],
        ),
        ref_species=pd.DataFrame(
            {
                "species": list((defaults or {}).keys()),
                "default_survival": list((defaults or {}).values()),
            }
        ),
        loads=pd.DataFrame(
            columns=["load_number", "loaded_at", "table_name", "rows_read", "rejected"]
        ),
        as_of=AS_OF,
    )


def _project(pid: str, started: date, target: float, due: date) -> dict:
    return {"project_id": pid, "partner": "Desert Green", "kind": "afforestation",
            "started_on": started, "target_units": target, "target_area_ha": None,
            "target_date": due}  # fmt: skip


# --- backlog: critical when large and old ---------------------------------------------------


def _backlog(units: float, waited_days: int) -> list[alerts.Alert]:
    day = AS_OF - timedelta(days=waited_days)
    return alerts.check_backlog(
        _inputs(
            projects=[_project("P1", date(2020, 1, 1), 5_000, date(2030, 12, 31))],
            adoptions=[{"day": day, "project_id": "P1", "species": "saxaul", "units": units}],
        ),
        TH,
    )


def test_an_eight_unit_backlog_waiting_a_year_is_a_warning() -> None:
    """The issue's case: a critical alert for an 8-unit backlog."""
    (a,) = _backlog(8, 2 * TH.backlog_max_age_days + 20)
    assert (a.kind, a.severity) == ("backlog_old", "warning")
    assert a.numbers["backlog"].value == 8


def test_a_backlog_is_critical_only_when_both_large_and_old() -> None:
    old, large = 2 * TH.backlog_max_age_days, TH.backlog_critical_units
    cases = {
        (large, old): ["critical"],
        (large - 1, old): ["warning"],  # old, not large
        (100 * large, old - 1): ["warning"],  # large, not old enough
        (100 * large, TH.backlog_max_age_days): [],  # not even late
    }
    got = {case: [a.severity for a in _backlog(*case)] for case in cases}
    assert got == cases


# --- behind plan: critical when far behind near the due date --------------------------------


def _behind(due: date, planted: float) -> alerts.Alert:
    """P1: 1,000 trees from 2020-03-01 to `due`, `planted` of them planted in spring 2020."""
    (a,) = alerts.check_behind_plan(
        _inputs(
            projects=[_project("P1", date(2020, 3, 1), 1_000, due)],
            plantings=[
                {
                    "project_id": "P1",
                    "species": "saxaul",
                    "planted_on": date(2020, 4, 1),
                    "units_planted": planted,
                    "area_ha": 1.0,
                }
            ],
        ),
        TH,
    )
    return a


def test_behind_plan_is_critical_only_when_far_behind_near_the_due_date() -> None:
    """Far behind (critical_share of its target or more) with 4.5 years to go is a plan to
    revise, a warning; the same within critical_within_days of the due date, or overdue, is a
    target about to be missed; a little behind a month before it is due, a warning."""
    years_to_go = _behind(date(2030, 12, 31), planted=10)
    near = _behind(AS_OF + timedelta(days=TH.behind_critical_within_days), planted=10)
    overdue = _behind(AS_OF - timedelta(days=30), planted=10)
    for a in (years_to_go, near, overdue):
        assert a.numbers["behind_share"].value >= 100 * TH.behind_critical_share
    little = _behind(
        AS_OF + timedelta(days=30), planted=1_000 * (1 - TH.behind_critical_share) + 50
    )
    assert little.numbers["behind_share"].value < 100 * TH.behind_critical_share
    got = [a.severity for a in (years_to_go, near, overdue, little)]
    assert got == ["warning", "critical", "critical", "warning"]


# --- survival: news only from samples that can tell ---------------------------------------


def _survival(*days: tuple[int, int], default: float = 0.7) -> list[alerts.Alert]:
    """P1 saxaul surveyed on successive days: (units sampled, units alive) each."""
    surveys = [
        {"project_id": "P1", "species": "saxaul", "surveyed_on": date(2025, 4, 1) + timedelta(i),
         "units_sampled": n, "units_alive": alive}
        for i, (n, alive) in enumerate(days)
    ]  # fmt: skip
    return alerts.check_survival(
        _inputs(
            projects=[_project("P1", date(2020, 1, 1), 5_000, date(2030, 12, 31))],
            surveys=surveys,
            defaults={"saxaul": default},
        ),
        TH,
    )


#: Surveys too small to tell (units sampled, units alive per day): before, each fired an alert
#: (0 of 1 alive was critical, however little one tree tells).
NOISE = {
    "none of one tree alive": [(1, 0)],
    "none alive, of too few to judge": [(TH.survival_min_sampled - 1, 0)],
    "60 % of 30 against 70 %: 10 points, 1.2 standard errors of 8.4": [(30, 18)],
    "a fall of 20 points on two surveys of 30: 1.9 standard errors": [(30, 27), (30, 21)],
}


def test_survival_is_news_from_samples_that_can_tell_and_critical_when_far() -> None:
    """Small surveys say nothing. 300 of 600 alive (50 %) against 70 %: 20 points, over ten
    standard errors, critical; falls of 20 and 12 points on surveys of 1,000: critical (twice
    the drop) and a warning; one point at any size, nothing."""
    assert {case: _survival(*days) for case, days in NOISE.items()} == {key: [] for key in NOISE}
    (below,) = _survival((600, 300))
    assert (below.kind, below.severity) == ("survival_below_default", "critical")
    assert below.numbers["below_by"].value == 20.0
    falls = [
        next(a for a in _survival(*days) if a.kind == "survival_falling")
        for days in (((1_000, 900), (1_000, 700)), ((1_000, 700), (1_000, 580)))
    ]
    assert [a.numbers["fell_by"].value for a in falls] == [20.0, 12.0]
    assert [a.severity for a in falls] == ["critical", "warning"]
    assert _survival((1_000, 700), (1_000, 690)) == []


# --- data late: critical when a season's data is missing -----------------------------------


def _late(quiet_days: int) -> list[alerts.Alert]:
    """A partner that planted every week of a year, then nothing for `quiet_days`."""
    last = AS_OF - timedelta(days=quiet_days)
    plantings = [
        {"project_id": "P1", "species": "saxaul", "planted_on": last - timedelta(weeks=w),
         "units_planted": 10, "area_ha": 0.01}
        for w in range(52)
    ]  # fmt: skip
    return alerts.check_data_late(
        _inputs(
            projects=[_project("P1", date(2020, 1, 1), 5_000, date(2030, 12, 31))],
            plantings=plantings,
        ),
        TH,
    )


def test_a_partner_quiet_for_a_month_is_late_and_for_a_season_critical() -> None:
    """Weekly sender: allowed max(2 × 7, 14) days. Before, 28 days quiet were critical."""
    (month,) = _late(60)
    assert month.numbers["allowed"].value == max(TH.freshness_factor * 7, TH.freshness_min_days)
    (season,) = _late(TH.freshness_critical_days)
    assert [month.severity, season.severity] == ["warning", "critical"]


# --- the thresholds are the config's -------------------------------------------------------


def test_the_new_thresholds_are_read_from_a_config_file(tmp_path: Path) -> None:
    config = tmp_path / "alerts.toml"
    config.write_text("[backlog]\ncritical_units = 5\n", encoding="utf-8")
    th = alerts.load_config(config)
    assert th.backlog_critical_units == 5
    assert th.behind_critical_within_days == TH.behind_critical_within_days
    adoptions = [{"day": AS_OF - timedelta(days=400), "project_id": "P1", "species": "saxaul",
                  "units": 8}]  # fmt: skip
    (a,) = alerts.check_backlog(_inputs(adoptions=adoptions), th)
    assert a.severity == "critical"  # 8 units ≥ 5, waiting 400 days


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("[backlog]\ncritical_units = -1\n", "backlog.critical_units"),
        ("[survival]\nmin_sampled = 0\n", "survival.min_sampled"),
        ("[survival]\nmin_z = 'two'\n", "survival.min_z"),
        ("[behind_plan]\ncritical_within_days = 1.5\n", "behind_plan.critical_within_days"),
        ("[freshness]\ncritical_days = -3\n", "freshness.critical_days"),
    ],
)
def test_a_bad_new_threshold_is_refused_by_name(text: str, key: str) -> None:
    with pytest.raises(alerts.ConfigError, match=key.replace(".", r"\.") + " = .* is not valid"):
        alerts.read_config(text, "alerts.toml", TH)
