"""Carbon, survival, sequestration and coverage: pure functions over mart frames.

Nothing here reads a database, a file or Streamlit: frames in, frames or numbers out. Each
public function's docstring is the one-line definition the methodology page shows.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd

from greenstats.data.contract import THREATENED_CATEGORIES
from greenstats.metrics import units

DAYS_PER_YEAR = 365.25
BANDS = ("", "_low", "_high")


@dataclass(frozen=True)
class SummaryInputs:
    """The mart rows one set of filters selects, plus the methodology in force."""

    actions_by_action: pd.DataFrame  # action, count_actions, energy_g
    users_active: int
    brands: int
    redemptions: pd.DataFrame  # species, count_redemptions, units, energy_g
    plantings: pd.DataFrame  # planting_id, project_id, species, planted_on, units_planted, area_ha
    surveys: pd.DataFrame  # project_id, species, surveyed_on, units_sampled, units_alive
    projects: pd.DataFrame  # project_id, partner
    protected_areas: pd.DataFrame  # area_id, partner, area_ha
    area_species: pd.DataFrame  # scientific_name, iucn_category
    ref_actions: pd.DataFrame
    ref_species: pd.DataFrame
    as_of: date


def co2e_avoided_kg(actions_by_action: pd.DataFrame, ref_actions: pd.DataFrame) -> pd.DataFrame:
    """Carbon avoided: Σ over action events of the action's co2e_g (low, high) ÷ 1000, in kg."""
    factors = ref_actions.set_index("action")[["co2e_g", "co2e_g_low", "co2e_g_high"]]
    joined = actions_by_action.merge(
        factors, left_on="action", right_index=True, how="left"
    ).fillna({"co2e_g": 0.0, "co2e_g_low": 0.0, "co2e_g_high": 0.0})
    out = actions_by_action.copy()
    for band in BANDS:
        grams = joined["count_actions"] * joined[f"co2e_g{band}"]
        out[f"co2e_avoided_kg{band}"] = units.convert(grams, "g", "kg")
    return out


def survival_rates(surveys: pd.DataFrame, ref_species: pd.DataFrame, as_of: date) -> pd.DataFrame:
    """Survival rate: alive ÷ sampled of the latest survey up to as_of (same-day surveys summed)."""
    s = surveys[pd.to_datetime(surveys["surveyed_on"]) <= pd.Timestamp(as_of)]
    latest = s.groupby(["project_id", "species"])["surveyed_on"].transform("max")
    last = s[s["surveyed_on"] == latest]
    agg = last.groupby(["project_id", "species", "surveyed_on"], as_index=False)[
        ["units_sampled", "units_alive"]
    ].sum()
    agg["survival_rate"] = agg["units_alive"] / agg["units_sampled"]
    return agg[["project_id", "species", "surveyed_on", "survival_rate"]]


def plantings_carbon(
    plantings: pd.DataFrame, surveys: pd.DataFrame, ref_species: pd.DataFrame, as_of: date
) -> pd.DataFrame:
    """Per planting: survival (survey, else species default), age, surviving units and area,
    sequestration to date (band)."""
    species = ref_species.set_index("species")[
        ["unit", "habitat", "default_survival", "seq_kg_per_unit_yr",
         "seq_kg_per_unit_yr_low", "seq_kg_per_unit_yr_high"]
    ]  # fmt: skip
    rates = survival_rates(surveys, ref_species, as_of)
    out = plantings.merge(
        rates[["project_id", "species", "survival_rate"]], on=["project_id", "species"], how="left"
    ).join(species, on="species")
    out["survival_source"] = np.where(out["survival_rate"].isna(), "default", "survey")
    out["survival_rate"] = out["survival_rate"].fillna(out["default_survival"]).astype(float)
    planted = pd.to_datetime(out["planted_on"])
    age_days = (pd.Timestamp(as_of) - planted).dt.days.clip(lower=0)
    out["age_years"] = age_days.astype(float) / DAYS_PER_YEAR
    out["units_surviving_est"] = out["units_planted"] * out["survival_rate"]
    out["area_surviving_ha"] = out["area_ha"] * out["survival_rate"]
    out["is_tree"] = out["unit"] == "tree"
    out["is_coastal"] = out["habitat"] == "coastal"
    for band in BANDS:
        kg = out["units_surviving_est"] * out[f"seq_kg_per_unit_yr{band}"] * out["age_years"]
        out[f"sequestration_tco2e{band}"] = units.convert(kg, "kg", "t")
    return out


