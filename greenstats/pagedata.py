"""What a page needs that combines queries and stats: each function takes a Reader and Filters
(like `greenstats.queries`) so `ui.query` can cache it by snapshot and filters."""

from __future__ import annotations

from dataclasses import replace

import pandas as pd

from greenstats import queries, stats
from greenstats.filters import Filters
from greenstats.warehouse import Reader


def all_time(f: Filters) -> Filters:
    """The same filters without the period: delivery against targets counts from the start."""
    return replace(f, date_from=None, date_to=None)


def planted(r: Reader, f: Filters) -> pd.DataFrame:
    """Plantings the filters select, with survival, age and sequestration to date."""
    _, ref_species = queries.reference_frames(r)
    return stats.plantings_carbon(
        queries.plantings(r, f), queries.surveys(r, f), ref_species, f.as_of
    )


def progress(r: Reader, f: Filters) -> pd.DataFrame:
    """Every selected project's delivery against target and pace, to as_of."""
    whole = all_time(f)
    return stats.project_progress(
        queries.projects(r, whole), planted(r, whole), queries.adoptions_total(r, whole), f.as_of
    )


def carbon_series(r: Reader, f: Filters, grain: str | None, by: tuple[str, ...]) -> pd.DataFrame:
    """Actions, energy and carbon avoided (band) by time bucket and dimensions."""
    ref_actions, _ = queries.reference_frames(r)
    frame = queries.actions_breakdown(r, f, grain, by)
    return stats.carbon_breakdown(frame, ref_actions, list(by))


def funnel(r: Reader, f: Filters) -> pd.DataFrame:
    """Energy issued → redeemed → units adopted → planted → surviving, for planting projects.

    Conservation shares (protected land) are adopted but never planted, so they are left out
    of the planting stages; `protection` reports them beside the funnel.
    """
    issued = float(queries.actions_by_action(r, f)["energy_g"].sum())
    adopted = queries.adoptions_total(r, f)
    projects = queries.projects(r, all_time(f))[["project_id", "kind"]]
    adopted = adopted.merge(projects, on="project_id")
    planting_only = adopted[adopted["kind"] != "conservation"]
    planted_rows = planted(r, f)
    planted_rows = planted_rows[planted_rows["kind"] != "conservation"]
    out = stats.funnel(issued, adopted, planted_rows)
    out.loc[out["stage"] == "units_adopted", "value"] = float(planting_only["units"].sum())
    return out


def protection(r: Reader, f: Filters) -> float:
    """m² of protected land adopted in the period (conservation projects)."""
    adopted = queries.adoptions_total(r, f)
    kinds = queries.projects(r, all_time(f))[["project_id", "kind"]]
    adopted = adopted.merge(kinds, on="project_id")
    return float(adopted.loc[adopted["kind"] == "conservation", "units"].sum())


def backlog(r: Reader, f: Filters) -> pd.DataFrame:
    """Per planting project and species, to as_of: adopted, planted, backlog and its age."""
    whole = all_time(f)
    projects = queries.projects(r, whole)
    to_as_of = replace(whole, date_to=f.as_of)
    adopted = queries.adoptions(r, to_as_of)
    rows = queries.plantings(r, to_as_of)
    out = stats.backlog(adopted, rows, f.as_of)
    out = out.merge(projects[["project_id", "name", "partner", "kind", "region"]], on="project_id")
    return out[out["kind"] != "conservation"].reset_index(drop=True)


def survival_now(r: Reader, f: Filters) -> pd.DataFrame:
    """Latest survival rate per project and species (survey, else the species default)."""
    rows = planted(r, all_time(f))
    keep = ["project_id", "species", "survival_rate", "survival_source", "habitat", "unit"]
    return rows[keep].drop_duplicates(["project_id", "species"]).reset_index(drop=True)


#: The two ecosystems pages' slices of the plantings.
HABITAT_SLICES = {"trees": "is_tree", "coastal": "is_coastal"}


def planted_slice(r: Reader, f: Filters, which: str) -> pd.DataFrame:
    """The plantings of one page: trees (unit 'tree') or coastal habitats."""
    rows = planted(r, f)
    return rows[rows[HABITAT_SLICES[which]]].reset_index(drop=True)


def sequestration_years(r: Reader, f: Filters, which: str) -> pd.DataFrame:
    """Sequestration accrued per calendar year by one page's plantings (t CO2e, band)."""
    return stats.sequestration_by_year(planted_slice(r, f, which), f.as_of)


def cohorts_slice(r: Reader, f: Filters, which: str) -> pd.DataFrame:
    """Survival by planting cohort for one page's plantings."""
    rows = planted_slice(r, f, which)
    return stats.cohort_survival(rows, queries.surveys(r, f), f.as_of)


def areas(r: Reader, f: Filters) -> pd.DataFrame:
    """Protected areas with their species and threatened species counts."""
    table = queries.protected_areas(r, f)
    species = queries.area_species(r, f)
    counts = species.groupby("area_id").agg(
        species=("scientific_name", "nunique"),
        threatened=("iucn_category", lambda c: int(c.isin(["CR", "EN", "VU"]).sum())),
    )
    out = table.join(counts, on="area_id")
    return out.fillna({"species": 0, "threatened": 0})


def threatened(r: Reader, f: Filters) -> pd.DataFrame:
    """Threatened species (CR, EN, VU) with the protected areas that record them."""
    species = queries.area_species(r, f)
    names = queries.protected_areas(r, f).set_index("area_id")["name"]
    rows = species[species["iucn_category"].isin(["CR", "EN", "VU"])].copy()
    rows["area"] = rows["area_id"].map(names)
    out = rows.groupby("scientific_name", as_index=False).agg(
        common_name=("common_name", "first"),
        iucn_category=("iucn_category", "first"),
        taxon_group=("taxon_group", "first"),
        areas=("area", lambda a: ", ".join(sorted(set(a)))),
        last_observed_on=("last_observed_on", "max"),
    )
    out["rank"] = out["iucn_category"].map({"CR": 0, "EN": 1, "VU": 2})
    return out.sort_values(["rank", "scientific_name"]).drop(columns="rank").reset_index(drop=True)


def partners(r: Reader, f: Filters) -> list[str]:
    """Every partner running a project or a protected area."""
    projects = queries.projects(r, all_time(f))["partner"]
    areas_ = queries.protected_areas(r, all_time(f))["partner"]
    return sorted(set(projects) | set(areas_))


def project_report(r: Reader, f: Filters) -> dict[str, pd.DataFrame]:
    """Everything the Projects page shows for the projects the filters select."""
    whole = all_time(f)
    projects = queries.projects(r, whole)
    planted_rows = planted(r, whole)
    adopted = queries.adoptions_total(r, whole)
    return {
        "projects": projects,
        "progress": stats.project_progress(projects, planted_rows, adopted, f.as_of),
        "planted": planted_rows,
        "surveys": queries.surveys(r, whole),
        "adoptions": adopted,
    }
