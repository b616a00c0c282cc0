"""What several screens need that combines queries and stats: each function takes a Reader and
Filters, like `greenstats.queries`."""

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


#: The two ecosystems pages' slices of the plantings.
HABITAT_SLICES = {"trees": "is_tree", "coastal": "is_coastal"}


def planted_slice(r: Reader, f: Filters, which: str) -> pd.DataFrame:
    """The plantings of one page: trees (unit 'tree') or coastal habitats."""
    rows = planted(r, f)
    return rows[rows[HABITAT_SLICES[which]]].reset_index(drop=True)


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