# --- breakdowns (issue 3): every one sums to its total --------------------------------------


def carbon_breakdown(
    frame: pd.DataFrame, ref_actions: pd.DataFrame, by: list[str] | None = None
) -> pd.DataFrame:
    """Carbon avoided by any grouping of action events: count × the action's factor (band), kg."""
    out = co2e_avoided_kg(frame, ref_actions)
    if by is None:
        return out
    keys = (["period"] if "period" in out.columns else []) + [k for k in by if k != "period"]
    measures = ["count_actions", "energy_g"] + [f"co2e_avoided_kg{b}" for b in BANDS]
    if not keys:
        return out[measures].sum().to_frame().T
    return out.groupby(keys, as_index=False, dropna=False)[measures].sum()


def energy_vs_carbon_share(by_action: pd.DataFrame, ref_actions: pd.DataFrame) -> pd.DataFrame:
    """Each action's share of green energy awarded and of carbon avoided (each column sums to 1)."""
    out = co2e_avoided_kg(by_action, ref_actions)
    energy, carbon = out["energy_g"].sum(), out["co2e_avoided_kg"].sum()
    out["energy_share"] = out["energy_g"] / energy if energy else 0.0
    out["carbon_share"] = out["co2e_avoided_kg"] / carbon if carbon else 0.0
    return out


def funnel(
    energy_issued_g: float, redemptions: pd.DataFrame, planted: pd.DataFrame
) -> pd.DataFrame:
    """Impact funnel: energy issued → redeemed → units adopted → units planted → surviving."""
    stages = [
        ("energy_issued", float(energy_issued_g), "g"),
        ("energy_redeemed", float(redemptions["energy_g"].sum()), "g"),
        ("units_adopted", float(redemptions["units"].sum()), "units"),
        ("units_planted", float(planted["units_planted"].sum()), "units"),
        ("units_surviving", float(planted["units_surviving_est"].sum()), "units"),
    ]
    return pd.DataFrame(stages, columns=["stage", "value", "unit"])


def backlog(adoptions: pd.DataFrame, plantings: pd.DataFrame, as_of: date) -> pd.DataFrame:
    """Backlog per project and species: units adopted minus planted, and the age of the oldest
    unplanted adoption (planting serves adoptions first in, first out).
    """
    keys = ["project_id", "species"]
    adopted = adoptions.groupby(keys, as_index=False)["units"].sum()
    planted = plantings.groupby(keys, as_index=False)["units_planted"].sum()
    out = adopted.merge(planted, on=keys, how="outer").fillna({"units": 0.0, "units_planted": 0.0})
    out = out.rename(columns={"units": "units_adopted"})
    out["backlog_units"] = (out["units_adopted"] - out["units_planted"]).clip(lower=0)
    # First in, first out: an adoption waits while the units adopted up to and including its
    # day exceed the units planted; the oldest such day per project and species.
    ordered = adoptions.astype({"units": float}).sort_values("day", kind="stable")
    cumulative = ordered.groupby(keys, sort=False)["units"].cumsum().to_numpy()
    done = ordered[keys].merge(planted, on=keys, how="left")["units_planted"].fillna(0.0)
    waiting = ordered[cumulative > done.to_numpy() + 1e-9]
    oldest = waiting.groupby(keys, as_index=False)["day"].min()
    out = out.merge(oldest.rename(columns={"day": "oldest_unplanted_day"}), on=keys, how="left")
    oldest_day = pd.to_datetime(out["oldest_unplanted_day"])
    out["backlog_age_days"] = (pd.Timestamp(as_of) - oldest_day).dt.days.fillna(0).astype(int)
    out["oldest_unplanted_day"] = [d.date() if pd.notna(d) else None for d in oldest_day]
    return out


HORIZONS_YEARS = (1, 3, 5)


