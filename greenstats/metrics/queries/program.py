"""What the program delivers: its projects and protected areas and their partners, the plantings
and surveys, the units users adopt (redemptions), and each project's progress against target."""

from __future__ import annotations

import pandas as pd

from greenstats.data.warehouse import Reader
from greenstats.metrics import stats
from greenstats.metrics.filters import (
    Filters,
    where_areas,
    where_plantings,
    where_projects,
    where_redemptions,
    where_surveys,
)
from greenstats.metrics.queries.base import once, reference_frames


def redemptions_by_species(r: Reader, f: Filters) -> pd.DataFrame:
    """Redemptions, units adopted and energy redeemed per species."""
    w = where_redemptions(f)
    return r.df(
        f"""SELECT species, sum(count_redemptions)::BIGINT AS count_redemptions,
                   sum(units) AS units, sum(energy_g)::BIGINT AS energy_g
            FROM mart_redemptions_daily {w.sql} GROUP BY species ORDER BY species""",
        w.params,
    )


def plantings(r: Reader, f: Filters) -> pd.DataFrame:
    """The planting batches the filters select."""
    w = where_plantings(f)
    return r.df(f"SELECT * FROM stg_plantings {w.sql} ORDER BY planted_on, planting_id", w.params)


def surveys(r: Reader, f: Filters) -> pd.DataFrame:
    """The surveys that count (up to as_of) for the filters' projects."""
    w = where_surveys(f)
    return r.df(f"SELECT * FROM stg_surveys {w.sql} ORDER BY surveyed_on, survey_id", w.params)


def projects(r: Reader, f: Filters) -> pd.DataFrame:
    """The projects the filters select (not cut by period)."""
    w = where_projects(f)
    return r.df(f"SELECT * FROM stg_projects {w.sql} ORDER BY project_id", w.params)


def protected_areas(r: Reader, f: Filters) -> pd.DataFrame:
    """The protected areas in the filters' regions."""
    w = where_areas(f)
    return r.df(f"SELECT * FROM stg_protected_areas {w.sql} ORDER BY area_id", w.params)


def area_species(r: Reader, f: Filters) -> pd.DataFrame:
    """Species recorded in the protected areas of the filters' regions."""
    w = where_areas(f)
    return r.df(f"SELECT * FROM stg_area_species {w.sql}", w.params)


def adoptions_total(r: Reader, f: Filters) -> pd.DataFrame:
    """Units adopted and energy redeemed per project and species, over the whole period (the
    same sums as `adoptions`, without a row per day)."""
    w = where_redemptions(f)
    return r.df(
        f"""SELECT project_id, species, sum(units) AS units,
                   sum(energy_g)::BIGINT AS energy_g, sum(count_redemptions)::BIGINT AS redemptions
            FROM mart_redemptions_daily {w.sql} GROUP BY ALL ORDER BY ALL""",
        w.params,
    )


def adoptions(r: Reader, f: Filters) -> pd.DataFrame:
    """Units adopted per day, project and species (the mart's grain) in planting projects (not
    conservation), for the backlog; in no particular order."""
    w = where_redemptions(f)
    return r.arrow_df(
        f"""SELECT day, project_id, species, units FROM mart_redemptions_daily
            WHERE project_id IN (
                SELECT project_id FROM stg_projects WHERE kind <> 'conservation'){w.and_()}""",
        w.params,
    )


def redeemed_by_day(r: Reader, f: Filters) -> pd.DataFrame:
    """Units adopted per day and project, every kind of project (a conservation project's
    delivery), for the filters."""
    w = where_redemptions(f)
    return r.df(
        f"""SELECT day, project_id, sum(units) AS units FROM mart_redemptions_daily {w.sql}
            GROUP BY ALL ORDER BY ALL""",
        w.params,
    )


def planted(r: Reader, f: Filters) -> pd.DataFrame:
    """Plantings the filters select, with survival, age and sequestration to date."""

    def compute() -> pd.DataFrame:
        _, ref_species = reference_frames(r)
        return stats.plantings_carbon(plantings(r, f), surveys(r, f), ref_species, f.as_of)

    return once(r, ("planted", f), compute)


def progress(r: Reader, f: Filters) -> pd.DataFrame:
    """Every selected project's delivery against target and pace, to as_of."""
    whole = f.all_time()
    return stats.project_progress(
        projects(r, whole), planted(r, whole), adoptions_total(r, whole), f.as_of
    )


def partners(r: Reader, f: Filters) -> list[str]:
    """Every partner running a project or a protected area."""
    whole = f.all_time()
    return sorted(set(projects(r, whole)["partner"]) | set(protected_areas(r, whole)["partner"]))
