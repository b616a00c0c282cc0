"""Property: the parts of every breakdown add up to the total, for random data and filters."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from greenstats.data.contract import REGION_CODES
from greenstats.data.demo import DemoResult
from greenstats.data.warehouse import Warehouse
from greenstats.metrics import stats
from greenstats.metrics.filters import Filters, where_actions
from greenstats.metrics.queries import activity, base, headline, people, program
from tests.conftest import users_tolerance

# --- random frames ----------------------------------------------------------------------------

SPECIES = pd.DataFrame(
    {
        "species": ["a", "b", "c"],
        "unit": ["tree", "tree", "m2"],
        "habitat": ["desert", "forest", "coastal"],
        "seq_kg_per_unit_yr": [5.0, 2.0, 0.5],
        "seq_kg_per_unit_yr_low": [2.0, 1.0, 0.1],
        "seq_kg_per_unit_yr_high": [8.0, 3.0, 1.0],
        "default_survival": [0.7, 0.6, 0.5],
    }
)
days = st.dates(min_value=date(2016, 1, 1), max_value=date(2027, 12, 31))
plantings_strategy = st.lists(
    st.tuples(
        st.sampled_from(["P1", "P2", "P3"]),
        st.sampled_from(["a", "b", "c"]),
        days,
        st.floats(min_value=1, max_value=1e5),
        st.floats(min_value=0, max_value=100),
        st.sampled_from(["CN-NM", "CN-GS", "CN-SD"]),
    ),
    min_size=1,
    max_size=40,
)
surveys_strategy = st.lists(
    st.tuples(
        st.sampled_from(["P1", "P2", "P3"]),
        st.sampled_from(["a", "b", "c"]),
        days,
        st.integers(min_value=1, max_value=500),
        st.floats(min_value=0, max_value=1),
    ),
    max_size=20,
)


def _frames(plantings: list, surveys: list) -> tuple[pd.DataFrame, pd.DataFrame]:
    p = pd.DataFrame(
        [(f"PL{i}", *row) for i, row in enumerate(plantings)],
        columns=["planting_id", "project_id", "species", "planted_on", "units_planted",
                 "area_ha", "region"],
    )  # fmt: skip
    s = pd.DataFrame(
        [(f"S{i}", pid, sp, d, n, round(n * share)) for i, (pid, sp, d, n, share)
         in enumerate(surveys)],
        columns=["survey_id", "project_id", "species", "surveyed_on", "units_sampled",
                 "units_alive"],
    )  # fmt: skip
    return p, s


@given(plantings=plantings_strategy, surveys=surveys_strategy, as_of=days)
@settings(max_examples=150, deadline=None)
def test_planting_breakdowns_sum_to_their_totals(
    plantings: list, surveys: list, as_of: date
) -> None:
    p, s = _frames(plantings, surveys)
    planted = stats.plantings_carbon(p, s, SPECIES, as_of)
    for band in stats.BANDS:
        total = planted[f"sequestration_tco2e{band}"].sum()
        for by in (["species"], ["habitat"], ["region", "species"], ["project_id"]):
            parts = stats.sequestration_breakdown(planted, by)[f"sequestration_tco2e{band}"]
            assert parts.sum() == pytest.approx(total, rel=1e-9, abs=1e-9)
        by_year = stats.sequestration_by_year(planted, as_of)[f"sequestration_tco2e{band}"]
        assert by_year.sum() == pytest.approx(total, rel=1e-9, abs=1e-9)
    for by in (["region"], ["habitat"], ["region", "habitat"]):
        cov = stats.coverage(planted, by)
        assert cov["area_ha"].sum() == pytest.approx(planted["area_ha"].sum(), rel=1e-9)
        assert cov["units_surviving_est"].sum() == pytest.approx(
            planted["units_surviving_est"].sum(), rel=1e-9
        )
    backlog = stats.backlog(
        p.rename(columns={"planted_on": "day", "units_planted": "units"}), p, as_of
    )
    assert (backlog["backlog_units"] >= 0).all()


adoptions_strategy = st.lists(
    st.tuples(st.sampled_from(["P1", "P2", "P3"]), st.sampled_from(["a", "b", "c"]), days,
              st.floats(min_value=0.5, max_value=1e4)),
    max_size=40,
)  # fmt: skip


@given(adoptions=adoptions_strategy, plantings=plantings_strategy, as_of=days)
@settings(max_examples=80, deadline=None)
def test_backlog_age_is_that_of_the_first_adoption_planting_has_not_reached(
    adoptions: list, plantings: list, as_of: date
) -> None:
    a = pd.DataFrame(adoptions, columns=["project_id", "species", "day", "units"])
    a = a.groupby(["day", "project_id", "species"], as_index=False)["units"].sum()  # mart grain
    p, _ = _frames(plantings, [])
    out = stats.backlog(a, p, as_of).set_index(["project_id", "species"])
    # The definition, walked one adoption at a time: plantings serve the oldest first.
    for (project, species), row in out.iterrows():
        mine = a[(a["project_id"] == project) & (a["species"] == species)].sort_values("day")
        planted = p.loc[(p["project_id"] == project) & (p["species"] == species), "units_planted"]
        served, oldest = planted.sum(), None
        for day, units in zip(mine["day"], mine["units"], strict=True):
            served -= units
            if served < -1e-9:
                oldest = day
                break
        assert row["oldest_unplanted_day"] == oldest
        assert row["backlog_age_days"] == ((as_of - oldest).days if oldest else 0)
        expected = max(mine["units"].sum() - planted.sum(), 0.0)
        assert row["backlog_units"] == pytest.approx(expected, rel=1e-9, abs=1e-6)


# --- random filters over the demo warehouse ------------------------------------------------

filters_strategy = st.builds(
    lambda start, length, regions, as_of: Filters(
        date_from=start, date_to=start + timedelta(days=length), regions=tuple(regions),
        as_of=as_of,
    ),
    start=st.dates(min_value=date(2016, 6, 1), max_value=date(2026, 12, 31)),
    length=st.integers(min_value=0, max_value=2000),
    regions=st.lists(st.sampled_from(REGION_CODES), max_size=4, unique=True),
    as_of=st.dates(min_value=date(2018, 1, 1), max_value=date(2028, 1, 1)),
)  # fmt: skip


@given(f=filters_strategy)
@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
def test_every_breakdown_a_page_shows_sums_to_the_summary(
    demo_1m: tuple[Path, DemoResult], f: Filters
) -> None:
    with Warehouse(demo_1m[0]).open_snapshot() as r:
        total = headline.page_summary(r, f)
        ref_actions, ref_species = base.reference_frames(r)
        groupings = [(None, ("action",)), ("month", ("region",)), ("week", ("brand_id",)),
                     ("day", ("category",)), (None, ("action", "region", "brand_id"))]  # fmt: skip
        for grain, by in groupings:
            frame = activity.actions_breakdown(r, f, grain, by)
            parts = stats.carbon_breakdown(frame, ref_actions, list(by))
            assert parts["count_actions"].sum() == total["actions"]
            assert parts["energy_g"].sum() == total["energy_issued_g"]
            for band in stats.BANDS:
                assert parts[f"co2e_avoided_kg{band}"].sum() == pytest.approx(
                    total[f"co2e_avoided_kg{band}"], rel=1e-9, abs=1e-9
                )
        planted = stats.plantings_carbon(
            program.plantings(r, f), program.surveys(r, f), ref_species, f.as_of
        )
        for by in (["region"], ["species"], ["habitat"], ["project_id"]):
            seq = stats.sequestration_breakdown(planted, by)
            assert seq["sequestration_tco2e"].sum() == pytest.approx(
                total["sequestration_tco2e"], rel=1e-9, abs=1e-9
            )
            cov = stats.coverage(planted, by)
            assert cov["area_ha"].sum() == pytest.approx(
                total["area_planted_ha"], rel=1e-9, abs=1e-9
            )
        coastal = stats.coverage(planted[planted["is_coastal"]], ["species"])
        assert coastal["area_ha"].sum() == pytest.approx(
            total["coastal_area_ha"], rel=1e-9, abs=1e-9
        )
        redemptions = program.redemptions_by_species(r, f)
        assert redemptions["units"].sum() == pytest.approx(total["units_adopted"], abs=1e-9)
        species = program.area_species(r, f)
        by_category = stats.protected_species(species, "iucn_category")["species"].sum()
        assert by_category == total["species_protected"]


@given(f=filters_strategy)
@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
def test_whole_months_from_the_monthly_mart_equal_the_days_they_hold(
    demo_1m: tuple[Path, DemoResult], f: Filters
) -> None:
    """Pages read whole months from mart_actions_monthly and only the edge days from
    mart_actions_daily: the counts must be those of the days alone, action by action."""
    with Warehouse(demo_1m[0]).open_snapshot() as r:
        w = where_actions(f)
        days = r.df(
            f"""SELECT action, sum(count_actions)::BIGINT AS count_actions,
                       sum(energy_g)::BIGINT AS energy_g
                FROM mart_actions_daily {w.sql} GROUP BY action ORDER BY action""",
            w.params,
        )
        routed = activity.actions_by_action(r, f)
        pd.testing.assert_frame_equal(routed, days)
        brands = r.scalar(
            f"SELECT count(DISTINCT brand_id) FROM mart_actions_daily {w.sql}", w.params
        )
        assert activity.brands_count(r, f) == brands


@given(f=filters_strategy, grain=st.sampled_from(["day", "week", "month"]))
@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
def test_users_per_bucket_are_exact_where_whole_and_estimated_within_the_bound_elsewhere(
    demo_1m: tuple[Path, DemoResult], f: Filters, grain: str
) -> None:
    """The users chart: with no region or one, a bucket the period covers whole is the exact
    count; a bucket cut by the period, or any bucket for several regions, is a HyperLogLog
    estimate within conftest.users_tolerance of the exact count from the lake (four standard
    errors, 4 × 0.81 %, and four users: two users falling in one register of 16,384 is
    chance)."""
    f = replace(f, date_to=min(f.date_to, f.date_from + timedelta(days=120)))
    with Warehouse(demo_1m[0]).open_snapshot() as r:
        series = people.users_series(r, f, grain)
        first, last = base.event_days(r)
        lo, hi = max(f.date_from, first), min(f.date_to, last)
        w = where_actions(f)
        lake = r.df(
            f"""SELECT CAST({base.TIME_GRAINS[grain]} AS DATE) AS period,
                       count(DISTINCT user_id) AS lake
                FROM read_parquet(?::VARCHAR[]) {w.sql} GROUP BY 1""",
            [r.lake_paths("actions"), *w.params],
        )
    if lo > hi:
        assert series.empty
        return
    lake["period"] = pd.to_datetime(lake["period"])
    both = series.merge(lake, on="period", how="outer")
    assert both["users_active"].notna().all(), "a bucket with users is missing from the chart"
    both["lake"] = both["lake"].fillna(0)
    buckets = people._buckets(grain, lo, hi, first, last)
    whole = {pd.Timestamp(b) for b, is_whole in buckets if is_whole}
    for row in both.itertuples():
        # The chart's note says which bars are exact: it must be true.
        assert row.exact == (len(f.regions) <= 1 and row.period in whole), row
        if row.exact:
            assert row.users_active == row.lake, row
        else:
            assert abs(row.users_active - row.lake) <= users_tolerance(row.lake), row