def cohort_survival(plantings: pd.DataFrame, surveys: pd.DataFrame, as_of: date) -> pd.DataFrame:
    """Survival by planting cohort (year planted), h = 1, 3, 5 years on: each batch takes the
    survey of its project and species closest to h years after planting (within ± ½ year;
    same-day surveys summed), weighted by units planted.
    """
    columns = ["cohort_year", "horizon_years", "units_planted", "survival_rate"]
    s = surveys[pd.to_datetime(surveys["surveyed_on"]) <= pd.Timestamp(as_of)]
    if s.empty or plantings.empty:
        return pd.DataFrame(columns=columns)
    keys = ["project_id", "species", "surveyed_on"]
    days = s.groupby(keys, as_index=False)[["units_sampled", "units_alive"]].sum()
    days["rate"] = days["units_alive"] / days["units_sampled"]
    days["surveyed_on"] = pd.to_datetime(days["surveyed_on"])
    batches = plantings[["planting_id", "project_id", "species", "planted_on", "units_planted"]]
    batches = batches.assign(planted_on=pd.to_datetime(batches["planted_on"]))
    pairs = batches.merge(days, on=["project_id", "species"])
    age = (pairs["surveyed_on"] - pairs["planted_on"]).dt.days / DAYS_PER_YEAR
    found = []
    for h in HORIZONS_YEARS:
        near = pairs[(age >= h - 0.5) & (age < h + 0.5)].assign(distance=(age - h).abs())
        best = near.sort_values(["distance", "surveyed_on"]).groupby("planting_id").head(1)
        found.append(best.assign(horizon_years=h))
    matched = pd.concat(found)
    if matched.empty:
        return pd.DataFrame(columns=columns)
    matched["cohort_year"] = matched["planted_on"].dt.year
    matched["alive_weighted"] = matched["units_planted"] * matched["rate"]
    out = matched.groupby(["cohort_year", "horizon_years"], as_index=False)[
        ["units_planted", "alive_weighted"]
    ].sum()
    out["survival_rate"] = out["alive_weighted"] / out["units_planted"]
    return out[columns]


def sequestration_breakdown(planted: pd.DataFrame, by: list[str]) -> pd.DataFrame:
    """Sequestration to date (t CO2e, band) and its yearly rate now, by a grouping of plantings."""
    frame = planted.copy()
    for band in BANDS:
        kg = frame["units_surviving_est"] * frame[f"seq_kg_per_unit_yr{band}"]
        frame[f"rate_tco2e_per_yr{band}"] = units.convert(kg, "kg", "t")
    cols = [f"sequestration_tco2e{b}" for b in BANDS] + [f"rate_tco2e_per_yr{b}" for b in BANDS]
    return frame.groupby(by, as_index=False, dropna=False)[cols].sum()


def sequestration_by_year(planted: pd.DataFrame, as_of: date) -> pd.DataFrame:
    """Sequestration accrued in each calendar year up to as_of (t CO2e, band): surviving ×
    factor × the part of the year the planting was in the ground.
    """
    columns = ["year"] + [f"sequestration_tco2e{b}" for b in BANDS]
    if planted.empty:
        return pd.DataFrame(columns=columns)
    start = pd.to_datetime(planted["planted_on"])
    first_year = int(start.dt.year.min())
    rows = []
    end_all = pd.Timestamp(as_of)
    for year in range(first_year, as_of.year + 1):
        lo = np.maximum(start, pd.Timestamp(year, 1, 1))
        hi = min(pd.Timestamp(year + 1, 1, 1), end_all)
        years_in = ((hi - lo).dt.days.clip(lower=0)) / DAYS_PER_YEAR
        surviving = planted["units_surviving_est"] * years_in
        kg = [float((surviving * planted[f"seq_kg_per_unit_yr{b}"]).sum()) for b in BANDS]
        rows.append([year] + [units.convert(v, "kg", "t") for v in kg])
    return pd.DataFrame(rows, columns=columns)


def coverage(planted: pd.DataFrame, by: list[str]) -> pd.DataFrame:
    """Area planted (ha) and surviving-weighted area (area × survival rate, ha), by any grouping."""
    return planted.groupby(by, as_index=False, dropna=False)[
        ["area_ha", "area_surviving_ha", "units_planted", "units_surviving_est"]
    ].sum()


def protected_species(area_species: pd.DataFrame, by: str) -> pd.DataFrame:
    """Distinct species recorded in protected areas, by IUCN category or taxon group."""
    frame = area_species.drop_duplicates(["scientific_name"])  # one row per species
    out = frame.groupby(by, as_index=False, dropna=False)["scientific_name"].count()
    return out.rename(columns={"scientific_name": "species"})


def threatened_share(area_species: pd.DataFrame) -> float:
    """Share of protected species that are threatened (IUCN CR, EN or VU)."""
    names = area_species.drop_duplicates(["scientific_name"])
    if names.empty:
        return 0.0
    return float(names["iucn_category"].isin(THREATENED_CATEGORIES).mean())


PLANTING_SEASONS = ((3, 5), (9, 11))  # spring Mar–May and autumn Sep–Nov, by month


def _seasons_ended(start: date, end: date) -> int:
    """Planting seasons that end between start and end (a season counts once it is over)."""
    count = 0
    for year in range(start.year, end.year + 1):
        for first_month, last_month in PLANTING_SEASONS:
            season_start = date(year, first_month, 1)
            season_end = date(year, last_month + 1, 1)  # the day after the season
            if season_start >= start and season_end <= end:
                count += 1
    return count


def _seasons_total(start: date, target: date) -> int:
    return max(_seasons_ended(start, target + pd.Timedelta(days=1).to_pytimedelta()), 1)


def expected_share(started: date, due: date | None, as_of: date) -> float | None:
    """The share of its target a project should have delivered by as_of: the planting seasons
    over since it started ÷ those up to its due date (all of it from the due date on); None
    without a due date."""
    if due is None:
        return None
    if as_of >= due:
        return 1.0
    return min(_seasons_ended(started, as_of) / _seasons_total(started, due), 1.0)


def project_progress(
    projects: pd.DataFrame,
    planted: pd.DataFrame,
    adopted: pd.DataFrame,
    as_of: date,
    tolerance: float = 0.05,
) -> pd.DataFrame:
    """Delivered against target, and pace: NGOs plan by planting season, so a project is on plan
    when it has delivered its target's share of the seasons already over (within 5 % of target).
    """
    units = planted.groupby("project_id")["units_planted"].sum()
    area = planted.groupby("project_id")["area_ha"].sum()
    adopted_units = adopted.groupby("project_id")["units"].sum()
    rows = []
    for p in projects.itertuples(index=False):
        is_conservation = p.kind == "conservation"
        delivered = float(adopted_units.get(p.project_id, 0.0) if is_conservation
                          else units.get(p.project_id, 0.0))  # fmt: skip
        delivered_area = float(area.get(p.project_id, 0.0))
        target, measure = p.target_units, "units"
        done = delivered
        if pd.isna(target) and not pd.isna(p.target_area_ha):
            target, measure, done = p.target_area_ha, "area_ha", delivered_area
        status, expected, gap = "no target", None, None
        if not pd.isna(target):
            target = float(target)
            started = pd.Timestamp(p.started_on).date()
            due = None if pd.isna(p.target_date) else pd.Timestamp(p.target_date).date()
            share = expected_share(started, due, as_of)
            if done >= target:
                status = "target met"
            elif share is None:
                status = "no target date"
            else:
                expected = target * share
                gap = expected - done
                status = "on plan" if gap <= tolerance * target else "behind plan"
        rows.append(
            {
                "project_id": p.project_id,
                "measure": measure,
                "target": target if not pd.isna(target) else None,
                "delivered": done,
                "delivered_units": delivered,
                "delivered_area_ha": delivered_area,
                "expected_by_now": expected,
                "behind_by": gap if status == "behind plan" else 0.0,
                "progress": (done / target) if target and not pd.isna(target) else None,
                "status": status,
            }
        )
    return pd.DataFrame(rows, columns=PROGRESS_COLUMNS)


#: The columns of `project_progress`, also when no project is selected.
PROGRESS_COLUMNS = [
    "project_id", "measure", "target", "delivered", "delivered_units", "delivered_area_ha",
    "expected_by_now", "behind_by", "progress", "status",
]  # fmt: skip


def deltas(
    current: dict[str, float], previous: dict[str, float]
) -> dict[str, tuple[float, float | None]]:
    """Change of each headline figure against the period before: (difference, relative change,
    None when the previous value is 0).
    """
    out: dict[str, tuple[float, float | None]] = {}
    for key, now in current.items():
        before = previous.get(key, 0)
        out[key] = (now - before, (now - before) / before if before else None)
    return out


def equivalents(tco2e: float, table: pd.DataFrame) -> pd.DataFrame:
    """Everyday equivalents: carbon (t CO2e) ÷ each equivalent's kg CO2e per unit × 1000."""
    out = table.copy()
    out["count"] = units.convert(tco2e, "t", "kg") / out["kg_co2e_per_unit"]
    return out
